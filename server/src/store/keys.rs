use std::str::FromStr;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter,
    QueryOrder, TransactionTrait,
};

use super::entities::signing_keys;
use super::{Store, StoreError};
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
        let txn = self.db.begin().await?;
        for key in keys {
            active_model(key).insert(&txn).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Add `fresh` keys and retire the ones they replace: each key of the
    /// same algorithm still signing when a fresh one activates stops then,
    /// and stays published for `retire_after` more.
    pub async fn rotate_signing_keys(
        &self,
        fresh: &[SigningKeyMaterial],
        retire_after: i64,
    ) -> Result<(), StoreError> {
        let txn = self.db.begin().await?;
        for key in fresh {
            signing_keys::Entity::update_many()
                .set(signing_keys::ActiveModel {
                    deactivated_at: Set(Some(key.activates_at)),
                    published_until: Set(Some(key.activates_at + retire_after)),
                    ..Default::default()
                })
                .filter(signing_keys::Column::Alg.eq(key.alg.as_str()))
                .filter(
                    Condition::any()
                        .add(signing_keys::Column::DeactivatedAt.is_null())
                        .add(signing_keys::Column::DeactivatedAt.gt(key.activates_at)),
                )
                .exec(&txn)
                .await?;
            active_model(key).insert(&txn).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Store a key's private half sealed anew (same key, current sealing).
    pub async fn reseal_signing_key(&self, kid: &str, sealed: &str) -> Result<(), StoreError> {
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
