use sea_orm::entity::prelude::*;

/// A revocation mark committed to the database but not yet written to Redis.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mark_outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `jti`, `grant` or `kid`.
    pub kind: String,
    pub value: String,
    /// When the tokens the mark covers have all expired.
    pub expires_at: i64,
}

impl ActiveModelBehavior for ActiveModel {}
