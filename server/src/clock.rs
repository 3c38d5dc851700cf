//! Time, injected. Everything that expires (codes, sessions, tokens, cached
//! answers, counters, the back-channel outbox's backoff) asks a [`Clock`] for
//! the current Unix second, and periodic work waits on it, so tests move
//! time forward instead of sleeping.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::Notify;

/// A future the clock hands out; boxed so that `Clock` stays object safe.
pub type Wait<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// A source of the current time in Unix seconds.
pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> i64;

    /// Resolve once the clock shows `deadline` or later.
    fn sleep_until(&self, deadline: i64) -> Wait<'_>;

    /// Resolve `secs` seconds of this clock from now.
    fn sleep(&self, secs: i64) -> Wait<'_> {
        self.sleep_until(self.now().saturating_add(secs))
    }
}

/// The clock every component shares; cloning is shallow.
pub type SharedClock = Arc<dyn Clock>;

/// Wall-clock time: the clock of production.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl SystemClock {
    pub fn shared() -> SharedClock {
        Arc::new(SystemClock)
    }
}

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }

    fn sleep_until(&self, deadline: i64) -> Wait<'_> {
        let secs = u64::try_from(deadline.saturating_sub(self.now())).unwrap_or(0);
        Box::pin(tokio::time::sleep(Duration::from_secs(secs)))
    }
}

/// A clock that stands still until told to move: for tests of expiry. Work
/// waiting on it wakes when it is moved past the deadline.
#[derive(Debug)]
pub struct ManualClock {
    now: AtomicI64,
    moved: Notify,
}

impl ManualClock {
    /// A clock showing the current wall-clock time.
    pub fn starting_now() -> Arc<Self> {
        Arc::new(Self {
            now: AtomicI64::new(SystemClock.now()),
            moved: Notify::new(),
        })
    }

    pub fn set(&self, now: i64) {
        self.now.store(now, Ordering::SeqCst);
        self.moved.notify_waiters();
    }

    pub fn advance(&self, secs: i64) {
        self.now.fetch_add(secs, Ordering::SeqCst);
        self.moved.notify_waiters();
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.now.load(Ordering::SeqCst)
    }

    fn sleep_until(&self, deadline: i64) -> Wait<'_> {
        Box::pin(async move {
            loop {
                // Register before looking, so a move in between is not missed.
                let moved = self.moved.notified();
                tokio::pin!(moved);
                moved.as_mut().enable();
                if self.now() >= deadline {
                    return;
                }
                moved.await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let clock = ManualClock::starting_now();
        let start = clock.now();
        clock.advance(90);
        assert_eq!(clock.now(), start + 90);
        clock.set(5);
        assert_eq!(clock.now(), 5);
    }

    #[tokio::test]
    async fn waiting_on_a_manual_clock_ends_when_it_is_moved_past_the_deadline() {
        let clock = ManualClock::starting_now();
        let start = clock.now();
        let waiter = tokio::spawn({
            let clock = clock.clone();
            async move { clock.sleep(60).await }
        });
        tokio::task::yield_now().await;
        clock.advance(59);
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished(), "one second short of the deadline");
        clock.advance(1);
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("woken")
            .expect("joined");
        assert_eq!(clock.now(), start + 60);
    }
}
