//! [`DbView`]: one database as a command sees it.
//!
//! Every lookup goes through [`DbView::lookup`], which applies lazy
//! expiry, counts hits and misses and refreshes the key's access data as
//! the chosen [`Access`] mode says, mirroring Redis's `lookupKey*` family.
//! Structural writes (`set`, `remove`, TTL changes) report themselves to
//! [`Keyspace::key_modified`]; a handler that edits a value in place
//! reports it with [`DbView::modified`].

use super::access;
use super::database::Lookup;
use super::entry::Entry;
use super::value::Value;
use super::Keyspace;
use moat_config::NotifyFlags;

/// How a lookup treats statistics and access data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// A read: counts a hit or miss and refreshes LRU/LFU data.
    Read,
    /// A read that must not disturb access data (`LOOKUP_NOTOUCH`: TYPE,
    /// EXISTS, TTL...) but still counts hits and misses.
    ReadNoTouch,
    /// As `ReadNoTouch`, without the `keymiss` notification of a miss
    /// (`LOOKUP_NOTOUCH|LOOKUP_NONOTIFY`: OBJECT).
    ReadNoNotify,
    /// A write: refreshes access data, counts nothing.
    Write,
    /// Looks without side effects other than lazy expiry (OBJECT).
    Peek,
}

/// The access data RESTORE was given for a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restored {
    Fresh,
    IdleSecs(u64),
    Freq(u8),
}

/// A key's time to live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ttl {
    Missing,
    Persistent,
    /// Absolute expiry time in milliseconds.
    At(i64),
}

/// One database of a [`Keyspace`] at a fixed "now".
pub struct DbView<'a> {
    ks: &'a mut Keyspace,
    index: usize,
    now_ms: i64,
    /// The time keys expire against: `now_ms`, except while the AOF
    /// loads, when nothing is expired yet (Redis's `keyIsExpired` under
    /// `server.loading`; see `Keyspace::loading`).
    expire_now: i64,
}

impl<'a> DbView<'a> {
    pub(super) fn new(ks: &'a mut Keyspace, index: usize, now_ms: i64) -> DbView<'a> {
        let expire_now = if ks.loading { i64::MIN } else { now_ms };
        DbView {
            ks,
            index,
            now_ms,
            expire_now,
        }
    }

    /// The database number.
    pub fn index(&self) -> usize {
        self.index
    }

    pub fn now_ms(&self) -> i64 {
        self.now_ms
    }

    /// The whole keyspace, for commands that span databases.
    pub fn keyspace(&mut self) -> &mut Keyspace {
        self.ks
    }

    /// Number of keys (DBSIZE).
    pub fn len(&self) -> usize {
        self.ks.dbs[self.index].len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lfu_params(&self) -> Option<access::LfuParams> {
        self.ks.lfu_enabled().then_some(self.ks.lfu)
    }

    /// Finds `key` with lazy expiry; returns its slot.
    pub fn lookup_slot(&mut self, key: &[u8], mode: Access) -> Option<u32> {
        let now = self.now_ms;
        let lfu = self.lfu_params();
        let ks = &mut *self.ks;
        let db = &mut ks.dbs[self.index];
        let found = db.lookup(key, self.expire_now);
        if found == Lookup::Expired {
            ks.key_expired(self.index, key);
        }
        let slot = found.slot();
        if matches!(
            mode,
            Access::Read | Access::ReadNoTouch | Access::ReadNoNotify
        ) {
            if slot.is_some() {
                ks.keyspace_hits += 1;
            } else {
                ks.keyspace_misses += 1;
                // lookupKey: a read that misses raises `keymiss`.
                if mode != Access::ReadNoNotify {
                    ks.notify(NotifyFlags::KEY_MISS, "keymiss", self.index, key);
                }
            }
        }
        if let (Some(slot), Access::Read | Access::Write) = (slot, mode) {
            if let Some(entry) = ks.dbs[self.index].entry_mut(slot) {
                entry.access = access::touched(entry.access, lfu, now);
            }
        }
        slot
    }

    /// Finds `key` with lazy expiry and returns its value.
    pub fn lookup(&mut self, key: &[u8], mode: Access) -> Option<&mut Value> {
        let slot = self.lookup_slot(key, mode)?;
        self.ks.dbs[self.index]
            .entry_mut(slot)
            .map(|e| &mut e.value)
    }

    /// The slot of `key` as stored, expired or not, with no side effect
    /// at all: Redis's bare `dictFind` (DEBUG OBJECT describes a key
    /// whose TTL has passed without deleting or counting it).
    pub fn find_stored(&self, key: &[u8]) -> Option<u32> {
        self.ks.dbs[self.index].find(key)
    }

    /// Whether `key` exists (lazy expiry applied, no statistics).
    pub fn contains(&mut self, key: &[u8]) -> bool {
        self.lookup_slot(key, Access::Peek).is_some()
    }

    /// The entry at a slot returned by [`DbView::lookup_slot`].
    pub fn entry(&self, slot: u32) -> Option<&Entry> {
        self.ks.dbs[self.index].entry(slot)
    }

    pub fn entry_mut(&mut self, slot: u32) -> Option<&mut Entry> {
        self.ks.dbs[self.index].entry_mut(slot)
    }

    /// Stores `value` under `key` (Redis's `setKey`): the TTL is dropped
    /// unless `keep_ttl`; access data of an existing key is kept.
    pub fn set(&mut self, key: &[u8], value: Value, keep_ttl: bool) {
        let slot = self.lookup_slot(key, Access::Peek);
        self.set_at(slot, key, value, keep_ttl);
    }

    /// [`DbView::set`] for a caller that just looked the key up (`slot` is
    /// that lookup's answer, with nothing changed since): one hash lookup
    /// fewer on SET's path.
    pub fn set_at(&mut self, slot: Option<u32>, key: &[u8], value: Value, keep_ttl: bool) {
        match slot {
            Some(slot) => {
                let db = &mut self.ks.dbs[self.index];
                if let Some(entry) = db.entry_mut(slot) {
                    entry.value = value;
                }
                if !keep_ttl {
                    db.set_expire(slot, None);
                }
            }
            None => self.insert_new(key, value),
        }
        self.modified(key);
    }

    /// Stores a key known to be absent without reporting a change
    /// (Redis's `dbAdd`, which leaves `signalModifiedKey` to its caller):
    /// BITFIELD creates its key before it knows whether it will write
    /// anything, and SMOVE's target counts as modified only once the
    /// member is in.
    pub fn add(&mut self, key: &[u8], value: Value) {
        self.insert_new(key, value);
    }

    /// Stores a key known to be absent (after a lookup said so).
    fn insert_new(&mut self, key: &[u8], value: Value) {
        let word = access::initial(self.ks.lfu_enabled(), self.now_ms);
        self.ks.dbs[self.index].insert_new(key, value, word);
        self.notify(NotifyFlags::NEW, "new", key);
    }

    /// Raises a keyspace notification for `key` in this database.
    pub fn notify(&mut self, class: NotifyFlags, event: &'static str, key: &[u8]) {
        self.ks.notify(class, event, self.index, key);
    }

    /// Stores a whole entry (value, TTL, access data) under its key,
    /// replacing any existing key: RENAME, MOVE and COPY.
    pub fn put_entry(&mut self, entry: Entry) {
        let key = entry.key().to_vec();
        if let Some(slot) = self.lookup_slot(&key, Access::Peek) {
            self.ks.dbs[self.index].remove_slot(slot);
        }
        self.ks.dbs[self.index].insert_entry(entry);
        self.notify(NotifyFlags::NEW, "new", &key);
        self.modified(&key);
    }

    /// Stores a fresh copy of a value with the given TTL under `key`,
    /// replacing any existing key (COPY).
    pub fn put_copy(&mut self, key: &[u8], value: Value, expire_at: Option<i64>) {
        if let Some(slot) = self.lookup_slot(key, Access::Peek) {
            self.ks.dbs[self.index].remove_slot(slot);
        }
        self.insert_new(key, value);
        if let (Some(at), Some(slot)) = (expire_at, self.ks.dbs[self.index].find(key)) {
            self.ks.dbs[self.index].set_expire(slot, Some(at));
        }
        self.modified(key);
    }

    /// Stores a key known to be absent as RESTORE does (`dbAdd`, then
    /// `setExpire` and `objectSetLRUOrLFU`): with its TTL, and with the
    /// access data the payload's IDLETIME or FREQ gives it under the
    /// current policy (a FREQ counts only under LFU, an IDLETIME under
    /// any other policy); a fresh key's otherwise.
    pub fn insert_restored(
        &mut self,
        key: &[u8],
        value: Value,
        expire_at: Option<i64>,
        restored: Restored,
    ) {
        let lfu = self.ks.lfu_enabled();
        let word = match restored {
            Restored::Freq(freq) if lfu => access::from_freq(freq, self.now_ms),
            Restored::IdleSecs(idle) if !lfu => access::from_idle(idle, self.now_ms),
            _ => access::initial(lfu, self.now_ms),
        };
        let db = &mut self.ks.dbs[self.index];
        let slot = db.insert_new(key, value, word);
        db.set_expire(slot, expire_at);
        self.notify(NotifyFlags::NEW, "new", key);
        self.modified(key);
    }

    /// Deletes `key`; false when it did not exist (or had expired).
    pub fn remove(&mut self, key: &[u8]) -> bool {
        self.take(key).is_some()
    }

    /// Deletes `key` as stored, even when its TTL has passed (Redis's
    /// bare `dbDelete`, which RESTORE ... REPLACE calls without a lookup):
    /// such a key is deleted as any other, not expired. Reports no change:
    /// the caller does, once the key is replaced (or found gone for good),
    /// so that a watch placed on the key while it was expired sees only
    /// the replacement, as Redis's `touchWatchedKey` does.
    pub fn remove_stored(&mut self, key: &[u8]) -> bool {
        let Some(slot) = self.find_stored(key) else {
            return false;
        };
        self.ks.dbs[self.index].remove_slot(slot);
        true
    }

    /// Deletes `key` and returns its entry.
    pub fn take(&mut self, key: &[u8]) -> Option<Entry> {
        let slot = self.lookup_slot(key, Access::Peek)?;
        let entry = self.ks.dbs[self.index].remove_slot(slot);
        self.modified(key);
        entry
    }

    /// The TTL of `key`, without touching its access data.
    pub fn ttl(&mut self, key: &[u8]) -> Ttl {
        match self.lookup_slot(key, Access::ReadNoTouch) {
            None => Ttl::Missing,
            Some(slot) => match self.entry(slot).and_then(Entry::expire_at) {
                Some(at) => Ttl::At(at),
                None => Ttl::Persistent,
            },
        }
    }

    /// Gives an existing key an absolute expiry time. A time not after
    /// "now" deletes the key at once, as Redis does. Returns false if the
    /// key does not exist.
    pub fn set_expire(&mut self, key: &[u8], at_ms: i64) -> bool {
        let Some(slot) = self.lookup_slot(key, Access::Peek) else {
            return false;
        };
        if at_ms <= self.expire_now {
            self.ks.dbs[self.index].remove_slot(slot);
        } else {
            self.ks.dbs[self.index].set_expire(slot, Some(at_ms));
        }
        self.modified(key);
        true
    }

    /// Removes the TTL of `key`; false if it had none or does not exist.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        let Some(slot) = self.lookup_slot(key, Access::Peek) else {
            return false;
        };
        let db = &mut self.ks.dbs[self.index];
        if db.entry(slot).and_then(Entry::expire_at).is_none() {
            return false;
        }
        db.set_expire(slot, None);
        self.modified(key);
        true
    }

    /// The running command propagates to the AOF as `argv` (in this
    /// database) instead of as received: see [`super::Propagation`].
    pub fn propagate_as(&mut self, argv: Vec<bytes::Bytes>) {
        self.ks.propagate.replace_own(self.index, argv);
    }

    /// The running command propagates nothing of its own, though it
    /// counted changes: XREADGROUP and XCLAIM state what they did as other
    /// commands.
    pub fn propagate_nothing(&mut self) {
        self.ks.propagate.suppress_own();
    }

    /// Whether anything consumes propagated commands, so that handlers
    /// build replacement argv only when needed.
    pub fn propagating(&self) -> bool {
        self.ks.propagate.enabled
    }

    /// Reports an in-place edit of `key`'s value.
    pub fn modified(&mut self, key: &[u8]) {
        self.ks.key_modified(self.index, key);
    }

    /// The running command counts `changes` changes rather than one: see
    /// [`Keyspace::count_changes`].
    pub fn count_changes(&mut self, changes: usize) {
        self.ks.count_changes(changes as u64);
    }

    /// Wakes clients blocked on `key` without counting a change or touching
    /// WATCH (Redis's bare `signalKeyAsReady`, as XGROUP DESTROY calls it).
    pub fn signal_ready(&mut self, key: &[u8]) {
        if !self.ks.blocking.is_empty() {
            self.ks.blocking.mark_ready(self.index, key);
        }
    }

    /// Seconds since `key` was last accessed (OBJECT IDLETIME).
    pub fn idle_seconds(&self, slot: u32) -> Option<i64> {
        Some(access::idle_seconds(self.entry(slot)?.access, self.now_ms))
    }

    /// The decayed LFU counter of the key at `slot` (OBJECT FREQ).
    pub fn frequency(&self, slot: u32) -> Option<u8> {
        Some(access::decayed_counter(
            self.entry(slot)?.access,
            self.ks.lfu,
            self.now_ms,
        ))
    }

    /// One step of SCAN over this database; see [`super::Db::scan`].
    /// Keys `wanted` rejects (SCAN's MATCH) are skipped; the others are
    /// visited, except expired ones, which are deleted, as Redis's SCAN
    /// does. With `typed` (SCAN's TYPE) every wanted key is also a read
    /// lookup, as Redis's type filter (`lookupKeyReadWithFlags`) is: a
    /// hit when live, a miss when expired.
    pub fn scan(
        &mut self,
        cursor: u64,
        count: usize,
        wanted: impl Fn(&[u8]) -> bool,
        typed: bool,
        mut visit: impl FnMut(&Entry),
    ) -> u64 {
        let now = self.expire_now;
        let mut expired: Vec<Box<[u8]>> = Vec::new();
        let mut live = 0;
        let next = self.ks.dbs[self.index].scan(cursor, count, |entry| {
            if !wanted(entry.key()) {
                return;
            }
            if entry.is_expired(now) {
                expired.push(entry.key().into());
            } else {
                live += 1;
                visit(entry)
            }
        });
        let mode = if typed {
            self.ks.keyspace_hits += live;
            Access::ReadNoTouch
        } else {
            Access::Peek
        };
        for key in expired {
            self.lookup_slot(&key, mode);
        }
        next
    }

    /// Every live key, in slot order (KEYS).
    pub fn live_entries(&self) -> impl Iterator<Item = &Entry> {
        let now = self.expire_now;
        self.ks.dbs[self.index]
            .entries()
            .filter(move |e| !e.is_expired(now))
    }

    /// A random live key (RANDOMKEY); expired keys met on the way are
    /// deleted, as Redis does.
    pub fn random_key(&mut self) -> Option<Vec<u8>> {
        let mut rng = rand::thread_rng();
        loop {
            let slot = self.ks.dbs[self.index].random_slot(&mut rng)?;
            let entry = self.entry(slot)?;
            if !entry.is_expired(self.expire_now) {
                return Some(entry.key().to_vec());
            }
            let key = entry.key().to_vec();
            self.lookup_slot(&key, Access::Peek);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_keys_vanish_on_access_and_are_counted() {
        let mut ks = Keyspace::new(1);
        let mut db = ks.view(0, 1000);
        db.set(b"k", Value::string(b"v"), false);
        assert!(db.set_expire(b"k", 2000));
        assert_eq!(db.ttl(b"k"), Ttl::At(2000));
        let mut later = ks.view(0, 2001);
        assert!(later.lookup(b"k", Access::Read).is_none());
        assert_eq!(ks.expired_keys, 1);
        assert_eq!(ks.keyspace_misses, 1);
        assert_eq!(ks.db(0).len(), 0);
    }

    #[test]
    fn read_misses_raise_keymiss_except_write_peek_and_no_notify() {
        let mut ks = Keyspace::new(1);
        ks.notify_flags = NotifyFlags::KEY_MISS | NotifyFlags::KEYEVENT;
        let mut db = ks.view(0, 0);
        db.set(b"k", Value::string(b"v"), false);
        db.lookup_slot(b"k", Access::Read);
        db.lookup_slot(b"a", Access::Write);
        db.lookup_slot(b"b", Access::Peek);
        db.lookup_slot(b"c", Access::ReadNoNotify);
        db.lookup_slot(b"d", Access::Read);
        db.lookup_slot(b"e", Access::ReadNoTouch);
        let keys: Vec<&[u8]> = ks.events.iter().map(|e| &e.key[..]).collect();
        assert_eq!(keys, [&b"d"[..], &b"e"[..]]);
        assert!(ks.events.iter().all(|e| e.event == "keymiss"));
        assert_eq!(ks.keyspace_misses, 3);
    }

    #[test]
    fn set_drops_ttl_unless_kept() {
        let mut ks = Keyspace::new(1);
        let mut db = ks.view(0, 0);
        db.set(b"k", Value::string(b"v"), false);
        db.set_expire(b"k", 50);
        db.set(b"k", Value::string(b"w"), true);
        assert_eq!(db.ttl(b"k"), Ttl::At(50));
        db.set(b"k", Value::string(b"x"), false);
        assert_eq!(db.ttl(b"k"), Ttl::Persistent);
        assert!(!db.persist(b"k"));
    }

    #[test]
    fn past_expire_deletes() {
        let mut ks = Keyspace::new(1);
        let mut db = ks.view(0, 100);
        db.set(b"k", Value::string(b"v"), false);
        assert!(db.set_expire(b"k", 100));
        assert_eq!(db.ttl(b"k"), Ttl::Missing);
    }

    #[test]
    fn reads_count_hits_and_misses() {
        let mut ks = Keyspace::new(1);
        let mut db = ks.view(0, 0);
        db.set(b"k", Value::string(b"v"), false);
        db.lookup(b"k", Access::Read);
        db.lookup(b"nope", Access::Read);
        db.lookup(b"nope", Access::Write);
        assert_eq!((ks.keyspace_hits, ks.keyspace_misses), (1, 1));
    }

    #[test]
    fn scan_expires_only_matching_keys_and_counts_type_lookups() {
        let mut ks = Keyspace::new(1);
        let mut db = ks.view(0, 0);
        for key in [&b"a1"[..], b"a2", b"b1", b"b2"] {
            db.set(key, Value::string(b"v"), false);
        }
        db.set_expire(b"a2", 10);
        db.set_expire(b"b2", 10);
        let mut later = ks.view(0, 20);
        let mut seen = Vec::new();
        let wanted = |key: &[u8]| key.starts_with(b"a");
        let next = later.scan(0, 100, wanted, false, |e| seen.push(e.key().to_vec()));
        assert_eq!((next, seen), (0, vec![b"a1".to_vec()]));
        // MATCH kept b2 from being expired; a2 was.
        assert_eq!(ks.expired_keys, 1);
        assert_eq!((ks.keyspace_hits, ks.keyspace_misses), (0, 0));
        let mut later = ks.view(0, 20);
        later.scan(0, 100, |_| true, true, |_| {});
        // TYPE looks every key up: a1 and b1 hit, the expired b2 misses.
        assert_eq!((ks.keyspace_hits, ks.keyspace_misses), (2, 1));
        assert_eq!(ks.expired_keys, 2);
    }

    #[test]
    fn find_stored_sees_expired_keys_without_side_effects() {
        let mut ks = Keyspace::new(1);
        let mut db = ks.view(0, 0);
        db.set(b"k", Value::string(b"v"), false);
        db.set_expire(b"k", 10);
        let later = ks.view(0, 20);
        assert!(later.find_stored(b"k").is_some());
        assert!(later.find_stored(b"nope").is_none());
        assert_eq!(ks.expired_keys, 0);
        assert_eq!(ks.db(0).len(), 1);
    }

    #[test]
    fn random_key_skips_expired_keys() {
        let mut ks = Keyspace::new(1);
        let mut db = ks.view(0, 0);
        db.set(b"old", Value::string(b"v"), false);
        db.set_expire(b"old", 10);
        db.set(b"live", Value::string(b"v"), false);
        let mut later = ks.view(0, 20);
        assert_eq!(later.random_key(), Some(b"live".to_vec()));
    }
}
