use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "opaque_tokens")]
pub struct Model {
    /// SHA-256 (hex) of the token; the token itself is never stored.
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub api_id: String,
    pub client_id: String,
    pub grant_id: Option<String>,
    /// The claims a JWT for the API would carry (JSON).
    pub claims: String,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

impl ActiveModelBehavior for ActiveModel {}
