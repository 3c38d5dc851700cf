//! A bounded map whose entries expire, for facts this process remembers
//! beside the stores (clients for a second, revocations until the tokens
//! they cover expire). Time is the injected clock's, passed in as `now`.
//! Every operation is O(1) amortised: the oldest entries leave first when
//! the map is full, and expired ones as they reach the front.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};

pub(crate) struct TtlCache<K, V> {
    /// Its name in the metrics' hit ratios.
    name: &'static str,
    capacity: usize,
    inner: Mutex<Inner<K, V>>,
}

struct Inner<K, V> {
    /// Value, expiry (exclusive, Unix seconds) and the insertion that wrote it.
    map: HashMap<K, (V, i64, u64)>,
    /// Insertions, oldest first; an entry overwritten since is skipped.
    order: VecDeque<(K, u64)>,
    next: u64,
}

impl<K, V> std::fmt::Debug for TtlCache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TtlCache")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    pub fn new(name: &'static str, capacity: usize) -> Self {
        Self {
            name,
            capacity: capacity.max(1),
            inner: Mutex::new(Inner {
                map: HashMap::new(),
                order: VecDeque::new(),
                next: 0,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner<K, V>> {
        // A panic under the lock leaves at worst a stale entry behind.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The value under `key` if it has not expired at `now`.
    pub fn get(&self, key: &K, now: i64) -> Option<V> {
        let found = self.lookup(key, now);
        crate::metrics::cache_lookup(self.name, found.is_some());
        found
    }

    fn lookup(&self, key: &K, now: i64) -> Option<V> {
        let mut inner = self.lock();
        match inner.map.get(key) {
            Some((value, expires_at, _)) if *expires_at > now => Some(value.clone()),
            Some(_) => {
                inner.map.remove(key);
                None
            }
            None => None,
        }
    }

    /// Remember `value` under `key` until `expires_at`.
    pub fn insert(&self, key: K, value: V, expires_at: i64, now: i64) {
        let mut inner = self.lock();
        inner.next += 1;
        let seq = inner.next;
        inner.map.insert(key.clone(), (value, expires_at, seq));
        inner.order.push_back((key, seq));
        while let Some((front, front_seq)) = inner.order.front().cloned() {
            let current = inner
                .map
                .get(&front)
                .map(|(_, expires, seq)| (*expires, *seq));
            match current {
                // Overwritten or removed since: only the queue remembers it.
                Some((_, seq)) if seq != front_seq => {
                    inner.order.pop_front();
                }
                None => {
                    inner.order.pop_front();
                }
                Some((expires, _)) if expires <= now || inner.map.len() > self.capacity => {
                    inner.order.pop_front();
                    inner.map.remove(&front);
                }
                Some(_) => break,
            }
        }
        // Overwrites queued behind a long-lived front: rebuild, rarely.
        if inner.order.len() > 4 * self.capacity {
            let mut live: Vec<(K, u64)> = inner
                .map
                .iter()
                .map(|(k, (_, _, seq))| (k.clone(), *seq))
                .collect();
            live.sort_by_key(|(_, seq)| *seq);
            inner.order = live.into();
        }
    }

    pub fn remove(&self, key: &K) {
        self.lock().map.remove(key);
    }

    /// Forget every entry `keep` says no to (a scan: for rare events).
    pub fn retain(&self, keep: impl Fn(&K, &V) -> bool) {
        self.lock().map.retain(|k, (v, _, _)| keep(k, v));
    }

    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.map.clear();
        inner.order.clear();
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_by_the_given_time() {
        let cache = TtlCache::new("test", 10);
        cache.insert("a", 1, 100, 0);
        assert_eq!(cache.get(&"a", 99), Some(1));
        assert_eq!(cache.get(&"a", 100), None);
    }

    #[test]
    fn the_oldest_entries_leave_when_full() {
        let cache = TtlCache::new("test", 3);
        for (i, key) in ["a", "b", "c", "d"].into_iter().enumerate() {
            cache.insert(key, i, 1000, 0);
        }
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.get(&"a", 0), None);
        assert_eq!(cache.get(&"d", 0), Some(3));
    }

    #[test]
    fn overwriting_a_key_keeps_one_entry_and_the_newest_value() {
        let cache = TtlCache::new("test", 2);
        for i in 0..10_000 {
            cache.insert("k", i, 1000, 0);
        }
        cache.insert("other", 0, 1000, 0);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get(&"k", 0), Some(9_999));
        assert!(cache.lock().order.len() <= 8, "the queue stays bounded");
    }

    #[test]
    fn retain_and_clear_forget_what_they_say() {
        let cache = TtlCache::new("test", 10);
        for (i, key) in ["a", "b", "c"].into_iter().enumerate() {
            cache.insert(key, i, 1000, 0);
        }
        cache.retain(|_, v| *v != 1);
        assert_eq!(cache.get(&"b", 0), None);
        assert_eq!(cache.get(&"a", 0), Some(0));
        cache.clear();
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn expired_entries_make_room_first() {
        let cache = TtlCache::new("test", 2);
        cache.insert("short", 0, 10, 0);
        cache.insert("long", 1, 1000, 0);
        cache.insert("new", 2, 1000, 20);
        assert_eq!(cache.get(&"long", 20), Some(1));
        assert_eq!(cache.get(&"new", 20), Some(2));
    }
}
