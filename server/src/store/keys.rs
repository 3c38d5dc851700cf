use std::str::FromStr;

use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
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
            active: row.active,
            created_at: row.created_at,
        })
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
            signing_keys::Entity::insert(signing_keys::ActiveModel {
                kid: Set(key.kid.clone()),
                alg: Set(key.alg.as_str().to_string()),
                private_key: Set(key.sealed_private_key.clone()),
                active: Set(key.active),
                created_at: Set(key.created_at),
            })
            .exec(&txn)
            .await?;
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
