//! A hash table whose entries never move: the basis of SCAN's guarantee.
//!
//! Redis's SCAN promises that a key present for the whole iteration is
//! returned at least once, even while the table grows or shrinks; Redis
//! gets there with reverse-binary cursors over power-of-two buckets. Here
//! the entries live in a `Vec` of *slots* and a separate index maps a key
//! to its slot number, so:
//!
//! * a slot keeps its entry until the key is deleted: growing the index
//!   rehashes only the index, never the slots;
//! * freed slots are reused through a free list, and only trailing free
//!   slots are truncated, so no live entry ever changes position;
//! * the SCAN cursor is simply the next slot number to visit. A key
//!   present for the whole scan sits at a fixed slot that the cursor
//!   passes exactly once, so it is returned (exactly once, even).
//!
//! Get, insert and delete stay O(1) on average (one index probe plus a
//! slot access), and the index stores only a `u32` per key, so the key
//! bytes are held once.

use super::entry::Entry;
use hashbrown::hash_map::DefaultHashBuilder;
use hashbrown::HashTable;
use std::hash::BuildHasher;

/// Key → entry storage with stable slot numbers.
#[derive(Default)]
pub struct SlotTable {
    pub(super) slots: Vec<Option<Entry>>,
    pub(super) index: HashTable<u32>,
    hasher: DefaultHashBuilder,
    /// Candidate free slots; entries can be stale (already reused or
    /// truncated away) and are re-checked when taken.
    pub(super) free: Vec<u32>,
}

impl SlotTable {
    /// Number of keys.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// One past the highest slot number in use: the end of a SCAN.
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// The slot holding `key`.
    pub fn find(&self, key: &[u8]) -> Option<u32> {
        let hash = self.hasher.hash_one(key);
        let slots = &self.slots;
        self.index
            .find(hash, |&slot| {
                slots[slot as usize]
                    .as_ref()
                    .is_some_and(|e| e.key() == key)
            })
            .copied()
    }

    pub fn get(&self, slot: u32) -> Option<&Entry> {
        self.slots.get(slot as usize)?.as_ref()
    }

    pub fn get_mut(&mut self, slot: u32) -> Option<&mut Entry> {
        self.slots.get_mut(slot as usize)?.as_mut()
    }

    /// Stores an entry whose key is not present yet; returns its slot.
    pub fn insert_new(&mut self, entry: Entry) -> u32 {
        debug_assert!(
            self.find(entry.key()).is_none(),
            "insert_new on a present key"
        );
        let hash = self.hasher.hash_one(entry.key());
        let slot = self.take_free_slot();
        self.slots[slot as usize] = Some(entry);
        let (slots, hasher) = (&self.slots, &self.hasher);
        self.index.insert_unique(hash, slot, |&s| {
            let key = slots[s as usize].as_ref().map_or(&[][..], Entry::key);
            hasher.hash_one(key)
        });
        slot
    }

    /// Removes the entry at `slot`, if any.
    pub fn remove(&mut self, slot: u32) -> Option<Entry> {
        let entry = self.slots.get_mut(slot as usize)?.take()?;
        let hash = self.hasher.hash_one(entry.key());
        if let Ok(found) = self.index.find_entry(hash, |&s| s == slot) {
            found.remove();
        }
        self.free.push(slot);
        self.trim_trailing_free();
        Some(entry)
    }

    /// Occupied slots in `from..` order, for SCAN and sampling.
    pub fn occupied_from(&self, from: usize) -> impl Iterator<Item = (u32, &Entry)> {
        self.slots
            .iter()
            .enumerate()
            .skip(from)
            .filter_map(|(slot, entry)| Some((slot as u32, entry.as_ref()?)))
    }

    /// Whether `slot` currently holds an entry.
    pub fn is_occupied(&self, slot: usize) -> bool {
        self.slots.get(slot).is_some_and(Option::is_some)
    }

    fn take_free_slot(&mut self) -> u32 {
        while let Some(slot) = self.free.pop() {
            if self.slots.get(slot as usize).is_some_and(Option::is_none) {
                return slot;
            }
        }
        self.slots.push(None);
        (self.slots.len() - 1) as u32
    }

    /// Truncating only the tail keeps every live entry where it is.
    fn trim_trailing_free(&mut self) {
        while matches!(self.slots.last(), Some(None)) {
            self.slots.pop();
        }
        if self.slots.is_empty() {
            self.free.clear();
        }
        if self.slots.capacity() > 64 && self.slots.len() < self.slots.capacity() / 4 {
            self.slots.shrink_to(self.slots.len() * 2);
        }
        if self.free.capacity() > 64 && self.free.len() < self.free.capacity() / 4 {
            self.free.shrink_to(self.free.len() * 2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::value::Value;

    fn entry(key: &str) -> Entry {
        Entry::new(key.as_bytes(), Value::string(b"v"), 0)
    }

    #[test]
    fn slots_are_stable_and_reused() {
        let mut table = SlotTable::default();
        let a = table.insert_new(entry("a"));
        let b = table.insert_new(entry("b"));
        let c = table.insert_new(entry("c"));
        assert_eq!((a, b, c), (0, 1, 2));
        table.remove(b);
        assert_eq!(table.find(b"a"), Some(0));
        assert_eq!(table.find(b"c"), Some(2));
        assert_eq!(table.find(b"b"), None);
        assert_eq!(table.insert_new(entry("d")), 1);
        assert_eq!(table.len(), 3);
    }

    #[test]
    fn trailing_free_slots_are_truncated_and_stale_free_entries_skipped() {
        let mut table = SlotTable::default();
        for key in ["a", "b", "c"] {
            table.insert_new(entry(key));
        }
        table.remove(1);
        table.remove(2);
        assert_eq!(table.slot_count(), 1);
        assert_eq!(table.insert_new(entry("x")), 1);
        assert_eq!(table.insert_new(entry("y")), 2);
        assert_eq!(table.insert_new(entry("z")), 3);
        assert_eq!(table.find(b"x"), Some(1));
        assert_eq!(table.find(b"y"), Some(2));
        assert_eq!(table.len(), 4);
    }
}
