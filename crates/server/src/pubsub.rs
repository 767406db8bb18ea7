//! The Pub/Sub registry: who listens to which channel, pattern and shard
//! channel, and delivery of published messages to their mailboxes.
//!
//! It has its own read-write lock, independent of the keyspace: PUBLISH
//! takes the read lock, so publishers run in parallel and never wait for
//! data commands; (un)subscribing takes the write lock. Delivery happens
//! while the read lock is held, which is what makes it consistent: once
//! an UNSUBSCRIBE has removed a client, no message for that channel can
//! still be on its way to it, and once a SUBSCRIBE has added it, every
//! later PUBLISH reaches it.
//!
//! Fan-out is bound by memory latency, not by computation: each receiver
//! is a mailbox whose lock and buffer tail are rarely in cache, and the
//! lock's atomic operations wait for the pending copy. So the receivers
//! of a channel or pattern are kept in a vector (an index by client id
//! makes removal O(1)), each pattern is matched once per message, its
//! push frame is encoded once per protocol, and while delivering to one
//! receiver the lines of the receivers a few places ahead are
//! prefetched, so their cache misses overlap instead of adding up.

use crate::mailbox::Mailbox;
use crate::shared::Shared;
use bytes::{Bytes, BytesMut};
use hashbrown::HashMap;
use moat_resp::{Frame, Protocol};
use parking_lot::RwLock;
use std::sync::Arc;

/// The three subscription namespaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Channel = 0,
    Pattern = 1,
    Shard = 2,
}

/// The clients subscribed to one name.
#[derive(Default)]
struct Subscribers {
    list: Vec<(u64, Arc<Mailbox>)>,
    /// Client id → position in `list`.
    index: HashMap<u64, usize>,
}

/// How many receivers ahead delivery prefetches a mailbox's fields, then
/// the end of its queue: enough to cover a cache miss with the copies in
/// between, few enough to stay in cache.
const PREFETCH_FIELDS_AHEAD: usize = 8;
const PREFETCH_TAIL_AHEAD: usize = 4;

impl Subscribers {
    fn contains(&self, id: u64) -> bool {
        self.index.contains_key(&id)
    }

    fn insert(&mut self, id: u64, mailbox: Arc<Mailbox>) {
        self.index.insert(id, self.list.len());
        self.list.push((id, mailbox));
    }

    fn remove(&mut self, id: u64) -> bool {
        let Some(position) = self.index.remove(&id) else {
            return false;
        };
        self.list.swap_remove(position);
        if let Some((moved, _)) = self.list.get(position) {
            self.index.insert(*moved, position);
        }
        true
    }

    fn len(&self) -> usize {
        self.list.len()
    }

    fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Delivers `encoded` to everyone; returns how many received it.
    fn deliver(&self, encoded: &mut Encoded, shared: &Shared, sender: &mut Sender<'_>) -> usize {
        let list = &self.list;
        for (_, mailbox) in list.iter().take(PREFETCH_FIELDS_AHEAD) {
            mailbox.prefetch_fields();
        }
        for (_, mailbox) in list.iter().take(PREFETCH_TAIL_AHEAD) {
            mailbox.prefetch_tail();
        }
        for (i, (id, mailbox)) in list.iter().enumerate() {
            if let Some((_, ahead)) = list.get(i + PREFETCH_FIELDS_AHEAD) {
                ahead.prefetch_fields();
            }
            if let Some((_, ahead)) = list.get(i + PREFETCH_TAIL_AHEAD) {
                ahead.prefetch_tail();
            }
            encoded.deliver(shared, *id, mailbox, sender);
        }
        self.list.len()
    }
}

#[derive(Default)]
pub struct PubSub {
    by_kind: RwLock<[HashMap<Bytes, Subscribers>; 3]>,
}

/// The publishing client, who may be one of the receivers: its own copy
/// goes straight into its output ahead of the PUBLISH reply, as in Redis.
pub struct Sender<'a> {
    pub id: u64,
    pub protocol: Protocol,
    pub out: &'a mut BytesMut,
}

/// A push frame encoded at most once per protocol, for every receiver of
/// one channel or pattern.
struct Encoded {
    frame: Frame,
    resp2: Option<BytesMut>,
    resp3: Option<BytesMut>,
}

impl Encoded {
    fn new(items: Vec<Frame>) -> Encoded {
        Encoded {
            frame: Frame::Push(items),
            resp2: None,
            resp3: None,
        }
    }

    fn get(&mut self, resp3: bool) -> &[u8] {
        let (slot, protocol) = if resp3 {
            (&mut self.resp3, Protocol::Resp3)
        } else {
            (&mut self.resp2, Protocol::Resp2)
        };
        slot.get_or_insert_with(|| {
            let mut out = BytesMut::new();
            self.frame.encode(protocol, &mut out);
            out
        })
    }

    fn deliver(&mut self, shared: &Shared, id: u64, mailbox: &Mailbox, sender: &mut Sender<'_>) {
        if id == sender.id {
            self.frame.encode(sender.protocol, sender.out);
        } else {
            mailbox.push(self.get(mailbox.is_resp3()), shared);
        }
    }
}

impl PubSub {
    /// Adds a subscription; false if the client already had it.
    pub fn subscribe(&self, kind: Kind, name: &Bytes, id: u64, mailbox: &Arc<Mailbox>) -> bool {
        let mut by_kind = self.by_kind.write();
        let subscribers = by_kind[kind as usize].entry(name.clone()).or_default();
        if subscribers.contains(id) {
            return false;
        }
        subscribers.insert(id, mailbox.clone());
        true
    }

    /// Removes a subscription; false if the client did not have it.
    pub fn unsubscribe(&self, kind: Kind, name: &[u8], id: u64) -> bool {
        let mut by_kind = self.by_kind.write();
        let map = &mut by_kind[kind as usize];
        let Some(subscribers) = map.get_mut(name) else {
            return false;
        };
        let removed = subscribers.remove(id);
        if subscribers.is_empty() {
            map.remove(name);
        }
        removed
    }

    /// Removes many subscriptions of one client under one lock (RESET,
    /// disconnection).
    pub fn unsubscribe_all(&self, kind: Kind, names: &[Bytes], id: u64) {
        if names.is_empty() {
            return;
        }
        let mut by_kind = self.by_kind.write();
        let map = &mut by_kind[kind as usize];
        for name in names {
            if let Some(subscribers) = map.get_mut(name) {
                subscribers.remove(id);
                if subscribers.is_empty() {
                    map.remove(name);
                }
            }
        }
    }

    /// PUBLISH (`shard` false: channel then pattern subscribers) or
    /// SPUBLISH (`shard` true: shard channel subscribers). Returns the
    /// number of receivers, counting a client once per matching
    /// subscription, as Redis does.
    pub fn publish(
        &self,
        shared: &Shared,
        shard: bool,
        channel: &Bytes,
        message: &Bytes,
        sender: &mut Sender<'_>,
    ) -> usize {
        let by_kind = self.by_kind.read();
        let mut receivers = 0;
        let (kind, word) = if shard {
            (Kind::Shard, "smessage")
        } else {
            (Kind::Channel, "message")
        };
        if let Some(subscribers) = by_kind[kind as usize].get(channel) {
            let mut encoded = Encoded::new(vec![
                Frame::bulk(Bytes::from_static(word.as_bytes())),
                Frame::Bulk(channel.clone()),
                Frame::Bulk(message.clone()),
            ]);
            receivers += subscribers.deliver(&mut encoded, shared, sender);
        }
        if shard {
            return receivers;
        }
        for (pattern, subscribers) in &by_kind[Kind::Pattern as usize] {
            if !moat_glob::matches(pattern, channel, false) {
                continue;
            }
            let mut encoded = Encoded::new(vec![
                Frame::bulk(Bytes::from_static(b"pmessage")),
                Frame::Bulk(pattern.clone()),
                Frame::Bulk(channel.clone()),
                Frame::Bulk(message.clone()),
            ]);
            receivers += subscribers.deliver(&mut encoded, shared, sender);
        }
        receivers
    }

    /// Active channels (or shard channels) matching `pattern` (PUBSUB
    /// CHANNELS / SHARDCHANNELS).
    pub fn names(&self, kind: Kind, pattern: Option<&[u8]>) -> Vec<Bytes> {
        let by_kind = self.by_kind.read();
        by_kind[kind as usize]
            .keys()
            .filter(|name| pattern.is_none_or(|p| moat_glob::matches(p, name, false)))
            .cloned()
            .collect()
    }

    /// Subscribers of one channel (PUBSUB NUMSUB / SHARDNUMSUB).
    pub fn subscriber_count(&self, kind: Kind, name: &[u8]) -> usize {
        self.by_kind.read()[kind as usize]
            .get(name)
            .map_or(0, Subscribers::len)
    }

    /// Distinct names with at least one subscriber (PUBSUB NUMPAT, INFO).
    pub fn len(&self, kind: Kind) -> usize {
        self.by_kind.read()[kind as usize].len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_kind.read().iter().all(HashMap::is_empty)
    }
}

/// A change to one client's subscription lists, replayed on the copy
/// published in its [`crate::clients::ClientInfo`] so both stay identical.
#[derive(Debug, Clone)]
pub enum ListChange {
    Push(Kind, Bytes),
    SwapRemove(Kind, usize),
    Clear,
}

/// One client's own subscriptions. Insertion and removal are O(1)
/// (removal swaps the last name into the hole, so the order is the
/// insertion order only until something is removed; Redis's own order is
/// a hash table's). Every change is logged for [`ClientSubscriptions::take_changes`].
#[derive(Default)]
pub struct ClientSubscriptions {
    lists: [Vec<Bytes>; 3],
    index: [HashMap<Bytes, usize>; 3],
    changes: Vec<ListChange>,
}

impl ClientSubscriptions {
    pub fn list(&self, kind: Kind) -> &[Bytes] {
        &self.lists[kind as usize]
    }

    pub fn contains(&self, kind: Kind, name: &[u8]) -> bool {
        self.index[kind as usize].contains_key(name)
    }

    /// False if already present.
    pub fn insert(&mut self, kind: Kind, name: &Bytes) -> bool {
        let k = kind as usize;
        if self.index[k].contains_key(name) {
            return false;
        }
        self.index[k].insert(name.clone(), self.lists[k].len());
        self.lists[k].push(name.clone());
        self.changes.push(ListChange::Push(kind, name.clone()));
        true
    }

    /// False if absent.
    pub fn remove(&mut self, kind: Kind, name: &[u8]) -> bool {
        let k = kind as usize;
        let Some(position) = self.index[k].remove(name) else {
            return false;
        };
        self.lists[k].swap_remove(position);
        if let Some(moved) = self.lists[k].get(position) {
            self.index[k].insert(moved.clone(), position);
        }
        self.changes.push(ListChange::SwapRemove(kind, position));
        true
    }

    /// Removes everything and returns the names, per kind.
    pub fn take_all(&mut self) -> [Vec<Bytes>; 3] {
        self.index = Default::default();
        self.changes.push(ListChange::Clear);
        std::mem::take(&mut self.lists)
    }

    /// The changes since the last call, to replay on another copy.
    pub fn take_changes(&mut self) -> Vec<ListChange> {
        std::mem::take(&mut self.changes)
    }

    pub fn count(&self, kind: Kind) -> usize {
        self.lists[kind as usize].len()
    }

    /// Channels and patterns: the count SUBSCRIBE and PSUBSCRIBE replies carry.
    pub fn channels_and_patterns(&self) -> usize {
        self.count(Kind::Channel) + self.count(Kind::Pattern)
    }

    /// Everything, shard channels included: whether the client is in
    /// pub/sub mode.
    pub fn total(&self) -> usize {
        self.lists.iter().map(Vec::len).sum()
    }
}

/// Replays [`ListChange`]s on the three published lists.
pub fn apply_changes(lists: [&mut Vec<Bytes>; 3], changes: Vec<ListChange>) {
    let [channels, patterns, shards] = lists;
    for change in changes {
        let list_of = |kind: Kind| kind as usize;
        match change {
            ListChange::Push(kind, name) => match list_of(kind) {
                0 => channels.push(name),
                1 => patterns.push(name),
                _ => shards.push(name),
            },
            ListChange::SwapRemove(kind, position) => {
                let list = match list_of(kind) {
                    0 => &mut *channels,
                    1 => &mut *patterns,
                    _ => &mut *shards,
                };
                if position < list.len() {
                    list.swap_remove(position);
                }
            }
            ListChange::Clear => {
                channels.clear();
                patterns.clear();
                shards.clear();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscribers_stay_indexed_after_removals() {
        let mut subscribers = Subscribers::default();
        for id in 1..=4 {
            let kill = Arc::new(crate::clients::KillSwitch::default());
            subscribers.insert(id, Arc::new(Mailbox::new(id, kill)));
        }
        assert!(subscribers.remove(2));
        assert!(!subscribers.remove(2));
        assert!(subscribers.remove(4), "the one moved into the hole");
        assert!(subscribers.remove(1));
        assert_eq!(subscribers.len(), 1);
        assert!(subscribers.contains(3) && !subscribers.contains(1));
        assert_eq!(subscribers.list[0].0, 3);
        assert!(subscribers.remove(3));
        assert!(subscribers.is_empty() && subscribers.index.is_empty());
    }

    #[test]
    fn published_copy_follows_the_client_lists() {
        let mut subs = ClientSubscriptions::default();
        let names: Vec<Bytes> = ["a", "b", "c", "d"].map(Bytes::from).to_vec();
        for name in &names {
            assert!(subs.insert(Kind::Channel, name));
        }
        assert!(!subs.insert(Kind::Channel, &names[0]));
        assert!(subs.insert(Kind::Pattern, &names[0]));
        assert!(subs.remove(Kind::Channel, b"b"));
        assert!(!subs.remove(Kind::Channel, b"b"));
        assert!(subs.remove(Kind::Channel, b"d"));
        assert!(subs.contains(Kind::Channel, b"c"));
        let (mut channels, mut patterns, mut shards) = (Vec::new(), Vec::new(), Vec::new());
        apply_changes(
            [&mut channels, &mut patterns, &mut shards],
            subs.take_changes(),
        );
        assert_eq!(channels, subs.list(Kind::Channel));
        assert_eq!(patterns, subs.list(Kind::Pattern));
        assert_eq!(subs.total(), 3);
        subs.take_all();
        apply_changes(
            [&mut channels, &mut patterns, &mut shards],
            subs.take_changes(),
        );
        assert!(channels.is_empty() && patterns.is_empty());
    }
}
