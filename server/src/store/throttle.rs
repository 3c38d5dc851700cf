//! Counters of sign-in attempts, per account and per client IP. An attempt
//! is counted before its password is checked, atomically (Redis `INCR`, or a
//! counter under the in-process store's lock), so parallel guesses cannot all
//! slip under the limit; a successful attempt takes its count back.

use std::time::Duration;

use super::{Store, StoreError};

fn key(scope: &str) -> String {
    format!("loginfail:{scope}")
}

impl Store {
    /// Count one more attempt in `scope`; returns the count in the window.
    pub async fn count_attempt(&self, scope: &str, window: Duration) -> Result<u64, StoreError> {
        self.ephemeral
            .incr(&key(scope), window, self.clock.now())
            .await
    }

    /// Take back one attempt (it succeeded).
    pub async fn uncount_attempt(&self, scope: &str) -> Result<(), StoreError> {
        self.ephemeral
            .decr_existing(&key(scope), self.clock.now())
            .await
    }

    pub async fn clear_attempts(&self, scope: &str) -> Result<(), StoreError> {
        self.ephemeral.delete(&key(scope)).await
    }

    /// The first time in `window` that `scope` is found throttled: `true`
    /// once, then `false` until the window passes.
    pub async fn first_throttled_in_window(
        &self,
        scope: &str,
        window: Duration,
    ) -> Result<bool, StoreError> {
        let noted = self
            .ephemeral
            .incr(&format!("throttled:{scope}"), window, self.clock.now())
            .await?;
        Ok(noted == 1)
    }

    /// Count a request in a window that began with the first; returns the
    /// count so far.
    pub async fn count_in_window(&self, name: &str, window: Duration) -> Result<u64, StoreError> {
        self.ephemeral.incr(name, window, self.clock.now()).await
    }

    /// The count of a window counter, without counting.
    pub async fn window_count(&self, name: &str, window: Duration) -> Result<u64, StoreError> {
        self.ephemeral.count(name, window, self.clock.now()).await
    }
}
