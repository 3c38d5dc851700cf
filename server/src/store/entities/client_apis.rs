use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "client_apis")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub api_id: String,
    /// Space-separated scopes; `None`: all of the API's.
    pub scopes: Option<String>,
    pub direct: bool,
    pub exchange: bool,
}

impl ActiveModelBehavior for ActiveModel {}
