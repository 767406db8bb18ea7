//! What a stream takes in memory (MEMORY USAGE), on the model of
//! [`crate::db::memory`]: the entry tree with each entry's field vector
//! and strings (sampled, as Redis samples a stream's listpack nodes), the
//! node bookkeeping, and every consumer group's PEL and consumers.

use super::groups::{Consumer, Group, Pending};
use super::id::StreamId;
use super::store::{Fields, Node, Stream};
use crate::db::memory::{block, btree_bytes, sampled};
use bytes::Bytes;
use std::mem::size_of;

fn entry_bytes(fields: &Fields) -> usize {
    block(fields.capacity() * size_of::<(Bytes, Bytes)>())
        + fields
            .iter()
            .map(|(f, v)| block(f.len()) + block(v.len()))
            .sum::<usize>()
}

fn group_bytes(group: &Group) -> usize {
    btree_bytes(group.pel.len(), size_of::<(StreamId, Pending)>())
        + btree_bytes(group.consumers.len(), size_of::<(Bytes, Consumer)>())
        + group
            .consumers
            .iter()
            .map(|(name, c)| block(name.len()) + btree_bytes(c.pel.len(), size_of::<StreamId>()))
            .sum::<usize>()
}

/// Heap bytes of `s` beyond its box's pointer, `samples` entries averaged.
pub fn heap_bytes(s: &Stream, samples: usize) -> usize {
    block(size_of::<Stream>())
        + btree_bytes(s.entries.len(), size_of::<(StreamId, Fields)>())
        + sampled(s.entries.values(), s.entries.len(), samples, entry_bytes)
        + btree_bytes(s.node_count(), size_of::<(StreamId, Node)>())
        + btree_bytes(s.groups.len(), size_of::<(Bytes, Group)>())
        + s.groups
            .iter()
            .map(|(name, g)| block(name.len()) + group_bytes(g))
            .sum::<usize>()
}
