use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

struct Entry {
    value: String,
    expires_at: Instant,
}

/// A map with per-key expiry behind one mutex; every critical section is a
/// few map operations. Expired entries are dropped on read and swept every
/// `SWEEP_EVERY` writes.
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
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

impl MemoryStore {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a map half-updated in a
        // way that matters here, so a poisoned lock is simply reused.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn put(&self, key: &str, value: &str, ttl: Duration) {
        let mut inner = self.lock();
        inner.write(key, value.to_string(), Instant::now() + ttl);
    }

    pub fn get(&self, key: &str) -> Option<String> {
        let mut inner = self.lock();
        inner.live(key).map(|entry| entry.value.clone())
    }

    pub fn take(&self, key: &str) -> Option<String> {
        let mut inner = self.lock();
        inner.live(key)?;
        inner.entries.remove(key).map(|entry| entry.value)
    }

    pub fn replace_existing(&self, key: &str, value: &str, ttl: Duration) -> Option<String> {
        let mut inner = self.lock();
        let entry = inner.live(key)?;
        let old = std::mem::replace(&mut entry.value, value.to_string());
        entry.expires_at = Instant::now() + ttl;
        Some(old)
    }

    pub fn incr(&self, key: &str, window: Duration) -> u64 {
        let mut inner = self.lock();
        let next = match inner.live(key) {
            Some(entry) => {
                let next = entry.value.parse::<u64>().unwrap_or(0).saturating_add(1);
                entry.value = next.to_string();
                return next;
            }
            None => 1,
        };
        inner.write(key, next.to_string(), Instant::now() + window);
        next
    }

    pub fn decr_existing(&self, key: &str) {
        let mut inner = self.lock();
        if let Some(entry) = inner.live(key) {
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
    fn live(&mut self, key: &str) -> Option<&mut Entry> {
        let now = Instant::now();
        if self.entries.get(key).is_some_and(|e| e.expires_at <= now) {
            self.entries.remove(key);
        }
        self.entries.get_mut(key)
    }

    fn write(&mut self, key: &str, value: String, expires_at: Instant) {
        self.entries
            .insert(key.to_string(), Entry { value, expires_at });
        self.writes += 1;
        if self.writes.is_multiple_of(SWEEP_EVERY) {
            let now = Instant::now();
            self.entries.retain(|_, e| e.expires_at > now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_returns_a_value_once() {
        let store = MemoryStore::default();
        store.put("k", "v", Duration::from_secs(60));
        assert_eq!(store.take("k").as_deref(), Some("v"));
        assert_eq!(store.take("k"), None);
    }

    #[test]
    fn entries_expire() {
        let store = MemoryStore::default();
        store.put("k", "v", Duration::ZERO);
        assert_eq!(store.get("k"), None);
    }

    #[test]
    fn replace_existing_only_touches_present_keys() {
        let store = MemoryStore::default();
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
        let store = MemoryStore::default();
        assert_eq!(store.incr("c", Duration::from_secs(60)), 1);
        assert_eq!(store.incr("c", Duration::from_secs(60)), 2);
        store.decr_existing("c");
        assert_eq!(store.get("c").as_deref(), Some("1"));
        store.delete("c");
        store.decr_existing("c");
        assert_eq!(store.get("c"), None, "decrementing never creates");
        assert_eq!(store.incr("c", Duration::from_secs(60)), 1);
    }
}
