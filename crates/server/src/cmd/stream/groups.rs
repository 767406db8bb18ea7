//! Consumer groups: the pending entries list (PEL), consumers, and the
//! read counter behind `entries-read` and `lag`.
//!
//! A pending entry is owned by exactly one consumer; the group's PEL holds
//! the delivery data and each consumer keeps the set of ids it owns, so
//! both "all pending" and "pending of this consumer" are ordered walks.

use super::id::StreamId;
use super::store::Stream;
use bytes::Bytes;
use std::collections::{BTreeMap, BTreeSet};

/// One delivered, unacknowledged entry (`streamNACK`).
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub consumer: Bytes,
    /// Milliseconds since the epoch of the last delivery.
    pub delivery_time: i64,
    pub delivery_count: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Consumer {
    /// Last attempted interaction.
    pub seen_time: i64,
    /// Last successful interaction, -1 for never (7.2).
    pub active_time: i64,
    pub pel: BTreeSet<StreamId>,
}

impl Consumer {
    pub fn new(now_ms: i64) -> Consumer {
        Consumer {
            seen_time: now_ms,
            active_time: -1,
            pel: BTreeSet::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub last_id: StreamId,
    /// Entries the group has read, `None` when unknown
    /// (`SCG_INVALID_ENTRIES_READ`).
    pub entries_read: Option<u64>,
    pub pel: BTreeMap<StreamId, Pending>,
    pub consumers: BTreeMap<Bytes, Consumer>,
}

impl Group {
    pub fn new(last_id: StreamId, entries_read: Option<u64>) -> Group {
        Group {
            last_id,
            entries_read,
            pel: BTreeMap::new(),
            consumers: BTreeMap::new(),
        }
    }

    /// The consumer `name`, created when missing; true when created.
    pub fn consumer_or_create(&mut self, name: &Bytes, now_ms: i64) -> (&mut Consumer, bool) {
        let created = !self.consumers.contains_key(name);
        let consumer = self
            .consumers
            .entry(super::owned(name))
            .or_insert_with(|| Consumer::new(now_ms));
        (consumer, created)
    }

    /// Gives the pending entry `id` to `owner` (which must exist), moving
    /// it from its previous owner.
    pub fn assign(&mut self, id: StreamId, owner: &Bytes) {
        if let Some(pending) = self.pel.get_mut(&id) {
            if pending.consumer != owner {
                if let Some(old) = self.consumers.get_mut(&pending.consumer) {
                    old.pel.remove(&id);
                }
                pending.consumer = super::owned(owner);
            }
        }
        if let Some(consumer) = self.consumers.get_mut(owner) {
            consumer.pel.insert(id);
        }
    }

    /// Drops `id` from the PEL and its owner; true when it was pending.
    pub fn acknowledge(&mut self, id: StreamId) -> bool {
        match self.pel.remove(&id) {
            Some(pending) => {
                if let Some(owner) = self.consumers.get_mut(&pending.consumer) {
                    owner.pel.remove(&id);
                }
                true
            }
            None => false,
        }
    }

    /// Deletes a consumer and its pending entries; returns how many it had.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let consumer = self.consumers.remove(name)?;
        for id in &consumer.pel {
            self.pel.remove(id);
        }
        Some(consumer.pel.len())
    }
}

/// `streamRangeHasTombstones`: whether an XDEL'd id may lie in the range.
pub fn range_has_tombstones(s: &Stream, start: StreamId, end: StreamId) -> bool {
    if s.is_empty() || s.max_deleted_id.is_zero() || s.first_id > s.max_deleted_id {
        return false;
    }
    start <= s.max_deleted_id && s.max_deleted_id <= end
}

/// `streamEstimateDistanceFromFirstEverEntry`: the read counter an id
/// stands for, when it can be known.
pub fn estimate_entries_read(s: &Stream, id: StreamId) -> Option<u64> {
    if s.entries_added == 0 {
        return Some(0);
    }
    if s.is_empty() && id <= s.last_id {
        return Some(s.entries_added);
    }
    if id == s.last_id {
        return Some(s.entries_added);
    }
    if id > s.last_id {
        return None;
    }
    if s.max_deleted_id.is_zero() || s.max_deleted_id < s.first_id {
        let before = s.entries_added - s.len() as u64;
        if id < s.first_id {
            return Some(before);
        }
        if id == s.first_id {
            return Some(before + 1);
        }
    }
    None
}

/// The group's lag (`streamReplyWithCGLag`), `None` when unknown. It is
/// negative when ENTRIESREAD claimed more reads than entries were added.
pub fn lag(s: &Stream, group: &Group) -> Option<i64> {
    let behind = |read: u64| s.entries_added as i64 - read as i64;
    if s.entries_added == 0 {
        return Some(0);
    }
    if let Some(read) = group.entries_read {
        if !range_has_tombstones(s, group.last_id, StreamId::MAX) {
            return Some(behind(read));
        }
    }
    estimate_entries_read(s, group.last_id).map(behind)
}

/// Advances the group past a delivered id, keeping its read counter
/// (the bookkeeping at the top of `streamReplyWithRange`'s loop).
pub fn advance(s: &Stream, group: &mut Group, id: StreamId) {
    if id <= group.last_id {
        return;
    }
    match group.entries_read {
        Some(read) if !range_has_tombstones(s, id, StreamId::MAX) => {
            group.entries_read = Some(read + 1);
        }
        _ if s.entries_added != 0 => {
            group.entries_read = estimate_entries_read(s, id);
        }
        _ => {}
    }
    group.last_id = id;
}
