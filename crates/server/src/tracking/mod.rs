//! Client-side caching (`CLIENT TRACKING`): Redis's `tracking.c`.
//!
//! The table lives inside the keyspace, under the keyspace lock, because
//! every event that invalidates a key (a write through
//! [`crate::db::Keyspace::key_modified`], an expiry, an eviction, FLUSHDB,
//! FLUSHALL) happens there. When nobody tracks, the write path pays one
//! emptiness test, as for WATCH.
//!
//! Two modes, as in Redis:
//! * default: the keys a tracking client read (`readonly` commands, keys
//!   from the command table's key specs) are remembered with its id; the
//!   first change of such a key sends one invalidation and forgets the key;
//! * BCAST: the client registers prefixes (or the empty prefix, all keys);
//!   every changed key that matches is collected per prefix and sent, as
//!   one array, once the connection that changed it has run the batch of
//!   requests it read (Redis sends them from `beforeSleep`, after the
//!   replies of the event loop turn), or by the cron for its expiries.
//!
//! Messages are encoded here (Redis builds raw protocol, so does this) and
//! queued: for other connections in [`Tracking::take_outbox`], delivered
//! to their mailboxes by the caller, who has the server state; for the
//! connection running the command, split into what goes before its reply
//! (what the table's limit drops before a command runs) and after it
//! (everything raised while the command runs: Redis 7.2's
//! `tracking_pending_keys`), which the session writes around the reply.

mod message;
mod session;

pub use session::{note_limit, SessionTracking};

use crate::clients::ClientInfo;
use crate::mailbox::Mailbox;
use bytes::{Bytes, BytesMut};
use hashbrown::HashSet;
use indexmap::IndexMap;
use message::Payload;
use parking_lot::Mutex;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The options of one `CLIENT TRACKING ON`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
}

/// What the table knows of one tracking client (Redis keeps it in the
/// client's flags).
struct Tracker {
    mailbox: Arc<Mailbox>,
    info: Arc<Mutex<ClientInfo>>,
    options: Options,
    broken_redirect: bool,
    /// The client id invalidations go to (0: none) and its mailbox, taken
    /// when tracking was enabled; a closed mailbox is Redis's failed
    /// `lookupClientByID`.
    redirect: u64,
    redirect_to: Option<Arc<Mailbox>>,
    /// BCAST prefixes (Redis's `client_tracking_prefixes`).
    prefixes: BTreeSet<Bytes>,
}

/// One BCAST prefix: its clients and the keys changed since the last
/// broadcast, each with the client that changed it last (0: none), so
/// NOLOOP clients can be spared their own changes.
#[derive(Default)]
struct Prefix {
    keys: BTreeMap<Bytes, u64>,
    clients: BTreeSet<u64>,
}

/// A message for another connection.
pub struct Outgoing {
    /// Keyspace events raised before it ([`AFTER_EVENTS`]: after them all).
    pub events_before: usize,
    pub mailbox: Arc<Mailbox>,
    pub bytes: Bytes,
}

/// The mark of messages Redis sends once the command is done (pending
/// invalidations, broadcasts), after every notification it raised.
pub const AFTER_EVENTS: usize = usize::MAX;

/// `CLIENT TRACKINGINFO` of one client.
pub struct TrackingInfo {
    pub options: Options,
    pub broken_redirect: bool,
    pub redirect: u64,
    pub prefixes: Vec<Bytes>,
}

#[derive(Default)]
pub struct Tracking {
    clients: BTreeMap<u64, Tracker>,
    /// Default mode: key → ids of the clients that may cache it. Ids of
    /// clients that stopped tracking stay until the key is invalidated,
    /// as in Redis (removing them eagerly would cost a walk of the table).
    keys: IndexMap<Bytes, HashSet<u64>>,
    /// Ids across `keys` (INFO `tracking_total_items`).
    items: usize,
    prefixes: BTreeMap<Bytes, Prefix>,
    /// The client whose command runs (Redis's `server.current_client`), 0
    /// outside commands.
    current: u64,
    /// Whether its command is executing (`CLIENT_EXECUTING_COMMAND`):
    /// its own invalidations then wait until after its reply.
    executing: bool,
    /// The client changing keys, for BCAST NOLOOP: the current client,
    /// except inside scripts, where Redis records the script's client.
    writer: u64,
    /// Invalidations of the current client's keys, sent after its reply.
    pending: Vec<Payload>,
    /// Encoded messages for other connections, each with the number of
    /// keyspace events raised before it, so that both go out in the order
    /// Redis sends them (a key's invalidation, then its notification).
    outbox: Vec<Outgoing>,
    /// Keyspace events raised so far by the running command (set by the
    /// keyspace before each invalidation).
    event_mark: usize,
    /// Encoded messages for the current connection: redirected to it by
    /// other clients' tracking, and its own (both go after its reply once
    /// the command ran; only the table's limit, before a command, sends
    /// anything ahead of the reply).
    before_reply: Vec<Bytes>,
    after_reply: Vec<Bytes>,
    /// Consecutive limit checks that could not get under the limit
    /// (Redis's `timeout_counter`), which raise the next effort.
    limit_overruns: u32,
}

impl Tracking {
    /// Whether a changed key can concern anyone: the write path's test.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.prefixes.is_empty()
    }

    /// Clients in tracking mode (INFO `tracking_clients`).
    pub fn client_count(&self) -> usize {
        self.clients.len()
    }

    /// Keys in the default-mode table (INFO `tracking_total_keys`).
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// Client ids across those keys (INFO `tracking_total_items`).
    pub fn item_count(&self) -> usize {
        self.items
    }

    /// BCAST prefixes in use (INFO `tracking_total_prefixes`).
    pub fn prefix_count(&self) -> usize {
        self.prefixes.len()
    }

    /// A client's BCAST prefixes (empty when it is not in BCAST mode).
    pub fn prefixes_of(&self, id: u64) -> impl Iterator<Item = &Bytes> {
        self.clients.get(&id).into_iter().flat_map(|t| &t.prefixes)
    }

    pub fn info(&self, id: u64) -> Option<TrackingInfo> {
        self.clients.get(&id).map(|t| TrackingInfo {
            options: t.options,
            broken_redirect: t.broken_redirect,
            redirect: t.redirect,
            prefixes: t.prefixes.iter().cloned().collect(),
        })
    }

    /// Redis's `enableTracking`, options already validated. Calling it
    /// again keeps the client's prefixes and adds the new ones.
    #[allow(clippy::too_many_arguments)]
    pub fn enable(
        &mut self,
        id: u64,
        mailbox: &Arc<Mailbox>,
        info: &Arc<Mutex<ClientInfo>>,
        redirect: u64,
        redirect_to: Option<Arc<Mailbox>>,
        options: Options,
        prefixes: &[Bytes],
    ) {
        let tracker = self.clients.entry(id).or_insert_with(|| Tracker {
            mailbox: mailbox.clone(),
            info: info.clone(),
            options: Options::default(),
            broken_redirect: false,
            redirect: 0,
            redirect_to: None,
            prefixes: BTreeSet::new(),
        });
        tracker.options = options;
        tracker.broken_redirect = false;
        tracker.redirect = redirect;
        tracker.redirect_to = redirect_to;
        if options.bcast {
            let empty = [Bytes::new()];
            let wanted = if prefixes.is_empty() {
                &empty
            } else {
                prefixes
            };
            for prefix in wanted {
                let entry = self.prefixes.entry(prefix.clone()).or_default();
                if entry.clients.insert(id) {
                    tracker.prefixes.insert(prefix.clone());
                }
            }
        }
        let mut info = tracker.info.lock();
        info.tracking = true;
        info.tracking_bcast = options.bcast;
        info.tracking_broken_redirect = false;
        info.tracking_redirect = redirect;
    }

    /// Redis's `disableTracking` (TRACKING OFF, RESET, disconnection).
    pub fn disable(&mut self, id: u64) {
        let Some(tracker) = self.clients.remove(&id) else {
            return;
        };
        for prefix in &tracker.prefixes {
            if let Some(state) = self.prefixes.get_mut(prefix) {
                state.clients.remove(&id);
                if state.clients.is_empty() {
                    self.prefixes.remove(prefix);
                }
            }
        }
        let mut info = tracker.info.lock();
        info.tracking = false;
        info.tracking_bcast = false;
        info.tracking_broken_redirect = false;
    }

    /// Redis's `trackingRememberKeys`: `id` may cache these keys.
    pub fn remember<'a>(&mut self, id: u64, keys: impl IntoIterator<Item = &'a Bytes>) {
        for key in keys {
            let ids = match self.keys.get_mut(key.as_ref()) {
                Some(ids) => ids,
                None => self.keys.entry(key.clone()).or_default(),
            };
            if ids.insert(id) {
                self.items += 1;
            }
        }
    }

    /// Marks the start of a client's command (`executing`) or of the
    /// steps before it.
    pub fn enter(&mut self, id: u64, executing: bool) {
        self.current = id;
        self.writer = id;
        self.executing = executing;
    }

    /// Leaves the client's command.
    pub fn leave(&mut self) {
        self.current = 0;
        self.writer = 0;
        self.executing = false;
        self.event_mark = 0;
    }

    /// Records how many keyspace events the running command raised so
    /// far, before a change that may invalidate.
    pub fn mark_events(&mut self, raised: usize) {
        self.event_mark = raised;
    }

    /// Inside a script Redis records the script's own client as the
    /// writer for BCAST, so a NOLOOP client hears of its scripts' writes;
    /// returns the previous writer, to restore.
    pub fn set_writer(&mut self, writer: u64) -> u64 {
        std::mem::replace(&mut self.writer, writer)
    }

    /// Redis's `trackingInvalidateKey` for a changed key. `bcast` is false
    /// when the table itself drops the key (over `tracking-table-max-keys`).
    pub fn invalidate(&mut self, key: &[u8], bcast: bool) {
        if bcast && !self.prefixes.is_empty() {
            let writer = self.writer;
            for (prefix, state) in self.prefixes.iter_mut() {
                if key.starts_with(prefix) {
                    match state.keys.get_mut(key) {
                        Some(last) => *last = writer,
                        None => {
                            state.keys.insert(Bytes::copy_from_slice(key), writer);
                        }
                    }
                }
            }
        }
        let Some(ids) = self.keys.swap_remove(key) else {
            return;
        };
        self.items -= ids.len();
        let key = Bytes::copy_from_slice(key);
        for id in ids {
            let Some(tracker) = self.clients.get(&id) else {
                continue;
            };
            // A client that switched to BCAST gets no pending
            // default-mode invalidations.
            if tracker.options.bcast {
                continue;
            }
            if tracker.options.noloop && id == self.current {
                continue;
            }
            if id == self.current && self.executing {
                self.pending.push(Payload::Key(key.clone()));
            } else {
                self.send(id, &Payload::Key(key.clone()), false);
            }
        }
    }

    /// A key the server deleted itself (expiry, eviction): Redis signals
    /// it with no client, so BCAST NOLOOP clients hear of it even when
    /// their own command found it expired.
    pub fn invalidate_deleted(&mut self, key: &[u8]) {
        let writer = std::mem::replace(&mut self.writer, 0);
        self.invalidate(key, true);
        self.writer = writer;
    }

    /// Redis's `trackingInvalidateKeysOnFlush`: every tracking client
    /// hears that all keys are invalid (a null), and the table empties.
    pub fn invalidate_all(&mut self) {
        let ids: Vec<u64> = self.clients.keys().copied().collect();
        for id in ids {
            if id == self.current {
                self.pending.push(Payload::Flush);
            } else {
                self.send(id, &Payload::Flush, false);
            }
        }
        self.keys.clear();
        self.items = 0;
    }

    /// Redis's `trackingLimitUsedSlots`: over `max_keys` (0: no limit),
    /// drops random keys, invalidating them as if they had changed, with
    /// an effort that grows while the table stays over the limit.
    pub fn limit_keys(&mut self, max_keys: usize) {
        if max_keys == 0 || self.keys.len() <= max_keys {
            self.limit_overruns = 0;
            return;
        }
        use rand::Rng;
        let mut rng = rand::thread_rng();
        let mut effort = 100 * (self.limit_overruns as usize + 1);
        while effort > 0 && !self.keys.is_empty() {
            effort -= 1;
            let index = rng.gen_range(0..self.keys.len());
            let Some((key, _)) = self.keys.get_index(index) else {
                break;
            };
            let key = key.clone();
            self.invalidate(&key, false);
            if self.keys.len() <= max_keys {
                self.limit_overruns = 0;
                return;
            }
        }
        self.limit_overruns += 1;
    }

    /// Whether changed keys wait for a broadcast.
    pub fn broadcast_due(&self) -> bool {
        self.prefixes.values().any(|p| !p.keys.is_empty())
    }

    /// Redis's `trackingBroadcastInvalidationMessages`: each prefix's
    /// changed keys, as one array, to each of its clients (without their
    /// own changes for NOLOOP clients). Messages for the current
    /// connection go after its reply.
    pub fn broadcast(&mut self) {
        if !self.broadcast_due() {
            return;
        }
        self.event_mark = AFTER_EVENTS;
        let mut sends = Vec::new();
        for state in self.prefixes.values_mut() {
            if state.keys.is_empty() {
                continue;
            }
            let keys = std::mem::take(&mut state.keys);
            let common = message::key_array(keys.keys());
            for &id in &state.clients {
                let noloop = self.clients.get(&id).is_some_and(|t| t.options.noloop);
                if noloop {
                    let own = keys.iter().filter(|(_, &w)| w != id).map(|(k, _)| k);
                    if keys.values().any(|&w| w != id) {
                        sends.push((id, message::key_array(own)));
                    }
                } else {
                    sends.push((id, common.clone()));
                }
            }
        }
        for (id, array) in sends {
            self.send(id, &Payload::Encoded(array), true);
        }
    }

    /// Routes the current client's pending invalidations; they go after
    /// its reply. Called once its command is done.
    pub fn send_pending(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        self.event_mark = AFTER_EVENTS;
        let current = self.current;
        for payload in pending {
            self.send(current, &payload, true);
        }
    }

    /// Redis's `sendTrackingMessage`: to the client, or to its redirect
    /// target (RESP3 push, or a Pub/Sub message on `__redis__:invalidate`
    /// for a RESP2 target in Pub/Sub mode); a vanished target breaks the
    /// redirect and tells the client (RESP3 only).
    fn send(&mut self, id: u64, payload: &Payload, after_reply: bool) {
        let Some(tracker) = self.clients.get_mut(&id) else {
            return;
        };
        let null_resp3 = tracker.mailbox.is_resp3();
        let (target, redirected) = if tracker.redirect != 0 {
            match &tracker.redirect_to {
                Some(target) if !target.is_closed() => (target.clone(), true),
                _ => {
                    tracker.broken_redirect = true;
                    tracker.info.lock().tracking_broken_redirect = true;
                    if tracker.mailbox.is_resp3() {
                        let mailbox = tracker.mailbox.clone();
                        let broken = message::redirect_broken(tracker.redirect);
                        self.emit(&mailbox, broken, after_reply);
                    }
                    return;
                }
            }
        } else {
            (tracker.mailbox.clone(), false)
        };
        let header = if target.is_resp3() {
            message::PUSH_HEADER
        } else if redirected && target.is_subscriber() {
            message::PUBSUB_HEADER
        } else {
            // RESP2 without a subscribed redirect target: nowhere to send.
            return;
        };
        let bytes = payload.encode(header, null_resp3);
        self.emit(&target, bytes, after_reply);
    }

    fn emit(&mut self, target: &Arc<Mailbox>, bytes: Bytes, after_reply: bool) {
        if self.current != 0 && target.client_id() == self.current {
            if after_reply {
                self.after_reply.push(bytes);
            } else {
                self.before_reply.push(bytes);
            }
        } else {
            self.outbox.push(Outgoing {
                events_before: self.event_mark,
                mailbox: target.clone(),
                bytes,
            });
        }
    }

    /// Whether messages wait for delivery.
    #[cfg(test)]
    pub fn has_output(&self) -> bool {
        !self.outbox.is_empty() || !self.before_reply.is_empty() || !self.after_reply.is_empty()
    }

    /// Messages for other connections, to push into their mailboxes.
    pub fn take_outbox(&mut self) -> Vec<Outgoing> {
        std::mem::take(&mut self.outbox)
    }

    /// Messages for the current connection: `(redirected to it, its own)`.
    pub fn take_current_output(&mut self) -> (Vec<Bytes>, Vec<Bytes>) {
        (
            std::mem::take(&mut self.before_reply),
            std::mem::take(&mut self.after_reply),
        )
    }
}

/// Publishes keyspace events and delivers invalidations, interleaved as
/// they were raised: each message goes out before the events raised
/// after it.
///
/// The running client's own messages go to `sender.out`, and its own
/// invalidations (it is another client's redirect target) to
/// `own_invalidations`, or to `sender.out` too, in the order raised, when
/// that is `None`.
pub fn publish_in_order(
    shared: &crate::shared::Shared,
    events: Vec<crate::db::KeyEvent>,
    outbox: Vec<Outgoing>,
    sender: &mut crate::pubsub::Sender<'_>,
    mut own_invalidations: Option<&mut BytesMut>,
) {
    let mut send = |out: Outgoing, sender: &mut crate::pubsub::Sender<'_>| {
        if out.mailbox.client_id() != sender.id {
            out.mailbox.push(out.bytes, shared);
        } else if let Some(own) = own_invalidations.as_deref_mut() {
            own.extend_from_slice(&out.bytes);
        } else {
            sender.out.extend_from_slice(&out.bytes);
        }
    };
    let mut outbox = outbox.into_iter().peekable();
    for (raised_before, event) in events.into_iter().enumerate() {
        while let Some(out) = outbox.next_if(|o| o.events_before <= raised_before) {
            send(out, sender);
        }
        for (channel, message) in event.messages() {
            shared
                .pubsub
                .publish(shared, false, &channel, &message, sender);
        }
    }
    for out in outbox {
        send(out, sender);
    }
}

/// Pushes queued messages into their connections' mailboxes.
pub fn deliver(shared: &crate::shared::Shared, tracking: &mut Tracking) {
    for out in tracking.take_outbox() {
        out.mailbox.push(out.bytes, shared);
    }
}

#[cfg(test)]
mod tests;
