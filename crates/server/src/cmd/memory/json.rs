//! What a JSON document takes: every node's enum, strings' and arrays'
//! blocks, and objects' entry vectors and hash indexes (`IndexMap`),
//! walked in full as RedisJSON's own `mem_usage` does.

use crate::cmd::json::Json;
use crate::db::memory::block;
use std::mem::size_of;

/// Heap bytes of a document behind its box (the root's enum included).
pub fn heap_bytes(doc: &Json) -> usize {
    block(size_of::<Json>()) + children(doc)
}

fn children(node: &Json) -> usize {
    match node {
        Json::Null | Json::Bool(_) | Json::Int(_) | Json::UInt(_) | Json::Float(_) => 0,
        Json::Str(s) => block(s.capacity()),
        Json::Array(items) => {
            block(items.capacity() * size_of::<Json>()) + items.iter().map(children).sum::<usize>()
        }
        Json::Object(map) => {
            // Entries (hash, key, value) in one vector, the index in a
            // hashbrown table of `usize` positions.
            let entry = size_of::<u64>() + size_of::<String>() + size_of::<Json>();
            let buckets = (map.capacity() * 8 / 7).next_power_of_two();
            block(map.capacity() * entry)
                + block(buckets * (size_of::<usize>() + 1) + 16)
                + map
                    .iter()
                    .map(|(k, v)| block(k.capacity()) + children(v))
                    .sum::<usize>()
        }
    }
}
