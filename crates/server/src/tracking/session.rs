//! Where tracking meets a connection's command pipeline: the steps Redis
//! takes in `processCommand` (the table's size limit), `call` (remembering
//! the keys a read-only command read) and `afterCommand` (the current
//! client's pending invalidations), delivery once a command is done, and
//! the broadcast once a batch of requests is. Every hook is one atomic
//! load (or a field test) when nobody tracks.

use super::Options;
use crate::dispatch::KeyspaceLock;
use crate::session::Session;
use bytes::Bytes;
use moat_commands::{Command, CommandFlags};
use std::sync::atomic::Ordering::Relaxed;

/// A connection's own view of its tracking mode; the keyspace's table is
/// what deliveries consult.
#[derive(Debug, Clone, Copy, Default)]
pub struct SessionTracking {
    pub on: bool,
    pub options: Options,
    /// `CLIENT CACHING yes|no` was given for the next command (Redis's
    /// `CLIENT_TRACKING_CACHING`).
    pub caching: bool,
}

impl SessionTracking {
    /// Whether the keys this client reads are remembered now (Redis's
    /// OPTIN/OPTOUT test in `trackingRememberKeys`).
    fn remembers_reads(&self) -> bool {
        let o = self.options;
        // OPTIN needs CACHING yes; OPTOUT is off with CACHING no.
        let wanted = if o.optin {
            self.caching
        } else if o.optout {
            !self.caching
        } else {
            true
        };
        self.on && !o.bcast && wanted
    }
}

impl Session {
    fn anyone_tracks(&self) -> bool {
        self.shared.tracking_clients.load(Relaxed) > 0
    }

    /// Redis's `trackingLimitUsedSlots` step of `processCommand`, after the
    /// `maxmemory` step: what it (or an eviction just before) sends this
    /// client precedes the reply.
    pub fn tracking_before_command(&mut self) {
        if !self.shared.tracking_over_limit.load(Relaxed) {
            return;
        }
        let shared = self.shared.clone();
        let max_keys = shared.limits.tracking_table_max_keys();
        let mut keyspace = shared.keyspace.lock();
        let tracking = &mut keyspace.tracking;
        tracking.enter(self.client.id, false);
        tracking.limit_keys(max_keys);
        note_limit(&shared, tracking);
        super::deliver(&shared, tracking);
        let (before, after) = tracking.take_current_output();
        tracking.leave();
        drop(keyspace);
        self.drain_mailbox_into_deferred();
        for bytes in before {
            self.deferred.extend_from_slice(&bytes);
        }
        for bytes in after {
            self.after_reply.extend_from_slice(&bytes);
        }
    }

    /// The start of a top-level command: returns whether the table was
    /// told which client runs.
    pub fn tracking_enter(&mut self, ks: &mut KeyspaceLock<'_>) -> bool {
        // Only a tracking client's own messages need to know it runs
        // (NOLOOP, invalidations after its reply).
        if !self.tracking.on {
            return false;
        }
        ks.get().tracking.enter(self.client.id, true);
        true
    }

    /// Redis's `trackingRememberKeys` after a read-only command, with the
    /// keys its key specs name (scripts' read-only variants are not
    /// remembered themselves, only the commands they run).
    pub fn tracking_remember(&mut self, ks: &mut KeyspaceLock<'_>, cmd: &Command, argv: &[Bytes]) {
        if !self.tracking.remembers_reads()
            || !cmd.flags.contains(CommandFlags::READONLY)
            || cmd.flags.contains(CommandFlags::PUBSUB)
            || matches!(cmd.fullname.as_str(), "eval_ro" | "evalsha_ro" | "fcall_ro")
        {
            return;
        }
        let keys = moat_commands::extract_keys(cmd, argv);
        if keys.is_empty() {
            return;
        }
        let id = self.client.id;
        ks.get()
            .tracking
            .remember(id, keys.iter().map(|key| &argv[key.index]));
    }

    /// Publishes the keyspace events the command raised, delivering the
    /// invalidations other clients are owed where Redis sends them: a
    /// key's invalidation before the notifications raised after it.
    pub fn publish_events_and_invalidations(&mut self, ks: &mut KeyspaceLock<'_>) {
        let events = ks.take_events().unwrap_or_default();
        let outbox = match ks.locked() {
            Some(keyspace) if self.anyone_tracks() => keyspace.tracking.take_outbox(),
            _ => Vec::new(),
        };
        if events.is_empty() && outbox.is_empty() {
            return;
        }
        // What reaches this client itself waits for the reply (Redis 7.2):
        // its notifications, then the invalidations it gets as another
        // client's redirect target.
        let mut sender = crate::pubsub::Sender {
            id: self.client.id,
            protocol: self.push_protocol(),
            out: &mut self.own_pushes,
        };
        super::publish_in_order(
            &self.shared,
            events,
            outbox,
            &mut sender,
            Some(&mut self.after_reply),
        );
    }

    /// The end of a top-level command: its pending invalidations, the
    /// broadcasts, delivery to other connections, and this connection's
    /// messages after its reply (Redis 7.2 defers whatever the running
    /// client is sent: as another client's redirect target, then its own).
    pub fn tracking_finish(&mut self, ks: &mut KeyspaceLock<'_>, entered: bool) {
        if !entered && !self.anyone_tracks() {
            return;
        }
        let Some(keyspace) = ks.locked() else {
            return;
        };
        let shared = &*self.shared;
        let tracking = &mut keyspace.tracking;
        if entered {
            tracking.send_pending();
        }
        if tracking.broadcast_due() {
            shared.tracking_broadcast_due.store(true, Relaxed);
        }
        note_limit(shared, tracking);
        super::deliver(shared, tracking);
        let (redirected_here, own) = tracking.take_current_output();
        tracking.leave();
        for bytes in redirected_here.into_iter().chain(own) {
            self.after_reply.extend_from_slice(&bytes);
        }
    }

    /// Redis's `beforeSleep` broadcast, once this connection ran the
    /// requests it read: keys changed under BCAST prefixes (by it or by
    /// anyone since the last broadcast), one array per prefix. Its own
    /// messages land in its mailbox, after the replies of the batch.
    pub fn tracking_broadcast_if_due(&self) {
        if !self.shared.tracking_broadcast_due.load(Relaxed)
            || !self.shared.tracking_broadcast_due.swap(false, Relaxed)
        {
            return;
        }
        let mut keyspace = self.shared.keyspace.lock();
        keyspace.tracking.broadcast();
        super::deliver(&self.shared, &mut keyspace.tracking);
    }

    /// Redis's `resetClient`: CACHING applies to the next command only
    /// (the whole transaction inside MULTI), and CLIENT commands keep it.
    pub fn tracking_after_request(&mut self, was_client_command: bool) {
        if self.tracking.caching && self.transaction.is_none() && !was_client_command {
            self.tracking.caching = false;
        }
    }

    /// Redis's `disableTracking` (CLIENT TRACKING OFF, RESET, disconnection).
    pub fn disable_tracking(&mut self, ks: &mut KeyspaceLock<'_>) {
        if !self.tracking.on {
            return;
        }
        self.tracking = SessionTracking::default();
        let keyspace = ks.get();
        keyspace.tracking.disable(self.client.id);
        self.shared
            .tracking_clients
            .store(keyspace.tracking.client_count(), Relaxed);
    }
}

/// Records whether the table is over `tracking-table-max-keys`, so that
/// the next command knows without a lock whether to drop keys.
pub fn note_limit(shared: &crate::shared::Shared, tracking: &super::Tracking) {
    let max = shared.limits.tracking_table_max_keys();
    let over = max > 0 && tracking.key_count() > max;
    // Stored only when it changes: every connection reads this line per
    // command, so a write per command would bounce it between cores.
    if shared.tracking_over_limit.load(Relaxed) != over {
        shared.tracking_over_limit.store(over, Relaxed);
    }
}
