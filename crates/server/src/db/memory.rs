//! What a key and its value take in memory, for MEMORY USAGE and MEMORY
//! STATS: the representation sized honestly, block by block, as Redis's
//! `objectComputeSize` sizes its own.
//!
//! Moat allocates through the system allocator (glibc malloc), so a heap
//! block of `n` bytes costs a malloc chunk: `n` plus an 8-byte header,
//! rounded up to 16, at least 32 ([`block`]). Inline parts (a value's enum
//! inside its key's slot) cost their `size_of`. Collections stored as one
//! packed buffer are sized exactly; hash tables and trees are sized from
//! their capacity plus their elements' own blocks, which are sampled as
//! Redis samples them: the first `samples` elements' average times the
//! element count (`usize::MAX` sizes every element).

use super::entry::Entry;
use super::hash::{HashValue, Pair};
use super::list::ListValue;
use super::packed::Packed;
use super::set::SetValue;
use super::slots::Slots;
use super::small_bytes::SmallBytes;
use super::value::{StrValue, Value};
use super::zset::ZSetValue;
use super::Db;
use hashbrown::HashTable;
use std::mem::size_of;

/// Redis's default for MEMORY USAGE (`OBJ_COMPUTE_SIZE_DEF_SAMPLES`).
pub const DEFAULT_SAMPLES: usize = 5;

pub use crate::alloc::block;

/// The heap bytes of a hashbrown table of `u32`s: one control byte per
/// bucket plus a group's worth of trailing control bytes, and 4 bytes per
/// bucket, in one block; buckets are a power of two holding 7/8 of them.
fn index_bytes(index: &HashTable<u32>) -> usize {
    let capacity = index.capacity();
    if capacity == 0 {
        return 0;
    }
    let buckets = if capacity < 8 {
        (capacity + 1).next_power_of_two()
    } else {
        (capacity * 8 / 7).next_power_of_two()
    };
    block(buckets * (size_of::<u32>() + 1) + 16)
}

/// A B-tree of `len` elements of `element` bytes (std's nodes hold 11
/// and are about half full when filled in order, as sorted sets and
/// streams mostly are): the leaves, and the internal nodes above them
/// (each with 12 child pointers, about one per five leaves all levels
/// together).
pub fn btree_bytes(len: usize, element: usize) -> usize {
    if len == 0 {
        return 0;
    }
    let leaves = len.div_ceil(6);
    let leaf = block(16 + 11 * element);
    let internal = block(16 + 11 * element + 12 * size_of::<usize>());
    leaves * leaf
        + leaves
            .div_ceil(6)
            .saturating_sub(1)
            .max(usize::from(leaves > 1))
            * internal
}

/// The average of `size` over the first `samples` items, times `len`.
pub fn sampled<'a, T: 'a>(
    items: impl Iterator<Item = &'a T>,
    len: usize,
    samples: usize,
    size: impl Fn(&T) -> usize,
) -> usize {
    let (mut seen, mut total) = (0usize, 0usize);
    for item in items.take(samples.max(1)) {
        seen += 1;
        total += size(item);
    }
    if seen == 0 {
        0
    } else {
        (total as f64 / seen as f64 * len as f64) as usize
    }
}

fn small_bytes(s: &SmallBytes) -> usize {
    match s {
        SmallBytes::Inline { .. } => 0,
        SmallBytes::Heap(b) => block(b.len()),
    }
}

fn packed(p: &Packed) -> usize {
    block(p.buf.len())
}

/// A [`Slots`] table: its slot vector, index and free list, and its
/// elements' own blocks (sampled).
fn slots<T: super::slots::Keyed>(
    table: &Slots<T>,
    samples: usize,
    element: impl Fn(&T) -> usize,
) -> usize {
    block(table.slots.capacity() * size_of::<Option<T>>())
        + index_bytes(&table.index)
        + block(table.free.capacity() * size_of::<u32>())
        + sampled(table.iter(), table.len(), samples, element)
}

/// Heap bytes a value owns beyond the enum inline in its key's slot.
/// Streams and JSON documents are sized by their own modules
/// (`stream_bytes` and `json_bytes`, given by the caller, which knows
/// their insides).
pub fn value_bytes(value: &Value, samples: usize, other: &dyn Fn(&Value, usize) -> usize) -> usize {
    match value {
        Value::Str(StrValue::Int(_)) => 0,
        Value::Str(StrValue::Short(_)) => 0,
        Value::Str(StrValue::Embstr(b)) => block(b.len()),
        Value::Str(StrValue::Raw(v)) => block(v.capacity()),
        Value::Hash(HashValue::Packed(p)) => packed(p),
        Value::Hash(HashValue::Table(t)) => {
            block(size_of::<Slots<Pair>>())
                + slots(t, samples, |pair| pair.heap_len().map_or(0, block))
        }
        Value::Set(SetValue::Compact(p)) => packed(p),
        Value::Set(SetValue::Table(t)) => {
            block(size_of::<Slots<SmallBytes>>()) + slots(t, samples, small_bytes)
        }
        Value::ZSet(ZSetValue::Packed(p)) => packed(p),
        Value::ZSet(ZSetValue::Skip(z)) => {
            // Members once, by name; the order is a tree of their slots.
            block(size_of::<super::zset::SkipList>())
                + z.order.heap_bytes(block)
                + slots(&z.members, samples, |(m, _)| small_bytes(m))
        }
        Value::List(ListValue::Small(p)) => packed(p),
        Value::List(ListValue::Quick(q)) => {
            block(size_of::<super::list::Quick>())
                + block(q.nodes.capacity() * size_of::<super::list::Node>())
                + sampled(q.nodes.iter(), q.nodes.len(), samples, |node| {
                    packed(&node.items)
                })
        }
        Value::Stream(_) | Value::Json(_) => other(value, samples),
    }
}

/// What one key costs besides its value's heap: its slot in the
/// database's table (the entry, with the value's enum inline), its share
/// of the table's index, and the key's own block (Redis: the `dictEntry`,
/// the `robj` and the key's sds).
pub fn entry_bytes(entry: &Entry) -> usize {
    size_of::<Option<Entry>>() + size_of::<u32>() + 1 + small_bytes(&entry.key)
}

impl Db {
    /// The bytes of the database's tables themselves, as Redis's MEMORY
    /// STATS `overhead.hashtable.main` and `.expires` (`dictMemUsage`,
    /// which leaves keys and values to the dataset): for the keys, the
    /// slot vector, index and free list; for the TTLs, the index of keys
    /// that have one.
    pub fn overhead_bytes(&self) -> (usize, usize) {
        let table = &self.table;
        let main = block(table.slots.capacity() * size_of::<Option<Entry>>())
            + index_bytes(&table.index)
            + block(table.free.capacity() * size_of::<u32>());
        (main, block(self.volatile.capacity() * size_of::<u32>()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Thresholds;

    fn no_other(_: &Value, _: usize) -> usize {
        0
    }

    #[test]
    fn blocks_follow_malloc_chunks() {
        assert_eq!(block(0), 0);
        assert_eq!(block(1), 32);
        assert_eq!(block(24), 32);
        assert_eq!(block(25), 48);
        assert_eq!(block(1000), 1008);
    }

    #[test]
    fn bigger_values_take_more() {
        let limits = Thresholds::default();
        let small = Value::string(b"abc");
        let big = Value::string(&[b'x'; 5000]);
        assert!(value_bytes(&big, 5, &no_other) > 5000);
        assert!(value_bytes(&small, 5, &no_other) < 64);
        let mut set = SetValue::create(Some(b"member"), 0, &limits);
        let mut sizes = Vec::new();
        for n in 0..2000 {
            set.add(format!("member-number-{n:08}").as_bytes(), &limits);
            if n % 500 == 499 {
                sizes.push(value_bytes(&Value::Set(set.clone()), usize::MAX, &no_other));
            }
        }
        assert!(sizes.windows(2).all(|w| w[0] < w[1]), "{sizes:?}");
        // Members are 22 bytes: inline, so sampling changes nothing.
        let set = Value::Set(set);
        assert_eq!(
            value_bytes(&set, 5, &no_other),
            value_bytes(&set, usize::MAX, &no_other)
        );
    }
}
