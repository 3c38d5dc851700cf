//! Opaque access tokens: only the hash of each is stored, with the claims
//! it stands for. Revoking one sets `revoked_at`; the tokens of a revoked
//! grant are refused through the grant (see `revocations`).

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use super::entities::opaque_tokens;
use super::{Store, StoreError, Unit};
use crate::domain::{ClientId, OpaqueToken};

impl TryFrom<opaque_tokens::Model> for OpaqueToken {
    type Error = StoreError;

    fn try_from(row: opaque_tokens::Model) -> Result<Self, Self::Error> {
        Ok(OpaqueToken {
            client_id: ClientId::parse(&row.client_id)
                .map_err(|e| StoreError::Corrupt(format!("opaque_tokens.client_id: {e}")))?,
            token_hash: row.token_hash,
            api_id: row.api_id,
            grant_id: row.grant_id,
            claims: row.claims,
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
        })
    }
}

impl Store {
    pub async fn insert_opaque_token(&self, token: &OpaqueToken) -> Result<(), StoreError> {
        let _writer = self.writing().await?;
        opaque_tokens::ActiveModel {
            token_hash: Set(token.token_hash.clone()),
            api_id: Set(token.api_id.clone()),
            client_id: Set(token.client_id.as_str().to_string()),
            grant_id: Set(token.grant_id.clone()),
            claims: Set(token.claims.clone()),
            expires_at: Set(token.expires_at),
            revoked_at: Set(token.revoked_at),
        }
        .insert(&self.db)
        .await?;
        Ok(())
    }

    /// The opaque token whose SHA-256 is `hash`, if it was ever issued and
    /// has not been purged.
    pub async fn opaque_token(&self, hash: &str) -> Result<Option<OpaqueToken>, StoreError> {
        opaque_tokens::Entity::find_by_id(hash)
            .one(&self.db)
            .await?
            .map(OpaqueToken::try_from)
            .transpose()
    }

    /// Forget opaque tokens that have expired anyway.
    pub async fn purge_expired_opaque_tokens(&self, now: i64) -> Result<u64, StoreError> {
        let _writer = self.writing().await?;
        Ok(opaque_tokens::Entity::delete_many()
            .filter(opaque_tokens::Column::ExpiresAt.lt(now))
            .exec(&self.db)
            .await?
            .rows_affected)
    }
}

impl Unit<'_> {
    /// Revoke an opaque token; `false` when it already was (or is unknown).
    pub async fn revoke_opaque_token(&mut self, hash: &str, now: i64) -> Result<bool, StoreError> {
        let result = opaque_tokens::Entity::update_many()
            .set(opaque_tokens::ActiveModel {
                revoked_at: Set(Some(now)),
                ..Default::default()
            })
            .filter(opaque_tokens::Column::TokenHash.eq(hash))
            .filter(opaque_tokens::Column::RevokedAt.is_null())
            .exec(&self.txn)
            .await?;
        Ok(result.rows_affected > 0)
    }
}
