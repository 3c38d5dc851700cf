use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signing_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub kid: String,
    pub alg: String,
    /// PKCS#8 DER, base64.
    pub private_key: String,
    pub active: bool,
    pub created_at: i64,
}

impl ActiveModelBehavior for ActiveModel {}
