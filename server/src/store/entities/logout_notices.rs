use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "logout_notices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub client_id: String,
    pub sid: String,
    pub sub: String,
    /// `pending`, `delivered` or `abandoned`.
    pub state: String,
    pub created_at: i64,
    pub next_attempt_at: i64,
    pub attempts: i32,
    pub locked_until: Option<i64>,
    pub last_attempt_at: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
}

impl ActiveModelBehavior for ActiveModel {}
