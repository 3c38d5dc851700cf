use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub secret_hash: Option<String>,
    pub auth_method: String,
    /// JSON array of strings.
    pub redirect_uris: String,
    /// JSON array of grant type names.
    pub grant_types: String,
    pub first_party: bool,
    pub id_token_alg: String,
    pub created_at: i64,
    /// JSON array of strings.
    pub post_logout_redirect_uris: String,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    pub access_token_alg: String,
    /// JSON array of the scopes the client may be granted; NULL: the standard ones.
    pub scopes: Option<String>,
    /// Access tokens issued before this Unix second no longer count.
    pub tokens_valid_after: i64,
}

impl ActiveModelBehavior for ActiveModel {}
