use std::str::FromStr;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter,
    QueryOrder, TransactionTrait,
};

use super::entities::signing_keys;
use super::revocations::Mark;
use super::{Store, StoreError, Unit};
use crate::domain::{SigningAlg, SigningKeyMaterial};

impl TryFrom<signing_keys::Model> for SigningKeyMaterial {
    type Error = StoreError;

    fn try_from(row: signing_keys::Model) -> Result<Self, Self::Error> {
        Ok(SigningKeyMaterial {
            alg: SigningAlg::from_str(&row.alg)
                .map_err(|e| StoreError::Corrupt(format!("signing_keys.alg: {e}")))?,
            kid: row.kid,
            sealed_private_key: row.private_key,
            created_at: row.created_at,
            activates_at: row.activates_at,
            deactivated_at: row.deactivated_at,
            published_until: row.published_until,
            revoked_at: row.revoked_at,
        })
    }
}

fn active_model(key: &SigningKeyMaterial) -> signing_keys::ActiveModel {
    signing_keys::ActiveModel {
        kid: Set(key.kid.clone()),
        alg: Set(key.alg.as_str().to_string()),
        private_key: Set(key.sealed_private_key.clone()),
        created_at: Set(key.created_at),
        activates_at: Set(key.activates_at),
        deactivated_at: Set(key.deactivated_at),
        published_until: Set(key.published_until),
        revoked_at: Set(key.revoked_at),
    }
}

impl Store {
    /// Every stored key, oldest first.
    pub async fn signing_keys(&self) -> Result<Vec<SigningKeyMaterial>, StoreError> {
        signing_keys::Entity::find()
            .order_by_asc(signing_keys::Column::CreatedAt)
            .order_by_asc(signing_keys::Column::Kid)
            .all(&self.db)
            .await?
            .into_iter()
            .map(SigningKeyMaterial::try_from)
            .collect()
    }

    /// Insert several keys at once: all of them or none.
    pub async fn insert_signing_keys(&self, keys: &[SigningKeyMaterial]) -> Result<(), StoreError> {
        let _writer = self.writing().await?;
        let txn = self.db.begin().await?;
        for key in keys {
            active_model(key).insert(&txn).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Store a key's private half sealed anew (same key, current sealing).
    pub async fn reseal_signing_key(&self, kid: &str, sealed: &str) -> Result<(), StoreError> {
        let _writer = self.writing().await?;
        signing_keys::Entity::update_many()
            .set(signing_keys::ActiveModel {
                private_key: Set(sealed.to_string()),
                ..Default::default()
            })
            .filter(signing_keys::Column::Kid.eq(kid))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}

impl Unit<'_> {
    /// Add `fresh` keys and retire the ones they replace. A key of the same
    /// algorithm still waiting to sign (`next`) is replaced, not kept: a
    /// rotation while one is pending publishes one new key, not another.
    /// Each key still signing when a fresh one activates stops then, and
    /// stays published for `retire_after` more.
    pub async fn rotate_signing_keys(
        &mut self,
        fresh: &[SigningKeyMaterial],
        retire_after: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        for key in fresh {
            let alg = key.alg.as_str();
            signing_keys::Entity::delete_many()
                .filter(signing_keys::Column::Alg.eq(alg))
                .filter(signing_keys::Column::ActivatesAt.gt(now))
                .filter(signing_keys::Column::RevokedAt.is_null())
                .exec(&self.txn)
                .await?;
            signing_keys::Entity::update_many()
                .set(signing_keys::ActiveModel {
                    deactivated_at: Set(Some(key.activates_at)),
                    published_until: Set(Some(key.activates_at + retire_after)),
                    ..Default::default()
                })
                .filter(signing_keys::Column::Alg.eq(alg))
                .filter(signing_keys::Column::RevokedAt.is_null())
                .filter(
                    Condition::any()
                        .add(signing_keys::Column::DeactivatedAt.is_null())
                        .add(signing_keys::Column::DeactivatedAt.gt(now)),
                )
                .exec(&self.txn)
                .await?;
            active_model(key).insert(&self.txn).await?;
        }
        Ok(())
    }

    /// Revoke key `kid` at `now`: unpublished, nothing it signed verifies.
    /// `false` if there is no such key or it was revoked already.
    pub async fn revoke_signing_key(&mut self, kid: &str, now: i64) -> Result<bool, StoreError> {
        let result = signing_keys::Entity::update_many()
            .set(signing_keys::ActiveModel {
                revoked_at: Set(Some(now)),
                published_until: Set(Some(now)),
                ..Default::default()
            })
            .filter(signing_keys::Column::Kid.eq(kid))
            .filter(signing_keys::Column::RevokedAt.is_null())
            .exec(&self.txn)
            .await?;
        if result.rows_affected == 0 {
            return Ok(false);
        }
        let until = self.store.grant_mark_expiry(now);
        self.revoked(vec![Mark::kid(kid, until)]).await?;
        Ok(true)
    }

    /// Let key `kid` sign from `now` (a published `next` key taking over
    /// from a revoked one).
    pub async fn activate_signing_key(&mut self, kid: &str, now: i64) -> Result<(), StoreError> {
        signing_keys::Entity::update_many()
            .set(signing_keys::ActiveModel {
                activates_at: Set(now),
                ..Default::default()
            })
            .filter(signing_keys::Column::Kid.eq(kid))
            .exec(&self.txn)
            .await?;
        Ok(())
    }

    /// The keys of `alg` that sign now keep signing: no successor is on
    /// its way any more.
    pub async fn keep_signing(&mut self, alg: &str, now: i64) -> Result<(), StoreError> {
        signing_keys::Entity::update_many()
            .set(signing_keys::ActiveModel {
                deactivated_at: Set(None),
                published_until: Set(None),
                ..Default::default()
            })
            .filter(signing_keys::Column::Alg.eq(alg))
            .filter(signing_keys::Column::RevokedAt.is_null())
            .filter(signing_keys::Column::ActivatesAt.lte(now))
            .filter(signing_keys::Column::DeactivatedAt.gt(now))
            .exec(&self.txn)
            .await?;
        Ok(())
    }

    /// Store new keys in this unit.
    pub async fn insert_signing_keys(
        &mut self,
        keys: &[SigningKeyMaterial],
    ) -> Result<(), StoreError> {
        for key in keys {
            active_model(key).insert(&self.txn).await?;
        }
        Ok(())
    }
}
