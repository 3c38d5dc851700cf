use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signing_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub kid: String,
    pub alg: String,
    /// PKCS#8 DER, sealed (see `KeySealer`).
    pub private_key: String,
    pub created_at: i64,
    pub activates_at: i64,
    pub deactivated_at: Option<i64>,
    pub published_until: Option<i64>,
    /// Revoked (leaked): unpublished, and nothing it signed verifies.
    pub revoked_at: Option<i64>,
}

impl ActiveModelBehavior for ActiveModel {}
