use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id_hash: String,
    #[sea_orm(unique)]
    pub sid: String,
    pub user_id: String,
    pub auth_time: i64,
    /// JSON array of authentication method references.
    pub amr: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub idle_expires_at: i64,
    pub absolute_expires_at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// SHA-256 of the parent-domain cookie's own secret (gateways only).
    pub gateway_hash: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
