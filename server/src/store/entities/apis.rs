use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "apis")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub identifier: String,
    pub name: String,
    /// Space-separated scope names.
    pub scopes: String,
    /// `jwt` or `opaque`.
    pub token_format: String,
    pub access_token_alg: String,
    pub lifetime: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl ActiveModelBehavior for ActiveModel {}
