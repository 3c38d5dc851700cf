//! Counters of failed sign-ins, per account and per client IP.

use std::time::Duration;

use super::{Store, StoreError};

fn key(scope: &str) -> String {
    format!("loginfail:{scope}")
}

impl Store {
    pub async fn failure_count(&self, scope: &str) -> Result<u64, StoreError> {
        Ok(self
            .ephemeral
            .get(&key(scope))
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    pub async fn record_failure(&self, scope: &str, window: Duration) -> Result<u64, StoreError> {
        self.ephemeral.incr(&key(scope), window).await
    }

    pub async fn clear_failures(&self, scope: &str) -> Result<(), StoreError> {
        self.ephemeral.delete(&key(scope)).await
    }
}
