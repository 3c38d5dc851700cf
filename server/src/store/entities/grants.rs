use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "grants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub client_id: String,
    pub user_id: String,
    pub session_sid: Option<String>,
    pub scope: String,
    pub auth_time: i64,
    /// JSON array of authentication method references.
    pub amr: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    /// Space-separated API identifiers the grant was made for (RFC 8707).
    pub resources: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
