//! Password hashing off the async runtime, on a bounded pool. Each argon2id
//! run holds ~19 MiB and takes tens of milliseconds of one core, so at most
//! `hashers` run at once (one per core), at most `queue` more wait their
//! turn, and anything beyond is refused at once ([`Busy`]): a burst of
//! sign-ins neither starves the token endpoints of CPU nor grows memory.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::domain::crypto::random_token;
use crate::domain::{DomainError, PasswordHash, Secret};

/// Every hasher is busy and the queue is full: try again in a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

#[derive(Clone)]
pub struct PasswordService {
    /// Admission: hashers plus queue places. Taken without waiting.
    admitted: Arc<Semaphore>,
    capacity: usize,
    /// Hashes running now.
    running: Arc<Semaphore>,
    /// Verified against when the username is unknown, so that answer takes
    /// as long as a wrong password for a real account.
    dummy: PasswordHash,
}

impl PasswordService {
    /// CPU-bound (one hash); call from a blocking context at start-up.
    pub fn new(hashers: usize, queue: usize) -> Result<Self, DomainError> {
        let hashers = hashers.max(1);
        Ok(Self {
            admitted: Arc::new(Semaphore::new(hashers + queue)),
            capacity: hashers + queue,
            running: Arc::new(Semaphore::new(hashers)),
            dummy: PasswordHash::hash(&Secret::new(random_token(16)))?,
        })
    }

    /// True if `password` matches `hash`; with no hash, runs the same work
    /// against the dummy and returns false.
    pub async fn verify(&self, hash: Option<PasswordHash>, password: Secret) -> Result<bool, Busy> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy.clone());
        let verified = self.run(move || hash.verify(&password)).await?;
        Ok(verified.unwrap_or(false) && known)
    }

    /// Hash a new password (after the length policy) on the same pool.
    pub async fn create(
        &self,
        password: Secret,
    ) -> Result<Result<PasswordHash, DomainError>, Busy> {
        self.run(move || PasswordHash::create(&password))
            .await
            .map(|hashed| hashed.unwrap_or(Err(DomainError::PasswordHashing)))
    }

    /// Run `work` on the blocking pool once a hasher is free; `None` if it
    /// panicked.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<Option<T>, Busy> {
        let Ok(admitted) = self.admitted.try_acquire() else {
            crate::metrics::password_hashes(self.capacity);
            return Err(Busy);
        };
        crate::metrics::password_hashes(self.capacity - self.admitted.available_permits());
        let _admitted = Waiting {
            _admitted: admitted,
            service: self,
        };
        let Ok(_running) = self.running.acquire().await else {
            return Err(Busy);
        };
        Ok(tokio::task::spawn_blocking(work).await.ok())
    }
}

/// An admission, which updates the gauge of checks waiting when it ends.
struct Waiting<'a> {
    _admitted: tokio::sync::SemaphorePermit<'a>,
    service: &'a PasswordService,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let service = self.service;
        // This permit is still held here: it counts as gone.
        let free = service.admitted.available_permits() + 1;
        crate::metrics::password_hashes(service.capacity.saturating_sub(free));
    }
}

impl std::fmt::Debug for PasswordService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordService")
            .field("running_permits", &self.running.available_permits())
            .field("admission_permits", &self.admitted.available_permits())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn beyond_the_hashers_and_the_queue_a_request_is_refused_at_once()
    -> Result<(), DomainError> {
        let service = PasswordService::new(1, 2)?;
        let hash = PasswordHash::hash(&Secret::new("correct horse"))?;
        let attempts =
            (0..10).map(|_| service.verify(Some(hash.clone()), Secret::new("correct horse")));
        let outcomes = futures_util::future::join_all(attempts).await;
        assert_eq!(
            outcomes.iter().filter(|o| **o == Ok(true)).count(),
            3,
            "{outcomes:?}"
        );
        assert_eq!(
            outcomes.iter().filter(|o| **o == Err(Busy)).count(),
            7,
            "{outcomes:?}"
        );
        // Once they are done, the pool is whole again.
        assert_eq!(
            service.verify(Some(hash), Secret::new("wrong horse")).await,
            Ok(false)
        );
        Ok(())
    }
}
