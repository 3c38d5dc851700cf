//! Password hashing off the async runtime, on a bounded pool. Each argon2id
//! run holds ~7 MiB and takes tens of milliseconds of one core, so at most
//! `hashers` run at once (one per core), at most `queue` more wait their
//! turn, and anything beyond is refused at once ([`Busy`]): a burst of
//! sign-ins neither starves the token endpoints of CPU nor grows memory.
//!
//! The hashes run on `hashers` threads of their own, not on the runtime's
//! blocking pool: each hasher keeps the memory of its checks from one to the
//! next ([`HashMemory`]), so memory for hashing stays at `hashers` × 7 MiB
//! once they have run, whatever the allocator does with memory it is given
//! back.

use std::sync::{Arc, Mutex, mpsc};

use tokio::sync::{Semaphore, oneshot};

use crate::domain::password::HashMemory;
use crate::domain::{DomainError, PasswordHash, Secret};

/// Every hasher is busy and the queue is full: try again in a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

/// How a password check went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    Wrong,
    Right,
    /// Right, and here is the password hashed with today's parameters: the
    /// stored hash was made with others.
    Rehashed(PasswordHash),
}

impl Checked {
    pub fn is_right(&self) -> bool {
        !matches!(self, Self::Wrong)
    }
}

type Job = Box<dyn FnOnce(&mut HashMemory) + Send>;

/// What a sign-in with an unknown username is checked against, so that it
/// costs what a wrong password costs: an argon2id hash with the parameters
/// every new hash gets (a test holds them equal) of a random password that
/// nobody kept. A constant, so that starting makes no hash.
const DUMMY_HASH: &str = "$argon2id$v=19$m=7168,t=5,p=1$X986lVulwXCTKjfKDmTxow$f65b9Tgnn9vgPu0AtnIpAPW4dyzeS74x46GDkXSJJzw";

#[derive(Clone)]
pub struct PasswordService {
    /// To the hasher threads; they stop when the last clone is dropped.
    jobs: mpsc::Sender<Job>,
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
    /// Starts the hasher threads.
    pub fn new(hashers: usize, queue: usize) -> Result<Self, DomainError> {
        let hashers = hashers.max(1);
        let (jobs, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..hashers {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || {
                    let mut memory = HashMemory::default();
                    loop {
                        // Holding the lock only to take the next job.
                        let job = match receiver.lock() {
                            Ok(receiver) => receiver.recv(),
                            Err(_) => return,
                        };
                        match job {
                            // A panicking hash loses its answer, not the thread.
                            Ok(job) => {
                                let _ =
                                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                        job(&mut memory)
                                    }));
                            }
                            Err(_) => return,
                        }
                    }
                })
                .map_err(|_| DomainError::PasswordHashing)?;
        }
        Ok(Self {
            jobs,
            admitted: Arc::new(Semaphore::new(hashers + queue)),
            capacity: hashers + queue,
            running: Arc::new(Semaphore::new(hashers)),
            dummy: PasswordHash::from_trusted(DUMMY_HASH.to_string()),
        })
    }

    /// Whether `password` matches `hash`; with no hash, the same work runs
    /// against the dummy and the answer is [`Checked::Wrong`]. A right
    /// password whose hash has outdated parameters is hashed again in the
    /// same turn, for the caller to store.
    pub async fn verify(
        &self,
        hash: Option<PasswordHash>,
        password: Secret,
    ) -> Result<Checked, Busy> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy.clone());
        let checked = self
            .run(move |memory| {
                if !hash.verify_in(&password, memory) {
                    Checked::Wrong
                } else if hash.is_outdated() {
                    PasswordHash::hash(&password).map_or(Checked::Right, Checked::Rehashed)
                } else {
                    Checked::Right
                }
            })
            .await?;
        Ok(match checked {
            Some(checked) if known => checked,
            _ => Checked::Wrong,
        })
    }

    /// The hash of a new password (its length policy checked first), made
    /// on a hasher thread like any check: for an administrator setting a
    /// user's password, and the first administrator's.
    pub async fn hash_new(
        &self,
        password: Secret,
    ) -> Result<Result<PasswordHash, DomainError>, Busy> {
        if let Err(refused) = PasswordHash::check_policy(&password) {
            return Ok(Err(refused));
        }
        let hashed = self.run(move |_| PasswordHash::create(&password)).await?;
        Ok(hashed.unwrap_or(Err(DomainError::PasswordHashing)))
    }

    /// Run `work` on a hasher thread once one is free; `None` if it
    /// panicked.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut HashMemory) -> T + Send + 'static,
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
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move |memory| {
            let _ = done.send(work(memory));
        });
        if self.jobs.send(job).is_err() {
            return Ok(None);
        }
        Ok(result.await.ok())
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
    use crate::domain::crypto::random_token;

    /// The parameters of a PHC string: everything before the salt.
    fn parameters(phc: &str) -> String {
        phc.split('$').take(4).collect::<Vec<_>>().join("$")
    }

    #[test]
    fn the_dummy_hash_costs_what_a_new_hash_costs() -> Result<(), DomainError> {
        let new = PasswordHash::hash(&Secret::new(random_token(16)))?;
        assert_eq!(parameters(DUMMY_HASH), parameters(new.as_str()));
        assert!(!PasswordHash::from_trusted(DUMMY_HASH.into()).verify(&Secret::new("")));
        Ok(())
    }

    #[tokio::test]
    async fn beyond_the_hashers_and_the_queue_a_request_is_refused_at_once()
    -> Result<(), DomainError> {
        let service = PasswordService::new(1, 2)?;
        let hash = PasswordHash::hash(&Secret::new("correct horse"))?;
        let attempts =
            (0..10).map(|_| service.verify(Some(hash.clone()), Secret::new("correct horse")));
        let outcomes = futures_util::future::join_all(attempts).await;
        assert_eq!(
            outcomes
                .iter()
                .filter(|o| **o == Ok(Checked::Right))
                .count(),
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
            Ok(Checked::Wrong)
        );
        Ok(())
    }

    #[tokio::test]
    async fn a_right_password_with_an_outdated_hash_is_hashed_again() -> Result<(), DomainError> {
        let service = PasswordService::new(1, 0)?;
        let old = PasswordHash::from_trusted(crate::domain::password::tests::OLD.into());
        let Ok(Checked::Rehashed(new)) = service
            .verify(Some(old.clone()), Secret::new("correct horse"))
            .await
        else {
            panic!("not rehashed");
        };
        assert!(!new.is_outdated());
        assert!(new.verify(&Secret::new("correct horse")));
        assert_eq!(
            service
                .verify(Some(old), Secret::new("battery staple"))
                .await,
            Ok(Checked::Wrong)
        );
        assert_eq!(
            service
                .verify(Some(new), Secret::new("correct horse"))
                .await,
            Ok(Checked::Right)
        );
        Ok(())
    }
}
