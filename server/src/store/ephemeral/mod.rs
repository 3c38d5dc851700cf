//! Short-lived shared state with per-key expiry. In-process for a single
//! instance; Redis when several replicas must see the same codes, pending
//! requests and counters. Both offer the same atomic operations.

mod memory;
mod redis_store;

use std::sync::Arc;
use std::time::Duration;

pub use memory::MemoryStore;
pub use redis_store::RedisStore;

use super::StoreError;
use crate::clock::SharedClock;

/// The longest a request waits on Redis: beyond it, the operation fails
/// (and the request with a 503, or a fallback to the database where there
/// is one) rather than hanging while Redis is unreachable or stalled.
pub const REDIS_DEADLINE: Duration = Duration::from_millis(800);

/// `operation`, given up after [`REDIS_DEADLINE`].
pub async fn within<T>(
    operation: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    tokio::time::timeout(REDIS_DEADLINE, operation)
        .await
        .unwrap_or_else(|_| {
            Err(StoreError::Unavailable(
                "redis: no answer within 0.8 s".into(),
            ))
        })
}

#[derive(Clone, Debug)]
pub enum Ephemeral {
    Memory(Arc<MemoryStore>),
    Redis(RedisStore),
}

impl Ephemeral {
    /// In this process, expiring by `clock`.
    pub fn memory(clock: SharedClock) -> Self {
        Ephemeral::Memory(Arc::new(MemoryStore::new(clock)))
    }

    /// Redis; every key is prefixed with `prefix`. The connection is made
    /// (and remade) when needed, so a Redis that is down now does not stop
    /// what can be done without it.
    pub fn redis(url: &str, prefix: &str) -> Result<Self, StoreError> {
        Ok(Ephemeral::Redis(RedisStore::new(url, prefix)?))
    }

    pub async fn put(&self, key: &str, value: &str, ttl: Duration) -> Result<(), StoreError> {
        match self {
            Ephemeral::Memory(store) => {
                store.put(key, value, ttl);
                Ok(())
            }
            Ephemeral::Redis(store) => within(store.put(key, value, ttl)).await,
        }
    }

    pub async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        match self {
            Ephemeral::Memory(store) => Ok(store.get(key)),
            Ephemeral::Redis(store) => within(store.get(key)).await,
        }
    }

    /// Get and delete in one step: of two concurrent callers, one gets the value.
    pub async fn take(&self, key: &str) -> Result<Option<String>, StoreError> {
        match self {
            Ephemeral::Memory(store) => Ok(store.take(key)),
            Ephemeral::Redis(store) => within(store.take(key)).await,
        }
    }

    /// If `key` exists, replace its value (new `ttl`) and return the old one,
    /// atomically; otherwise change nothing and return `None`.
    pub async fn replace_existing(
        &self,
        key: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<Option<String>, StoreError> {
        match self {
            Ephemeral::Memory(store) => Ok(store.replace_existing(key, value, ttl)),
            Ephemeral::Redis(store) => within(store.replace_existing(key, value, ttl)).await,
        }
    }

    /// Increment a counter whose window began with its first increment; a
    /// counter whose window is over (by `now`, the injected clock's second)
    /// starts again at 1.
    pub async fn incr(&self, key: &str, window: Duration, now: i64) -> Result<u64, StoreError> {
        match self {
            Ephemeral::Memory(store) => Ok(store.incr(key, window, now)),
            Ephemeral::Redis(store) => within(store.incr(key, window, now)).await,
        }
    }

    /// A counter's count at `now` if its `window` is not over (else 0),
    /// unchanged.
    pub async fn count(&self, key: &str, window: Duration, now: i64) -> Result<u64, StoreError> {
        match self {
            Ephemeral::Memory(store) => Ok(store.count(key, now)),
            Ephemeral::Redis(store) => within(store.count(key, window, now)).await,
        }
    }

    /// How many keys this store holds (under its prefix, for Redis): what
    /// bounds on counters and parked requests are measured by.
    pub async fn key_count(&self) -> Result<u64, StoreError> {
        match self {
            Ephemeral::Memory(store) => Ok(store.key_count() as u64),
            Ephemeral::Redis(store) => within(store.key_count()).await,
        }
    }

    /// Decrement a counter if it exists (never below zero, never creating it).
    pub async fn decr_existing(&self, key: &str, now: i64) -> Result<(), StoreError> {
        match self {
            Ephemeral::Memory(store) => {
                store.decr_existing(key, now);
                Ok(())
            }
            Ephemeral::Redis(store) => within(store.decr_existing(key)).await,
        }
    }

    pub fn is_shared(&self) -> bool {
        matches!(self, Ephemeral::Redis(_))
    }

    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match self {
            Ephemeral::Memory(store) => {
                store.delete(key);
                Ok(())
            }
            Ephemeral::Redis(store) => within(store.delete(key)).await,
        }
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        match self {
            Ephemeral::Memory(_) => Ok(()),
            Ephemeral::Redis(store) => within(store.ping()).await,
        }
    }
}
