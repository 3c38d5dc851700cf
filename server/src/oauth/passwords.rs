//! Password hashing off the async runtime. Each argon2id run takes ~19 MiB and
//! tens of milliseconds, so runs happen on tokio's blocking pool behind a
//! semaphore; a burst of logins queues instead of exhausting memory.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::domain::crypto::random_token;
use crate::domain::{DomainError, PasswordHash, Secret};

#[derive(Clone)]
pub struct PasswordService {
    permits: Arc<Semaphore>,
    /// Verified against when the username is unknown, so that answer takes
    /// as long as a wrong password for a real account.
    dummy: PasswordHash,
}

impl PasswordService {
    /// CPU-bound (one hash); call from a blocking context at start-up.
    pub fn new(max_concurrent: usize) -> Result<Self, DomainError> {
        Ok(Self {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            dummy: PasswordHash::hash(&Secret::new(random_token(16)))?,
        })
    }

    /// True if `password` matches `hash`; with no hash, runs the same work
    /// against the dummy and returns false.
    pub async fn verify(&self, hash: Option<PasswordHash>, password: Secret) -> bool {
        let Ok(_permit) = self.permits.acquire().await else {
            return false;
        };
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy.clone());
        let verified = tokio::task::spawn_blocking(move || hash.verify(&password))
            .await
            .unwrap_or(false);
        verified && known
    }
}

impl std::fmt::Debug for PasswordService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordService")
            .field("available_permits", &self.permits.available_permits())
            .finish_non_exhaustive()
    }
}
