//! Authorization requests parked while the user signs in or consents.

use std::time::Duration;

use super::{Store, StoreError, from_json, to_json};
use crate::domain::PendingAuthorization;

fn key(id: &str) -> String {
    format!("authreq:{id}")
}

impl Store {
    pub async fn save_pending(
        &self,
        id: &str,
        pending: &PendingAuthorization,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        self.ephemeral.put(&key(id), &to_json(pending)?, ttl).await
    }

    pub async fn pending(&self, id: &str) -> Result<Option<PendingAuthorization>, StoreError> {
        match self.ephemeral.get(&key(id)).await? {
            Some(json) => Ok(Some(from_json("pending authorization", &json)?)),
            None => Ok(None),
        }
    }

    pub async fn delete_pending(&self, id: &str) -> Result<(), StoreError> {
        self.ephemeral.delete(&key(id)).await
    }
}
