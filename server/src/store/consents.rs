use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, EntityTrait};

use super::entities::consents;
use super::{Store, StoreError};
use crate::domain::{ClientId, Scopes, UserId};

impl Store {
    /// The scopes `user` has granted `client`, if any.
    pub async fn consent(
        &self,
        user: &UserId,
        client: &ClientId,
    ) -> Result<Option<Scopes>, StoreError> {
        consents::Entity::find_by_id((user.as_str().to_string(), client.as_str().to_string()))
            .one(&self.db)
            .await?
            .map(|row| {
                Scopes::parse(&row.scope)
                    .map_err(|e| StoreError::Corrupt(format!("consents.scope: {e}")))
            })
            .transpose()
    }

    /// Store (or replace) the scopes `user` has granted `client`.
    pub async fn save_consent(
        &self,
        user: &UserId,
        client: &ClientId,
        scope: &Scopes,
        now: i64,
    ) -> Result<(), StoreError> {
        consents::Entity::insert(consents::ActiveModel {
            user_id: Set(user.as_str().to_string()),
            client_id: Set(client.as_str().to_string()),
            scope: Set(scope.to_string()),
            granted_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([consents::Column::UserId, consents::Column::ClientId])
                .update_columns([consents::Column::Scope, consents::Column::GrantedAt])
                .to_owned(),
        )
        .exec(&self.db)
        .await?;
        Ok(())
    }
}
