use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::entities::{consents, grants};
use super::revocations::Mark;
use super::{Store, StoreError, Unit};
use crate::domain::{ClientId, Scopes, UserId};

/// What a user granted a client, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consent {
    pub client_id: ClientId,
    pub scope: Scopes,
    pub granted_at: i64,
}

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
        let _writer = self.writing().await?;
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

    /// Every consent `user` has given, by client.
    pub async fn consents_of(&self, user: &UserId) -> Result<Vec<Consent>, StoreError> {
        consents::Entity::find()
            .filter(consents::Column::UserId.eq(user.as_str()))
            .order_by_asc(consents::Column::ClientId)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| {
                Ok(Consent {
                    client_id: ClientId::parse(&row.client_id)
                        .map_err(|e| StoreError::Corrupt(format!("consents.client_id: {e}")))?,
                    scope: Scopes::parse(&row.scope)
                        .map_err(|e| StoreError::Corrupt(format!("consents.scope: {e}")))?,
                    granted_at: row.granted_at,
                })
            })
            .collect()
    }
}

impl Unit<'_> {
    /// Withdraw `user`'s consent to `client` and revoke every grant the
    /// client holds for the user; the revoked grants' ids. `NotFound` if
    /// there was no consent.
    pub async fn revoke_consent(
        &mut self,
        user: &UserId,
        client: &ClientId,
        now: i64,
    ) -> Result<Vec<String>, StoreError> {
        let txn = &self.txn;
        let deleted = consents::Entity::delete_by_id((
            user.as_str().to_string(),
            client.as_str().to_string(),
        ))
        .exec(txn)
        .await?;
        if deleted.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        let revoked: Vec<String> = grants::Entity::find()
            .filter(grants::Column::UserId.eq(user.as_str()))
            .filter(grants::Column::ClientId.eq(client.as_str()))
            .filter(grants::Column::RevokedAt.is_null())
            .all(txn)
            .await?
            .into_iter()
            .map(|g| g.id)
            .collect();
        grants::Entity::update_many()
            .set(grants::ActiveModel {
                revoked_at: Set(Some(now)),
                ..Default::default()
            })
            .filter(grants::Column::Id.is_in(revoked.clone()))
            .exec(txn)
            .await?;
        let until = self.store.grant_mark_expiry(now);
        self.revoked(revoked.iter().map(|id| Mark::grant(id, until)).collect())
            .await?;
        Ok(revoked)
    }
}
