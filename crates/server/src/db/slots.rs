//! [`Slots`]: the hash table behind big hashes, sets and sorted sets.
//!
//! HSCAN, SSCAN and ZSCAN promise what SCAN promises: an element present
//! for the whole iteration is returned. As in the keyspace's `SlotTable`,
//! elements live in slots that never move while they exist, an index maps
//! an element's key to its slot, and the scan cursor is the next slot
//! number. Random sampling (SPOP, SRANDMEMBER, HRANDFIELD...) picks random
//! slots.

use hashbrown::hash_map::DefaultHashBuilder;
use hashbrown::HashTable;
use rand::Rng;
use std::hash::BuildHasher;

/// An element stored in [`Slots`], identified by its key bytes.
pub trait Keyed {
    fn key(&self) -> &[u8];
}

impl Keyed for Box<[u8]> {
    fn key(&self) -> &[u8] {
        self
    }
}

impl Keyed for super::small_bytes::SmallBytes {
    fn key(&self) -> &[u8] {
        self
    }
}

impl<K: std::ops::Deref<Target = [u8]>, V> Keyed for (K, V) {
    fn key(&self) -> &[u8] {
        &self.0
    }
}

/// Elements with stable slot numbers and O(1) lookup by key.
#[derive(Clone)]
pub struct Slots<T> {
    pub(super) slots: Vec<Option<T>>,
    pub(super) index: HashTable<u32>,
    hasher: DefaultHashBuilder,
    pub(super) free: Vec<u32>,
}

impl<T> Default for Slots<T> {
    fn default() -> Slots<T> {
        Slots {
            slots: Vec::new(),
            index: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
            free: Vec::new(),
        }
    }
}

impl<T: Keyed + PartialEq> PartialEq for Slots<T> {
    /// Same elements, wherever they sit.
    fn eq(&self, other: &Slots<T>) -> bool {
        self.len() == other.len() && self.iter().all(|e| other.get(e.key()) == Some(e))
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Slots<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.slots.iter().flatten()).finish()
    }
}

impl<T: Keyed> Slots<T> {
    pub fn with_capacity(n: usize) -> Slots<T> {
        Slots {
            slots: Vec::with_capacity(n),
            index: HashTable::with_capacity(n),
            hasher: DefaultHashBuilder::default(),
            free: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// One past the highest slot in use: where a scan ends.
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// The slot holding the element with `key`.
    pub fn find_slot(&self, key: &[u8]) -> Option<u32> {
        let hash = self.hasher.hash_one(key);
        let slots = &self.slots;
        self.index
            .find(hash, |&s| {
                slots[s as usize].as_ref().is_some_and(|e| e.key() == key)
            })
            .copied()
    }

    pub fn get(&self, key: &[u8]) -> Option<&T> {
        let slot = self.find_slot(key)?;
        self.slots[slot as usize].as_ref()
    }

    /// The element in `slot`.
    pub fn at(&self, slot: u32) -> Option<&T> {
        self.slots.get(slot as usize)?.as_ref()
    }

    /// The element in `slot`, to change in place (its key must stay).
    pub fn at_mut(&mut self, slot: u32) -> Option<&mut T> {
        self.slots.get_mut(slot as usize)?.as_mut()
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut T> {
        let slot = self.find_slot(key)?;
        self.slots[slot as usize].as_mut()
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        self.find_slot(key).is_some()
    }

    /// Stores an element whose key is absent (callers check first);
    /// returns its slot.
    pub fn insert_new(&mut self, element: T) -> u32 {
        let hash = self.hasher.hash_one(element.key());
        let slot = loop {
            match self.free.pop() {
                Some(s) if self.slots.get(s as usize).is_some_and(Option::is_none) => break s,
                Some(_) => {}
                None => {
                    self.slots.push(None);
                    break (self.slots.len() - 1) as u32;
                }
            }
        };
        self.slots[slot as usize] = Some(element);
        let (slots, hasher) = (&self.slots, &self.hasher);
        self.index.insert_unique(hash, slot, |&s| {
            hasher.hash_one(slots[s as usize].as_ref().map_or(&[][..], Keyed::key))
        });
        slot
    }

    /// Removes and returns the element with `key`.
    pub fn remove(&mut self, key: &[u8]) -> Option<T> {
        let slot = self.find_slot(key)?;
        self.remove_slot(slot)
    }

    /// Removes and returns the element in `slot`.
    pub fn remove_slot(&mut self, slot: u32) -> Option<T> {
        let element = self.slots.get_mut(slot as usize)?.take()?;
        let hash = self.hasher.hash_one(element.key());
        if let Ok(found) = self.index.find_entry(hash, |&s| s == slot) {
            found.remove();
        }
        self.free.push(slot);
        while matches!(self.slots.last(), Some(None)) {
            self.slots.pop();
        }
        if self.slots.is_empty() {
            self.free.clear();
        }
        Some(element)
    }

    /// Every element, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.slots.iter().flatten()
    }

    /// Visits the elements of slots `cursor..` until about `count` were
    /// visited; returns the next cursor, 0 at the end.
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&T)) -> u64 {
        let Ok(start) = usize::try_from(cursor) else {
            return 0;
        };
        let mut visited = 0;
        let mut pos = start;
        while pos < self.slots.len() {
            if let Some(element) = &self.slots[pos] {
                visit(element);
                visited += 1;
            }
            pos += 1;
            if visited >= count {
                break;
            }
        }
        if pos >= self.slots.len() {
            0
        } else {
            pos as u64
        }
    }

    /// A random element's slot: a random slot, or the next occupied one
    /// after it. Like Redis's `dictGetRandomKey` this is only roughly
    /// uniform (elements after long runs of free slots are favoured), and
    /// it costs O(slots / elements) however sparse deletions left the
    /// table, so popping a set empty stays cheap.
    fn random_slot(&self, rng: &mut impl Rng) -> Option<u32> {
        if self.is_empty() {
            return None;
        }
        let n = self.slots.len();
        let start = rng.gen_range(0..n);
        (start..n)
            .chain(0..start)
            .find(|&slot| self.slots[slot].is_some())
            .map(|slot| slot as u32)
    }

    /// A random element.
    pub fn random(&self, rng: &mut impl Rng) -> Option<&T> {
        let slot = self.random_slot(rng)?;
        self.slots[slot as usize].as_ref()
    }

    /// Removes and returns a random element.
    pub fn pop_random(&mut self, rng: &mut impl Rng) -> Option<T> {
        let slot = self.random_slot(rng)?;
        self.remove_slot(slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(s: &str) -> Box<[u8]> {
        s.as_bytes().into()
    }

    #[test]
    fn scan_sees_stable_elements_despite_changes() {
        let mut set: Slots<Box<[u8]>> = Slots::default();
        for i in 0..100 {
            set.insert_new(member(&i.to_string()));
        }
        let mut seen = Vec::new();
        let mut cursor = set.scan(0, 10, |e| seen.push(e.clone()));
        let mut round = 0;
        while cursor != 0 {
            set.insert_new(member(&format!("new{round}")));
            set.remove(format!("{round}").as_bytes());
            round += 1;
            cursor = set.scan(cursor, 10, |e| seen.push(e.clone()));
        }
        for i in round..100 {
            assert!(seen.contains(&member(&i.to_string())), "{i}");
        }
    }

    #[test]
    fn random_pops_empty_the_table() {
        let mut set: Slots<Box<[u8]>> = Slots::default();
        for i in 0..50 {
            set.insert_new(member(&i.to_string()));
        }
        let mut rng = rand::thread_rng();
        let mut popped = 0;
        while set.pop_random(&mut rng).is_some() {
            popped += 1;
        }
        assert_eq!(popped, 50);
        assert!(set.is_empty());
        assert_eq!(set.slot_count(), 0);
    }
}
