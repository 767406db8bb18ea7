//! The stream value: entries by id, the listpack nodes Redis would have
//! grouped them in, and the stream's counters.
//!
//! Entries live in one `BTreeMap` keyed by id, which serves ranges in
//! both directions. Alongside it, [`Node`] records the boundaries and
//! sizes of the listpacks Redis would have built (see [`super::listpack`]),
//! because approximate trimming, `XINFO STREAM`'s `radix-tree-keys` and
//! when a new node starts are observable.

use super::groups::Group;
use super::id::StreamId;
use super::listpack;
use bytes::Bytes;
use std::collections::BTreeMap;

/// `STREAM_LISTPACK_MAX_SIZE`: a listpack never grows past 1 GiB.
const LISTPACK_MAX_SIZE: usize = 1 << 30;

/// `stream-node-max-entries` and `stream-node-max-bytes` as Redis reads
/// them: 0 entries means no count limit, 0 bytes the listpack maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeLimits {
    pub max_entries: usize,
    pub max_bytes: usize,
}

impl NodeLimits {
    pub fn new(max_entries: usize, max_bytes: usize) -> NodeLimits {
        let max_bytes = if max_bytes == 0 || max_bytes > LISTPACK_MAX_SIZE {
            LISTPACK_MAX_SIZE
        } else {
            max_bytes
        };
        NodeLimits {
            max_entries,
            max_bytes,
        }
    }

    /// The work limit of approximate trimming without LIMIT.
    pub fn default_trim_limit(self) -> usize {
        match self.max_entries.saturating_mul(100) {
            0 => 10_000,
            n if n > LISTPACK_MAX_SIZE => 10_000,
            n => n,
        }
    }
}

impl Default for NodeLimits {
    fn default() -> NodeLimits {
        NodeLimits::new(100, 4096)
    }
}

/// One entry's field-value pairs, in the order given.
pub type Fields = Vec<(Bytes, Bytes)>;

/// A node's master id, master field names and live entries.
pub type NodeContents<'a> = (StreamId, &'a [Bytes], Vec<(StreamId, &'a Fields)>);

/// The bookkeeping of one listpack node (its entries are in
/// [`Stream::entries`], from the node's master id to the next node's).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Field names of the node's first entry, which later entries with the
    /// same names are compressed against.
    master_fields: Vec<Bytes>,
    /// Live entries.
    live: usize,
    /// Entries flagged deleted but still in the listpack.
    deleted: usize,
    /// The highest id ever stored in the node, deleted or not.
    last_id: StreamId,
    /// Bytes of the master fields and of every entry, counters excluded.
    body_bytes: usize,
}

impl Node {
    fn bytes(&self) -> usize {
        listpack::EMPTY_SIZE
            + listpack::int_size(self.live as i64)
            + listpack::int_size(self.deleted as i64)
            + self.body_bytes
    }
}

/// A stream.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stream {
    pub entries: BTreeMap<StreamId, Fields>,
    /// Nodes by master id (the radix tree keys).
    nodes: BTreeMap<StreamId, Node>,
    /// The id of the last entry ever added (or set by XSETID).
    pub last_id: StreamId,
    /// The first live entry's id, 0-0 when empty.
    pub first_id: StreamId,
    /// The highest id ever deleted by XDEL.
    pub max_deleted_id: StreamId,
    /// Entries ever added.
    pub entries_added: u64,
    /// Consumer groups by name (Redis keeps them in a radix tree, so
    /// listings are in byte order).
    pub groups: BTreeMap<Bytes, Group>,
}

impl Stream {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Number of listpack nodes (`radix-tree-keys`).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The master ids of the nodes, in order.
    pub fn node_keys(&self) -> impl Iterator<Item = StreamId> + '_ {
        self.nodes.keys().copied()
    }

    /// Each node's master id and field names with its live entries, in
    /// order: what an RDB file records.
    pub fn node_contents(&self) -> Vec<NodeContents<'_>> {
        let masters: Vec<StreamId> = self.nodes.keys().copied().collect();
        masters
            .iter()
            .enumerate()
            .map(|(i, master)| {
                let entries = match masters.get(i + 1) {
                    Some(next) => self.entries.range(*master..*next),
                    None => self.entries.range(*master..),
                };
                (
                    *master,
                    &self.nodes[master].master_fields[..],
                    entries.map(|(id, f)| (*id, f)).collect(),
                )
            })
            .collect()
    }

    /// The last live entry's id, 0-0 when empty (`streamLastValidID`).
    pub fn last_valid_id(&self) -> StreamId {
        self.entries
            .last_key_value()
            .map_or(StreamId::MIN, |(id, _)| *id)
    }

    /// Appends an entry whose id was checked to be above `last_id`
    /// (`streamAppendItem` after its id checks).
    pub fn append(&mut self, id: StreamId, fields: Fields, limits: NodeLimits) {
        let total_len: usize = fields.iter().map(|(f, v)| f.len() + v.len()).sum();
        let tail_full = self.nodes.last_key_value().is_none_or(|(_, node)| {
            node.bytes() + total_len >= limits.max_bytes
                || (limits.max_entries != 0 && node.live + node.deleted >= limits.max_entries)
        });
        if tail_full {
            let master_fields: Vec<Bytes> = fields.iter().map(|(f, _)| f.clone()).collect();
            let mut body = listpack::int_size(master_fields.len() as i64) + listpack::int_size(0);
            body += master_fields
                .iter()
                .map(|f| listpack::str_size(f))
                .sum::<usize>();
            self.nodes.insert(
                id,
                Node {
                    master_fields,
                    live: 0,
                    deleted: 0,
                    last_id: id,
                    body_bytes: body,
                },
            );
        }
        let (master_id, node) = self
            .nodes
            .iter_mut()
            .next_back()
            .expect("a tail node exists: created above when missing");
        let same_fields = node.master_fields.len() == fields.len()
            && node
                .master_fields
                .iter()
                .zip(&fields)
                .all(|(m, (f, _))| m == f);
        // flags, ms delta and seq delta, as the wrapping differences Redis
        // stores in signed listpack integers.
        let mut size = listpack::int_size(if same_fields { 2 } else { 0 })
            + listpack::int_size(id.ms.wrapping_sub(master_id.ms) as i64)
            + listpack::int_size(id.seq.wrapping_sub(master_id.seq) as i64);
        let pieces = if same_fields {
            fields.len() + 3
        } else {
            size += listpack::int_size(fields.len() as i64);
            size += fields
                .iter()
                .map(|(f, _)| listpack::str_size(f))
                .sum::<usize>();
            fields.len() * 2 + 4
        };
        size += fields
            .iter()
            .map(|(_, v)| listpack::str_size(v))
            .sum::<usize>();
        size += listpack::int_size(pieces as i64);
        node.body_bytes += size;
        node.live += 1;
        node.last_id = id;
        self.entries.insert(id, fields);
        self.entries_added += 1;
        self.last_id = id;
        if self.entries.len() == 1 {
            self.first_id = id;
        }
    }

    /// The master id of the node holding `id`.
    fn node_of(&self, id: StreamId) -> Option<StreamId> {
        self.nodes.range(..=id).next_back().map(|(k, _)| *k)
    }

    /// Deletes one entry (`streamDeleteItem`); a node left without live
    /// entries is freed. Does not update `first_id`.
    pub fn delete(&mut self, id: StreamId) -> bool {
        if self.entries.remove(&id).is_none() {
            return false;
        }
        if let Some(master) = self.node_of(id) {
            let node = self.nodes.get_mut(&master).expect("found just above");
            node.live -= 1;
            node.deleted += 1;
            if node.live == 0 {
                self.nodes.remove(&master);
            }
        }
        true
    }

    /// Recomputes `first_id` after deletions.
    pub fn refresh_first_id(&mut self) {
        self.first_id = self
            .entries
            .first_key_value()
            .map_or(StreamId::MIN, |(id, _)| *id);
    }

    /// Removes the first node with all its entries; returns how many
    /// live entries it held.
    fn remove_first_node(&mut self) -> usize {
        let Some((master, node)) = self.nodes.pop_first() else {
            return 0;
        };
        let end = self.nodes.first_key_value().map(|(k, _)| *k);
        let doomed: Vec<StreamId> = match end {
            Some(end) => self.entries.range(master..end).map(|(k, _)| *k).collect(),
            None => self.entries.range(master..).map(|(k, _)| *k).collect(),
        };
        for id in &doomed {
            self.entries.remove(id);
        }
        debug_assert_eq!(doomed.len(), node.live);
        doomed.len()
    }

    /// `streamTrim`: whole nodes first, then (unless approximate) entries
    /// of the first remaining node. Returns the number of entries removed.
    pub fn trim(&mut self, strategy: Strategy, approx: bool, limit: usize) -> usize {
        let mut deleted = 0;
        while let Some((_, node)) = self.nodes.first_key_value() {
            if let Strategy::MaxLen(max) = strategy {
                if self.len() <= max {
                    break;
                }
            }
            let live = node.live;
            if limit != 0 && deleted + live > limit {
                break;
            }
            let whole = match strategy {
                Strategy::MaxLen(max) => self.len() - live >= max,
                Strategy::MinId(min) => node.last_id < min,
            };
            if whole {
                deleted += self.remove_first_node();
                continue;
            }
            if approx {
                break;
            }
            let (&master, _) = self.nodes.first_key_value().expect("checked above");
            let end = self.nodes.range(master..).nth(1).map(|(k, _)| *k);
            let candidates: Vec<StreamId> = match end {
                Some(end) => self.entries.range(master..end).map(|(k, _)| *k).collect(),
                None => self.entries.range(master..).map(|(k, _)| *k).collect(),
            };
            let mut removed_here = 0;
            for id in candidates {
                let stop = match strategy {
                    Strategy::MaxLen(max) => self.len() <= max,
                    Strategy::MinId(min) => id >= min,
                };
                if stop {
                    break;
                }
                self.entries.remove(&id);
                removed_here += 1;
            }
            let node = self.nodes.get_mut(&master).expect("still present");
            node.live -= removed_here;
            node.deleted += removed_here;
            deleted += removed_here;
            // Redis keeps such a node even when no live entry is left in it.
            break;
        }
        self.refresh_first_id();
        deleted
    }
}

/// What XADD and XTRIM trim to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    MaxLen(usize),
    MinId(StreamId),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(n: usize) -> Fields {
        (0..n)
            .map(|i| (Bytes::from(format!("f{i}")), Bytes::from_static(b"v")))
            .collect()
    }

    fn filled(count: u64) -> Stream {
        let mut s = Stream::default();
        for i in 1..=count {
            s.append(StreamId::new(i, 0), fields(1), NodeLimits::default());
        }
        s
    }

    #[test]
    fn nodes_hold_at_most_max_entries() {
        let s = filled(250);
        assert_eq!(s.node_count(), 3);
        assert_eq!(s.len(), 250);
    }

    #[test]
    fn approximate_trimming_drops_whole_nodes_only() {
        let mut s = filled(250);
        assert_eq!(s.trim(Strategy::MaxLen(120), true, 10_000), 100);
        assert_eq!(s.len(), 150);
        assert_eq!(s.trim(Strategy::MaxLen(120), false, 0), 30);
        assert_eq!(s.len(), 120);
        assert_eq!(s.first_id, StreamId::new(131, 0));
    }

    #[test]
    fn deleting_every_entry_of_a_node_frees_it() {
        let mut s = filled(3);
        for i in 1..=3 {
            assert!(s.delete(StreamId::new(i, 0)));
        }
        assert_eq!(s.node_count(), 0);
        assert!(!s.delete(StreamId::new(1, 0)));
    }

    #[test]
    fn big_entries_open_new_nodes_by_size() {
        let mut s = Stream::default();
        let big = vec![(Bytes::from_static(b"f"), Bytes::from(vec![b'x'; 1000]))];
        for i in 1..=10 {
            s.append(StreamId::new(i, 0), big.clone(), NodeLimits::default());
        }
        assert_eq!(s.node_count(), 3);
    }
}
