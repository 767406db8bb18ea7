//! One numbered database: keys, their TTLs, and the index of keys that
//! have a TTL (which active expiry samples from).

use super::entry::{Entry, NOT_VOLATILE};
use super::table::SlotTable;
use super::value::Value;
use rand::Rng;

/// After this many misses, RANDOMKEY stops sampling a sparse table and
/// walks to the next occupied slot instead, which bounds its work.
const RANDOM_SAMPLE_TRIES: usize = 32;

/// The result of looking a key up with lazy expiry applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    Found(u32),
    Missing,
    /// The key existed but its TTL had passed; it has just been deleted.
    Expired,
}

impl Lookup {
    pub fn slot(self) -> Option<u32> {
        match self {
            Lookup::Found(slot) => Some(slot),
            _ => None,
        }
    }
}

/// One database.
#[derive(Default)]
pub struct Db {
    pub(super) table: SlotTable,
    /// Slots of the keys that have a TTL.
    pub(super) volatile: Vec<u32>,
    /// Redis's running estimate of the average remaining TTL (INFO).
    pub(super) avg_ttl_ms: i64,
}

impl Db {
    /// Number of keys (expired keys not yet reclaimed included, as in
    /// Redis's DBSIZE).
    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.len() == 0
    }

    /// Number of keys with a TTL.
    pub fn volatile_len(&self) -> usize {
        self.volatile.len()
    }

    /// Finds `key`, deleting it first if it has expired at `now_ms`.
    pub fn lookup(&mut self, key: &[u8], now_ms: i64) -> Lookup {
        match self.table.find(key) {
            None => Lookup::Missing,
            Some(slot) => {
                if self.entry(slot).is_some_and(|e| e.is_expired(now_ms)) {
                    self.remove_slot(slot);
                    Lookup::Expired
                } else {
                    Lookup::Found(slot)
                }
            }
        }
    }

    /// Finds `key` without expiring it.
    pub fn find(&self, key: &[u8]) -> Option<u32> {
        self.table.find(key)
    }

    pub fn entry(&self, slot: u32) -> Option<&Entry> {
        self.table.get(slot)
    }

    pub fn entry_mut(&mut self, slot: u32) -> Option<&mut Entry> {
        self.table.get_mut(slot)
    }

    /// Adds a key that is not present; returns its slot.
    pub fn insert_new(&mut self, key: &[u8], value: Value, access: u32) -> u32 {
        self.table.insert_new(Entry::new(key, value, access))
    }

    /// Adds a whole entry (with its TTL) under a key that is not present.
    pub fn insert_entry(&mut self, mut entry: Entry) -> u32 {
        let expire_at = entry.expire_at();
        entry.set_expire_at(None);
        entry.volatile_pos = NOT_VOLATILE;
        let slot = self.table.insert_new(entry);
        self.set_expire(slot, expire_at);
        slot
    }

    /// Deletes the key at `slot` and returns it, TTL included.
    pub fn remove_slot(&mut self, slot: u32) -> Option<Entry> {
        let expire_at = self.table.get(slot)?.expire_at();
        self.set_expire(slot, None);
        let mut entry = self.table.remove(slot)?;
        entry.set_expire_at(expire_at);
        Some(entry)
    }

    /// Sets or clears the TTL of the key at `slot`.
    pub fn set_expire(&mut self, slot: u32, at_ms: Option<i64>) {
        let Some(entry) = self.table.get_mut(slot) else {
            return;
        };
        let was_volatile = entry.volatile_pos != NOT_VOLATILE;
        let position = entry.volatile_pos;
        entry.set_expire_at(at_ms);
        match (was_volatile, at_ms.is_some()) {
            (false, true) => {
                entry.volatile_pos = self.volatile.len() as u32;
                self.volatile.push(slot);
            }
            (true, false) => {
                entry.volatile_pos = NOT_VOLATILE;
                self.volatile.swap_remove(position as usize);
                if let Some(&moved) = self.volatile.get(position as usize) {
                    if let Some(moved_entry) = self.table.get_mut(moved) {
                        moved_entry.volatile_pos = position;
                    }
                }
            }
            _ => {}
        }
    }

    /// Drops every key; returns how many there were.
    pub fn clear(&mut self) -> usize {
        let removed = self.len();
        *self = Db::default();
        removed
    }

    /// Visits occupied slots from `cursor` on, stopping after `count`
    /// keys or `10 * count` slots (so a sparse stretch cannot stall a
    /// call, as in Redis). Returns the next cursor, 0 when done.
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&Entry)) -> u64 {
        let end = self.table.slot_count();
        let Ok(start) = usize::try_from(cursor) else {
            return 0;
        };
        let max_slots = count.saturating_mul(10).max(1);
        let mut returned = 0;
        let mut slot = start;
        while slot < end && returned < count && slot - start < max_slots {
            if let Some(entry) = self.table.get(slot as u32) {
                visit(entry);
                returned += 1;
            }
            slot += 1;
        }
        if slot >= end {
            0
        } else {
            slot as u64
        }
    }

    /// All entries in slot order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.table.occupied_from(0).map(|(_, entry)| entry)
    }

    /// A uniformly chosen occupied slot (best effort on very sparse tables).
    pub fn random_slot(&self, rng: &mut impl Rng) -> Option<u32> {
        let end = self.table.slot_count();
        if self.is_empty() {
            return None;
        }
        for _ in 0..RANDOM_SAMPLE_TRIES {
            let slot = rng.gen_range(0..end);
            if self.table.is_occupied(slot) {
                return Some(slot as u32);
            }
        }
        let start = rng.gen_range(0..end);
        self.table
            .occupied_from(start)
            .next()
            .or_else(|| self.table.occupied_from(0).next())
            .map(|(slot, _)| slot)
    }

    /// A uniformly chosen key with a TTL.
    pub fn random_volatile_slot(&self, rng: &mut impl Rng) -> Option<u32> {
        if self.volatile.is_empty() {
            return None;
        }
        Some(self.volatile[rng.gen_range(0..self.volatile.len())])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db_with(keys: &[&str]) -> Db {
        let mut db = Db::default();
        for key in keys {
            db.insert_new(key.as_bytes(), Value::string(b"v"), 0);
        }
        db
    }

    #[test]
    fn lookup_expires_lazily() {
        let mut db = db_with(&["a"]);
        let slot = db.find(b"a").unwrap();
        db.set_expire(slot, Some(100));
        assert_eq!(db.lookup(b"a", 100), Lookup::Found(slot));
        assert_eq!(db.lookup(b"a", 101), Lookup::Expired);
        assert_eq!(db.lookup(b"a", 101), Lookup::Missing);
        assert_eq!(db.volatile_len(), 0);
    }

    #[test]
    fn volatile_index_tracks_ttls_through_removals() {
        let mut db = db_with(&["a", "b", "c"]);
        for key in ["a", "b", "c"] {
            let slot = db.find(key.as_bytes()).unwrap();
            db.set_expire(slot, Some(1000));
        }
        let b = db.find(b"b").unwrap();
        db.set_expire(b, None);
        let a = db.find(b"a").unwrap();
        db.remove_slot(a);
        assert_eq!(db.volatile_len(), 1);
        let c = db.find(b"c").unwrap();
        assert_eq!(db.entry(c).unwrap().expire_at(), Some(1000));
        db.set_expire(c, None);
        assert_eq!(db.volatile_len(), 0);
    }

    #[test]
    fn scan_walks_slots_and_ends_with_zero() {
        let db = db_with(&["a", "b", "c", "d", "e"]);
        let mut seen = Vec::new();
        let mut cursor = 0;
        loop {
            cursor = db.scan(cursor, 2, |e| seen.push(e.key().to_vec()));
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 5);
    }

    #[test]
    fn random_slot_finds_the_only_key_in_a_sparse_table() {
        let mut db = db_with(&["a"]);
        for n in 0..1000 {
            db.insert_new(format!("k{n}").as_bytes(), Value::string(b"v"), 0);
        }
        for n in 0..999 {
            let slot = db.find(format!("k{n}").as_bytes()).unwrap();
            db.remove_slot(slot);
        }
        db.remove_slot(db.find(b"a").unwrap());
        let mut rng = rand::thread_rng();
        let slot = db.random_slot(&mut rng).unwrap();
        assert_eq!(db.entry(slot).unwrap().key(), b"k999");
    }
}
