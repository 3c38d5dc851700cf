use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_roles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub api_id: String,
    pub name: String,
    /// Space-separated permission names.
    pub permissions: String,
    pub created_at: i64,
}

impl ActiveModelBehavior for ActiveModel {}
