use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::clock::SharedClock;

struct Entry {
    value: String,
    /// Unix second (of the injected clock) from which the entry is gone.
    expires_at: i64,
}

/// A map with per-key expiry behind one mutex; every critical section is a
/// few map operations. Expiry follows the injected clock. Expired entries
/// are dropped on read and swept every `SWEEP_EVERY` writes.
pub struct MemoryStore {
    inner: Mutex<Inner>,
    clock: SharedClock,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<String, Entry>,
    writes: u64,
}

const SWEEP_EVERY: u64 = 1024;

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemoryStore")
    }
}

/// `now + ttl`, a partial second counting as a whole one.
fn expiry(now: i64, ttl: Duration) -> i64 {
    let secs = ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0);
    now.saturating_add(i64::try_from(secs).unwrap_or(i64::MAX))
}

impl MemoryStore {
    pub fn new(clock: SharedClock) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            clock,
        }
    }

    /// How many keys are held (expired ones not yet swept included).
    pub fn key_count(&self) -> usize {
        self.lock().entries.len()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a map half-updated in a
        // way that matters here, so a poisoned lock is simply reused.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn put(&self, key: &str, value: &str, ttl: Duration) {
        let now = self.clock.now();
        let mut inner = self.lock();
        inner.write(key, value.to_string(), expiry(now, ttl), now);
    }

    pub fn get(&self, key: &str) -> Option<String> {
        let now = self.clock.now();
        let mut inner = self.lock();
        inner.live(key, now).map(|entry| entry.value.clone())
    }

    pub fn take(&self, key: &str) -> Option<String> {
        let now = self.clock.now();
        let mut inner = self.lock();
        inner.live(key, now)?;
        inner.entries.remove(key).map(|entry| entry.value)
    }

    pub fn replace_existing(&self, key: &str, value: &str, ttl: Duration) -> Option<String> {
        let now = self.clock.now();
        let mut inner = self.lock();
        let entry = inner.live(key, now)?;
        let old = std::mem::replace(&mut entry.value, value.to_string());
        entry.expires_at = expiry(now, ttl);
        Some(old)
    }

    /// Count one more in the window that began with the counter's first
    /// increment (at `now`, the injected clock's second).
    pub fn incr(&self, key: &str, window: Duration, now: i64) -> u64 {
        let mut inner = self.lock();
        let next = match inner.live(key, now) {
            Some(entry) => {
                let next = entry.value.parse::<u64>().unwrap_or(0).saturating_add(1);
                entry.value = next.to_string();
                return next;
            }
            None => 1,
        };
        inner.write(key, next.to_string(), expiry(now, window), now);
        next
    }

    /// The count of a live counter (0 if there is none), changing nothing.
    pub fn count(&self, key: &str, now: i64) -> u64 {
        let mut inner = self.lock();
        inner
            .live(key, now)
            .map_or(0, |entry| entry.value.parse::<u64>().unwrap_or(0))
    }

    pub fn decr_existing(&self, key: &str, now: i64) {
        let mut inner = self.lock();
        if let Some(entry) = inner.live(key, now) {
            let next = entry.value.parse::<u64>().unwrap_or(0).saturating_sub(1);
            entry.value = next.to_string();
        }
    }

    pub fn delete(&self, key: &str) {
        self.lock().entries.remove(key);
    }
}

impl Inner {
    /// The entry under `key` if it has not expired; an expired one is removed.
    fn live(&mut self, key: &str, now: i64) -> Option<&mut Entry> {
        if self.entries.get(key).is_some_and(|e| e.expires_at <= now) {
            self.entries.remove(key);
        }
        self.entries.get_mut(key)
    }

    fn write(&mut self, key: &str, value: String, expires_at: i64, now: i64) {
        self.entries
            .insert(key.to_string(), Entry { value, expires_at });
        self.writes += 1;
        if self.writes.is_multiple_of(SWEEP_EVERY) {
            self.entries.retain(|_, e| e.expires_at > now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};

    fn store() -> (MemoryStore, std::sync::Arc<ManualClock>) {
        let clock = ManualClock::starting_now();
        (MemoryStore::new(clock.clone()), clock)
    }

    #[test]
    fn take_returns_a_value_once() {
        let (store, _clock) = store();
        store.put("k", "v", Duration::from_secs(60));
        assert_eq!(store.take("k").as_deref(), Some("v"));
        assert_eq!(store.take("k"), None);
    }

    #[test]
    fn entries_expire() {
        let (store, clock) = store();
        store.put("z", "v", Duration::ZERO);
        assert_eq!(store.get("z"), None);
        store.put("k", "v", Duration::from_secs(60));
        clock.advance(59);
        assert_eq!(store.get("k").as_deref(), Some("v"));
        clock.advance(1);
        assert_eq!(store.get("k"), None, "gone when the clock says so");
    }

    #[test]
    fn replace_existing_only_touches_present_keys() {
        let (store, _clock) = store();
        assert_eq!(
            store.replace_existing("k", "new", Duration::from_secs(60)),
            None
        );
        assert_eq!(store.get("k"), None);
        store.put("k", "old", Duration::from_secs(60));
        assert_eq!(
            store
                .replace_existing("k", "new", Duration::from_secs(60))
                .as_deref(),
            Some("old")
        );
        assert_eq!(store.get("k").as_deref(), Some("new"));
    }

    #[test]
    fn counters_count_within_their_window() {
        let (store, clock) = store();
        assert_eq!(store.incr("c", Duration::from_secs(60), clock.now()), 1);
        assert_eq!(store.incr("c", Duration::from_secs(60), clock.now()), 2);
        store.decr_existing("c", clock.now());
        assert_eq!(store.get("c").as_deref(), Some("1"));
        store.delete("c");
        store.decr_existing("c", clock.now());
        assert_eq!(store.get("c"), None, "decrementing never creates");
        assert_eq!(store.incr("c", Duration::from_secs(60), clock.now()), 1);
    }

    #[test]
    fn a_counter_window_starts_at_its_first_increment() {
        let (store, clock) = store();
        let window = Duration::from_secs(900);
        assert_eq!(store.incr("c", window, clock.now()), 1);
        clock.advance(899);
        assert_eq!(
            store.incr("c", window, clock.now()),
            2,
            "still the same window"
        );
        clock.advance(1);
        assert_eq!(store.incr("c", window, clock.now()), 1, "a new window");
    }

    #[test]
    fn a_counter_can_be_read_without_counting() {
        let (store, clock) = store();
        assert_eq!(store.count("c", clock.now()), 0);
        store.incr("c", Duration::from_secs(60), clock.now());
        assert_eq!(store.count("c", clock.now()), 1);
        assert_eq!(store.count("c", clock.now() + 60), 0, "its window is over");
    }
}
