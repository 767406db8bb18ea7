//! WATCH: which clients watch which keys, and which of them a change has
//! already doomed (Redis's `CLIENT_DIRTY_CAS`).
//!
//! The table lives inside the keyspace, under the keyspace lock, because
//! every event that breaks a watch (a write through
//! [`super::Keyspace::key_modified`], an expiry, FLUSHDB, FLUSHALL,
//! SWAPDB) happens there. When nobody watches, the write path pays one
//! `is_empty` test.

use bytes::Bytes;
use hashbrown::{HashMap, HashSet};

/// For a key: whether it exists in a replacement database, and whether
/// it is logically expired there.
pub type ReplacementProbe<'a> = &'a dyn Fn(&[u8]) -> (bool, bool);

/// One client's watch on one key.
struct Watcher {
    client: u64,
    /// The key existed but had logically expired when it was watched;
    /// its deletion is then no change (Redis 7.0+).
    expired: bool,
}

#[derive(Default)]
pub struct WatchTable {
    keys: HashMap<(usize, Bytes), Vec<Watcher>>,
    dirty: HashSet<u64>,
}

impl WatchTable {
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Adds a watch; false if the client already watched the key.
    pub fn watch(&mut self, client: u64, db: usize, key: &Bytes, expired: bool) -> bool {
        let watchers = self.keys.entry((db, key.clone())).or_default();
        if watchers.iter().any(|w| w.client == client) {
            return false;
        }
        watchers.push(Watcher { client, expired });
        true
    }

    /// Forgets every watch of a client (EXEC, DISCARD, UNWATCH, RESET,
    /// disconnection).
    pub fn unwatch_all(&mut self, client: u64, keys: &[(usize, Bytes)]) {
        for key in keys {
            if let Some(watchers) = self.keys.get_mut(key) {
                watchers.retain(|w| w.client != client);
                if watchers.is_empty() {
                    self.keys.remove(key);
                }
            }
        }
        self.dirty.remove(&client);
    }

    /// Whether a change touched one of the client's watched keys.
    pub fn is_dirty(&self, client: u64) -> bool {
        self.dirty.contains(&client)
    }

    /// Whether the client's watch on a key was placed on an already
    /// expired key.
    pub fn watched_expired(&self, client: u64, db: usize, key: &[u8]) -> bool {
        self.keys
            .get(&(db, Bytes::copy_from_slice(key)))
            .and_then(|ws| ws.iter().find(|w| w.client == client))
            .is_some_and(|w| w.expired)
    }

    /// Redis's `touchWatchedKey`: `exists` says whether the key is still in
    /// the database after the change.
    pub fn touch(&mut self, db: usize, key: &[u8], exists: bool) {
        let Some(watchers) = self.keys.get_mut(&(db, Bytes::copy_from_slice(key))) else {
            return;
        };
        for watcher in watchers {
            if watcher.expired {
                // An already expired key was deleted: logically no change,
                // and from now on the key is an absent one. While it is
                // still there (RESTORE ... REPLACE put a new value in its
                // place without expiring it first), Redis leaves the watch
                // as it is: EXEC skips the expiry check of such a watch
                // and the change is not seen. (Redis also stops looking at
                // the key's later watchers there, a slip moat does not
                // copy: their watches break.)
                if !exists {
                    watcher.expired = false;
                }
                continue;
            }
            self.dirty.insert(watcher.client);
        }
    }

    /// Redis's `touchAllWatchedKeysInDb` for a database being emptied
    /// (`replaced_with` None) or swapped. The closures answer, for a key,
    /// whether it exists in the emptied database, and whether it exists /
    /// is logically expired in the replacement.
    pub fn touch_db(
        &mut self,
        db: usize,
        exists_in_emptied: impl Fn(&[u8]) -> bool,
        replacement: Option<ReplacementProbe<'_>>,
    ) {
        for ((key_db, key), watchers) in self.keys.iter_mut() {
            if *key_db != db {
                continue;
            }
            let in_emptied = exists_in_emptied(key);
            let (in_replacement, expired_in_replacement) =
                replacement.map_or((false, false), |r| r(key));
            if !in_emptied && !in_replacement {
                continue;
            }
            for watcher in watchers.iter_mut() {
                if watcher.expired {
                    if !in_replacement {
                        watcher.expired = false;
                        continue;
                    } else if expired_in_replacement {
                        continue;
                    }
                } else if !in_emptied && expired_in_replacement {
                    watcher.expired = true;
                    continue;
                }
                self.dirty.insert(watcher.client);
            }
        }
    }

    /// Watched keys across clients (INFO `total_watched_keys`).
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// Clients watching at least one key (INFO `watching_clients`).
    pub fn client_count(&self) -> usize {
        let clients: HashSet<u64> = self
            .keys
            .values()
            .flat_map(|ws| ws.iter().map(|w| w.client))
            .collect();
        clients.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> Bytes {
        Bytes::copy_from_slice(k.as_bytes())
    }

    #[test]
    fn a_write_dooms_every_watcher_of_the_key_only() {
        let mut table = WatchTable::default();
        assert!(table.watch(1, 0, &key("k"), false));
        assert!(!table.watch(1, 0, &key("k"), false));
        table.watch(2, 0, &key("k"), false);
        table.watch(3, 0, &key("other"), false);
        table.watch(4, 1, &key("k"), false);
        table.touch(0, b"k", true);
        assert!(table.is_dirty(1) && table.is_dirty(2));
        assert!(!table.is_dirty(3) && !table.is_dirty(4));
        table.unwatch_all(1, &[(0, key("k"))]);
        assert!(!table.is_dirty(1));
        assert_eq!(table.key_count(), 3);
        assert_eq!(table.client_count(), 3);
    }

    #[test]
    fn deleting_a_key_that_was_expired_when_watched_is_no_change() {
        let mut table = WatchTable::default();
        table.watch(1, 0, &key("k"), true);
        table.touch(0, b"k", false);
        assert!(!table.is_dirty(1));
        assert!(!table.watched_expired(1, 0, b"k"));
        // From now on the key is absent, and creating it is a change.
        table.touch(0, b"k", true);
        assert!(table.is_dirty(1));
    }

    #[test]
    fn replacing_a_key_that_was_expired_when_watched_is_no_change_either() {
        let mut table = WatchTable::default();
        table.watch(1, 0, &key("k"), true);
        table.watch(2, 0, &key("k"), false);
        table.touch(0, b"k", true);
        assert!(!table.is_dirty(1));
        assert!(table.watched_expired(1, 0, b"k"));
        assert!(table.is_dirty(2));
    }

    #[test]
    fn flush_and_swap_touch_only_keys_that_exist() {
        let mut table = WatchTable::default();
        table.watch(1, 0, &key("present"), false);
        table.watch(2, 0, &key("absent"), false);
        table.touch_db(0, |k| k == b"present", None);
        assert!(table.is_dirty(1) && !table.is_dirty(2));
        // SWAPDB brings in an expired key where none was: the watch now
        // counts it as expired instead of breaking.
        let probe = |k: &[u8]| (k == b"absent", k == b"absent");
        table.touch_db(0, |_| false, Some(&probe));
        assert!(!table.is_dirty(2));
        assert!(table.watched_expired(2, 0, b"absent"));
    }
}
