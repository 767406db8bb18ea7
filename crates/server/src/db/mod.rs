//! The keyspace: numbered databases of keys with values, TTLs and access
//! metadata, plus the counters INFO reports.
//!
//! Handlers work through a [`DbView`] (`ks.view(db, now_ms)`), which
//! applies Redis's rules on every access: an expired key is deleted the
//! moment anything looks at it (lazy expiry), reads count keyspace
//! hits/misses and refresh LRU/LFU data, and every write goes through one
//! funnel, [`Keyspace::key_modified`], so that WATCH and keyspace
//! notifications can later hook a single place. How many changes a
//! command counts (`rdb_changes_since_last_save`, the `save` points) is
//! settled once per data command, by [`Keyspace::settle_changes`]. Keys
//! whose TTL passes while nobody looks are reclaimed by
//! [`Keyspace::active_expire_cycle`].

mod access;
mod database;
mod entry;
mod evict;
mod expire;
mod hash;
mod intset;
mod list;
pub mod memory;
mod notify;
mod packed;
mod propagate;
mod rank_tree;
mod set;
mod slots;
mod small_bytes;
mod table;
mod thresholds;
mod value;
mod view;
mod watch;
mod zset;

pub use access::LfuParams;
pub use database::{Db, Lookup};
pub use entry::Entry;
pub use evict::{EvictResult, EvictionConfig, EvictionPool, Policy};
pub use hash::HashValue;
pub use list::{End, ListValue};
pub use notify::KeyEvent;
pub use packed::Packed;
pub use propagate::{number, word, Op, Own, Propagation};

/// How a deletion the server makes itself is stated: UNLINK when the
/// matching lazyfree option is on, DEL otherwise.
fn deletion_word(lazy: bool) -> bytes::Bytes {
    word(if lazy { "UNLINK" } else { "DEL" })
}
pub use set::SetValue;
pub use thresholds::{Thresholds, THRESHOLD_DIRECTIVES};
pub use value::{canonical_i64, StrValue, Value, EMBSTR_SIZE_LIMIT};
pub use view::{Access, DbView, Restored, Ttl};
pub use watch::WatchTable;
pub use zset::{
    score_text, AddFlags, LexBound, LexRange, NanScore, Outcome, Score, ScoreBound, ScoreRange,
    ZSetValue,
};

/// Redis's default `proto-max-bulk-len` (512 MB).
pub const DEFAULT_PROTO_MAX_BULK_LEN: usize = 512 * 1024 * 1024;

/// What a file records about a key besides its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestoreMeta {
    pub expire_at: Option<i64>,
    pub idle_secs: Option<u64>,
    pub freq: Option<u8>,
    pub now_ms: i64,
}

/// All databases and the keyspace-wide counters.
pub struct Keyspace {
    dbs: Vec<Db>,
    /// Keys deleted because their TTL passed (INFO `expired_keys`).
    pub expired_keys: u64,
    /// Reads that found their key (INFO `keyspace_hits`).
    pub keyspace_hits: u64,
    /// Reads that did not (INFO `keyspace_misses`).
    pub keyspace_misses: u64,
    /// Changes since the last save (INFO `rdb_changes_since_last_save`,
    /// what the `save` points count): Redis's `server.dirty`, counted per
    /// command as [`Keyspace::settle_changes`] says.
    pub dirty: u64,
    /// The running data command's own count of its changes, when it
    /// stated one ([`Keyspace::count_changes`]).
    stated_changes: Option<u64>,
    /// `lfu-log-factor` and `lfu-decay-time`.
    pub lfu: LfuParams,
    /// `proto-max-bulk-len`: the largest string a command may build.
    pub proto_max_bulk_len: usize,
    /// `rdbcompression`: whether DUMP payloads LZF-compress long strings.
    pub rdb_compression: bool,
    /// `hll-sparse-max-bytes`: the size past which a sparse HyperLogLog
    /// becomes dense.
    pub hll_sparse_max_bytes: usize,
    /// `stream-node-max-entries` and `stream-node-max-bytes`: where a
    /// stream starts a new listpack node.
    pub stream_node_limits: (usize, usize),
    /// The database the next active expiry cycle starts with, so that
    /// successive bounded cycles cover all databases.
    next_expire_db: usize,
    /// `DEBUG SET-ACTIVE-EXPIRE 0` turns the active cycle off (tests use
    /// it to observe lazy expiry alone).
    pub active_expire: bool,
    /// The AOF is being loaded (Redis's `server.loading`): nothing
    /// expires lazily and a past expiry time is kept rather than deleting
    /// the key, so a replayed command finds the key its original found
    /// (an APPEND after the key's time would otherwise recreate it
    /// without its TTL). Keys past their time expire once loading ends.
    pub loading: bool,
    /// When small collections switch to their big representation.
    pub thresholds: Thresholds,
    /// WATCHed keys and the clients whose watch a change broke.
    pub watch: WatchTable,
    /// CLIENT TRACKING: who may cache which keys, BCAST prefixes.
    pub tracking: crate::tracking::Tracking,
    /// Clients blocked on keys (BLPOP...), under the same lock as writes.
    pub blocking: crate::blocking::BlockingRegistry,
    /// `notify-keyspace-events`.
    pub notify_flags: moat_config::NotifyFlags,
    /// Keyspace events raised by the running command (or expiry cycle),
    /// published once it is done.
    pub events: Vec<KeyEvent>,
    /// `maxmemory`, `maxmemory-policy`, `-samples`, `-eviction-tenacity`.
    pub eviction: EvictionConfig,
    /// Keys deleted to stay under `maxmemory` (INFO `evicted_keys`).
    pub evicted_keys: u64,
    /// Set when an eviction call ran out of time over the limit: the
    /// cron then keeps evicting.
    pub eviction_running: bool,
    /// `lazyfree-lazy-expire`: the deletion of an expired key (and of a
    /// key given a time already past) is stated as UNLINK, not DEL.
    pub lazyfree_lazy_expire: bool,
    /// `lazyfree-lazy-eviction`: an evicted key's deletion is stated as
    /// UNLINK, not DEL.
    pub lazyfree_lazy_eviction: bool,
    /// The best eviction candidates sampled so far.
    pool: EvictionPool,
    /// The database the random policies evict from next.
    next_evict_db: usize,
    /// Commands to append to the AOF, filled by handlers and expiry.
    pub propagate: Propagation,
}

impl Keyspace {
    /// `databases` empty databases (at least one).
    pub fn new(databases: usize) -> Keyspace {
        Keyspace {
            dbs: (0..databases.max(1)).map(|_| Db::default()).collect(),
            expired_keys: 0,
            keyspace_hits: 0,
            keyspace_misses: 0,
            dirty: 0,
            stated_changes: None,
            lfu: LfuParams::default(),
            proto_max_bulk_len: DEFAULT_PROTO_MAX_BULK_LEN,
            hll_sparse_max_bytes: 3000,
            rdb_compression: true,
            stream_node_limits: (100, 4096),
            next_expire_db: 0,
            active_expire: true,
            loading: false,
            thresholds: Thresholds::default(),
            watch: WatchTable::default(),
            tracking: crate::tracking::Tracking::default(),
            blocking: crate::blocking::BlockingRegistry::default(),
            notify_flags: moat_config::NotifyFlags::empty(),
            events: Vec::new(),
            eviction: EvictionConfig::default(),
            evicted_keys: 0,
            eviction_running: false,
            lazyfree_lazy_expire: false,
            lazyfree_lazy_eviction: false,
            pool: EvictionPool::default(),
            next_evict_db: 0,
            propagate: Propagation::default(),
        }
    }

    /// Copies the configuration values that commands consult.
    pub fn apply_config(&mut self, config: &moat_config::Config) {
        let int =
            |name: &str, default: i64| config.get_int(name).unwrap_or(default).max(0) as usize;
        self.proto_max_bulk_len = int("proto-max-bulk-len", DEFAULT_PROTO_MAX_BULK_LEN as i64);
        self.hll_sparse_max_bytes = int("hll-sparse-max-bytes", 3000);
        self.rdb_compression = config.get_bool("rdbcompression").unwrap_or(true);
        self.stream_node_limits = (
            int("stream-node-max-entries", 100),
            int("stream-node-max-bytes", 4096),
        );
        self.lfu = LfuParams {
            log_factor: int("lfu-log-factor", 10) as u32,
            decay_minutes: int("lfu-decay-time", 1) as u32,
        };
        let eviction = EvictionConfig {
            maxmemory: config.get_u64("maxmemory").unwrap_or(0),
            policy: Policy::parse(
                &config
                    .get_text("maxmemory-policy")
                    .unwrap_or_else(|| "noeviction".to_owned()),
            ),
            samples: int("maxmemory-samples", 5).max(1),
            tenacity: int("maxmemory-eviction-tenacity", 10).min(100) as u32,
        };
        if eviction.policy != self.eviction.policy {
            // Scores of another policy are not comparable.
            self.pool.clear();
        }
        self.eviction = eviction;
        self.thresholds = Thresholds::from_config(|name| config.get_int(name));
        self.notify_flags = config.notify_keyspace_events();
        self.lazyfree_lazy_expire = config.get_bool("lazyfree-lazy-expire").unwrap_or(false);
        self.lazyfree_lazy_eviction = config.get_bool("lazyfree-lazy-eviction").unwrap_or(false);
    }

    /// The command an expiry deletion is stated as: UNLINK under
    /// `lazyfree-lazy-expire`, DEL otherwise (Redis's `propagateDeletion`
    /// and `expireGenericCommand`'s `shared.unlink : shared.del`).
    pub fn expire_deletion_word(&self) -> bytes::Bytes {
        deletion_word(self.lazyfree_lazy_expire)
    }

    /// Number of databases.
    pub fn len(&self) -> usize {
        self.dbs.len()
    }

    /// Always false: there is at least one database.
    pub fn is_empty(&self) -> bool {
        self.dbs.is_empty()
    }

    /// Raw access to one database (no expiry or statistics applied).
    ///
    /// # Panics
    /// If `index` is out of range; callers validate indexes from clients
    /// (`SELECT` does) before they get here.
    pub fn db(&mut self, index: usize) -> &mut Db {
        &mut self.dbs[index]
    }

    /// The database `index` as seen by a command running at `now_ms`.
    pub fn view(&mut self, index: usize, now_ms: i64) -> DbView<'_> {
        DbView::new(self, index, now_ms)
    }

    /// Whether access data is an LFU counter under the current policy.
    pub fn lfu_enabled(&self) -> bool {
        self.eviction.policy.is_lfu()
    }

    /// Tracking invalidations, each placed after the keyspace events the
    /// command raised so far (Redis sends a key's invalidation before the
    /// notifications raised after it).
    fn invalidate_tracked(&mut self, key: &[u8]) {
        self.tracking.mark_events(self.events.len());
        self.tracking.invalidate(key, true);
    }

    /// [`Self::invalidate_tracked`] for a key the server deleted itself.
    pub(super) fn invalidate_tracked_deleted(&mut self, key: &[u8]) {
        self.tracking.mark_events(self.events.len());
        self.tracking.invalidate_deleted(key);
    }

    /// [`Self::invalidate_tracked`] for a flush: every key.
    fn invalidate_all_tracked(&mut self) {
        self.tracking.mark_events(self.events.len());
        self.tracking.invalidate_all();
    }

    /// States how many changes the running data command made, replacing
    /// the one change a writing command counts by default: Redis counts
    /// some commands per element (LPUSH per element pushed, HSET per field
    /// given, DEL per key deleted) and some writes as none (an LTRIM that
    /// kept every element), and the count is what the save points and
    /// propagation go by.
    pub fn count_changes(&mut self, changes: u64) {
        self.stated_changes = Some(changes);
    }

    /// Ends a data command that started when `dirty` was `dirty_before`:
    /// it counts the changes it stated, else one if it modified anything
    /// (Redis's usual `server.dirty++`, however many keys the command
    /// touched: RENAME, LMOVE, a key created then filled), else none (an
    /// expired key it found and deleted is no change).
    pub fn settle_changes(&mut self, dirty_before: u64) {
        match self.stated_changes.take() {
            Some(changes) => self.dirty = dirty_before + changes,
            None if self.dirty != dirty_before => self.dirty = dirty_before + 1,
            None => {}
        }
    }

    /// The single funnel every write goes through.
    pub fn key_modified(&mut self, db: usize, key: &[u8]) {
        self.dirty += 1;
        if !self.tracking.is_empty() {
            self.invalidate_tracked(key);
        }
        if !self.watch.is_empty() {
            let exists = self.dbs[db].find(key).is_some();
            self.watch.touch(db, key, exists);
        }
        if !self.blocking.is_empty() {
            self.blocking.mark_ready(db, key);
        }
    }

    /// Redis's `handleClientsBlockedOnKeys`: for each ready key holding a
    /// live value, wakes the first client waiting for its type; a key
    /// deleted or of another type wakes only XREADGROUP clients.
    pub fn serve_blocked(&mut self, now_ms: i64) {
        if !self.blocking.has_ready() {
            return;
        }
        for (db, key) in self.blocking.take_ready() {
            let Some(database) = self.dbs.get(db) else {
                continue;
            };
            let kind = database
                .find(&key)
                .and_then(|slot| database.entry(slot))
                .filter(|entry| !entry.is_expired(now_ms))
                .and_then(|entry| crate::blocking::BlockKind::of(&entry.value));
            self.blocking.wake_first_for(db, &key, kind);
        }
    }

    /// Called after an expired key was deleted (lazily or by the active
    /// cycle): counts it and breaks the watches on it. Not a change of
    /// the dataset (`dirty`): Redis's `deleteExpiredKeyAndPropagate`
    /// leaves `server.dirty` alone, so a write that found its key expired
    /// and then changed nothing propagates only the DEL.
    pub fn key_expired(&mut self, db: usize, key: &[u8]) {
        self.expired_keys += 1;
        self.signal_expired(db, key);
    }

    /// What an expired key's deletion tells others, once counted: watches
    /// broken, `expired` notified, tracking invalidated, the DEL (UNLINK
    /// under `lazyfree-lazy-expire`) stated.
    pub(super) fn signal_expired(&mut self, db: usize, key: &[u8]) {
        if !self.watch.is_empty() {
            self.watch.touch(db, key, false);
        }
        // Redis notifies `expired` before it signals the change.
        self.notify(moat_config::NotifyFlags::EXPIRED, "expired", db, key);
        if !self.tracking.is_empty() {
            self.invalidate_tracked_deleted(key);
        }
        // Replicas and the AOF never expire keys themselves: the deletion
        // is stated, as Redis's `propagateDeletion` does.
        let command = self.expire_deletion_word();
        self.propagate
            .push(db, vec![command, bytes::Bytes::copy_from_slice(key)]);
    }

    /// Whether a key exists but its TTL has passed (Redis's `keyIsExpired`).
    pub fn is_logically_expired(&self, db: usize, key: &[u8], now_ms: i64) -> bool {
        let db = &self.dbs[db];
        db.find(key)
            .and_then(|slot| db.entry(slot))
            .is_some_and(|e| e.is_expired(now_ms))
    }

    /// Exchanges two databases (SWAPDB). Out-of-range indexes do nothing
    /// and return false. Watches on keys that exist on either side break.
    pub fn swap(&mut self, a: usize, b: usize, now_ms: i64) -> bool {
        if a >= self.dbs.len() || b >= self.dbs.len() {
            return false;
        }
        if a == b {
            // Redis's dbSwapDatabases stops here: nothing moved, so no
            // watch breaks and no blocked client is looked at again; the
            // command still counts its change.
            self.dirty += 1;
            return true;
        }
        if !self.watch.is_empty() {
            for (emptied, replacement) in [(a, b), (b, a)] {
                let (from, to) = (&self.dbs[emptied], &self.dbs[replacement]);
                let in_replacement = |key: &[u8]| {
                    let slot = to.find(key);
                    (
                        slot.is_some(),
                        slot.and_then(|s| to.entry(s))
                            .is_some_and(|e| e.is_expired(now_ms)),
                    )
                };
                self.watch.touch_db(
                    emptied,
                    |key| from.find(key).is_some(),
                    Some(&in_replacement),
                );
            }
        }
        self.dbs.swap(a, b);
        if !self.blocking.is_empty() {
            self.blocking.mark_db_ready(&[a, b]);
        }
        self.dirty += 1;
        true
    }

    /// Breaks the watches on keys of a database about to be emptied.
    fn touch_flushed(&mut self, index: usize) {
        if self.watch.is_empty() {
            return;
        }
        let db = &self.dbs[index];
        self.watch
            .touch_db(index, |key| db.find(key).is_some(), None);
    }

    /// Empties one database; returns how many keys it held.
    pub fn flush_db(&mut self, index: usize) -> usize {
        if index >= self.dbs.len() {
            return 0;
        }
        self.touch_flushed(index);
        // Tracked keys are not per database: any flush invalidates all.
        self.invalidate_all_tracked();
        let removed = self.dbs[index].clear();
        self.dirty += removed as u64;
        removed
    }

    /// Empties every database; returns how many keys they held.
    pub fn flush_all(&mut self) -> usize {
        for index in 0..self.dbs.len() {
            self.touch_flushed(index);
        }
        self.invalidate_all_tracked();
        let removed: usize = self.dbs.iter_mut().map(Db::clear).sum();
        self.dirty += removed as u64;
        removed
    }

    /// Total keys across databases.
    pub fn total_keys(&self) -> usize {
        self.dbs.iter().map(Db::len).sum()
    }

    /// The `# Keyspace` lines of INFO, one per non-empty database:
    /// `db0:keys=1,expires=0,avg_ttl=0`.
    pub fn info_keyspace_lines(&self) -> Vec<String> {
        self.dbs
            .iter()
            .enumerate()
            .filter(|(_, db)| !db.is_empty())
            .map(|(index, db)| {
                format!(
                    "db{index}:keys={},expires={},avg_ttl={}",
                    db.len(),
                    db.volatile_len(),
                    db.avg_ttl_ms
                )
            })
            .collect()
    }

    /// Every database with its index, for writing a snapshot.
    pub fn databases(&self) -> impl Iterator<Item = (usize, &Db)> {
        self.dbs.iter().enumerate()
    }

    /// Stores a key read from a file into database `db` of a keyspace
    /// being loaded; false when the key is already there. The recorded
    /// idle time or LFU counter is kept when the policy uses it, as
    /// Redis's `objectSetLRUOrLFU` does.
    pub fn restore(&mut self, db: usize, key: &[u8], value: Value, meta: RestoreMeta) -> bool {
        let lfu = self.lfu_enabled();
        let lru = self.eviction.policy.is_lru();
        let word = match (meta.freq, meta.idle_secs) {
            (Some(freq), _) if lfu => access::from_freq(freq, meta.now_ms),
            (_, Some(idle)) if lru => access::from_idle(idle, meta.now_ms),
            _ => access::initial(lfu, meta.now_ms),
        };
        let expire_at = meta.expire_at;
        let db = &mut self.dbs[db];
        if db.find(key).is_some() {
            return false;
        }
        let slot = db.insert_new(key, value, word);
        db.set_expire(slot, expire_at);
        true
    }

    /// Replaces every database with those of `loaded` (a keyspace built
    /// from a file), as one step: readers see the old data or the new,
    /// never a mix. Watches on keys of the replaced data break, as when
    /// Redis empties its databases before loading. Loading is not a
    /// change: `dirty` stays (Redis's rdbLoad leaves it alone, so DEBUG
    /// RELOAD NOSAVE keeps what was not saved counted).
    pub fn install(&mut self, loaded: Keyspace) {
        for index in 0..self.dbs.len() {
            self.touch_flushed(index);
        }
        self.invalidate_all_tracked();
        self.dbs = loaded.dbs;
    }

    /// Zeroes the INFO counters (CONFIG RESETSTAT).
    pub fn reset_stats(&mut self) {
        self.expired_keys = 0;
        self.evicted_keys = 0;
        self.keyspace_hits = 0;
        self.keyspace_misses = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_lists_only_non_empty_databases() {
        let mut ks = Keyspace::new(3);
        ks.view(2, 0).set(b"k", Value::string(b"v"), false);
        assert_eq!(
            ks.info_keyspace_lines(),
            vec!["db2:keys=1,expires=0,avg_ttl=0".to_owned()]
        );
    }

    #[test]
    fn swap_and_flush() {
        let mut ks = Keyspace::new(2);
        ks.view(0, 0).set(b"k", Value::string(b"v"), false);
        assert!(ks.swap(0, 1, 0));
        assert!(!ks.swap(0, 2, 0));
        assert_eq!(ks.db(0).len(), 0);
        assert_eq!(ks.db(1).len(), 1);
        assert_eq!(ks.flush_all(), 1);
        assert_eq!(ks.total_keys(), 0);
    }

    #[test]
    fn writes_bump_dirty() {
        let mut ks = Keyspace::new(1);
        ks.view(0, 0).set(b"k", Value::string(b"v"), false);
        ks.view(0, 0).set(b"j", Value::string(b"v"), false);
        assert_eq!(ks.dirty, 2);
    }

    #[test]
    fn a_command_that_wrote_counts_one_change_by_default() {
        let mut ks = Keyspace::new(1);
        ks.dirty = 10;
        ks.view(0, 0).set(b"k", Value::string(b"v"), false);
        ks.view(0, 0).modified(b"k");
        ks.view(0, 0).remove(b"k");
        ks.settle_changes(10);
        assert_eq!(ks.dirty, 11);
    }

    #[test]
    fn a_command_that_wrote_nothing_counts_nothing() {
        let mut ks = Keyspace::new(1);
        ks.dirty = 10;
        ks.settle_changes(10);
        assert_eq!(ks.dirty, 10);
    }

    #[test]
    fn an_expired_key_found_is_no_change() {
        let mut ks = Keyspace::new(1);
        ks.view(0, 0).set(b"k", Value::string(b"v"), false);
        ks.view(0, 0).set_expire(b"k", 5);
        let before = ks.dirty;
        assert!(!ks.view(0, 10).contains(b"k"));
        ks.settle_changes(before);
        assert_eq!(ks.dirty, before);
        assert_eq!(ks.expired_keys, 1);
    }

    #[test]
    fn a_stated_count_replaces_the_default() {
        let mut ks = Keyspace::new(1);
        ks.view(0, 0).set(b"k", Value::string(b"v"), false);
        ks.count_changes(3);
        ks.settle_changes(0);
        assert_eq!(ks.dirty, 3);
        // The statement is the running command's only.
        ks.view(0, 0).modified(b"k");
        ks.settle_changes(3);
        assert_eq!(ks.dirty, 4);
    }

    #[test]
    fn a_write_may_count_as_none() {
        let mut ks = Keyspace::new(1);
        ks.view(0, 0).set(b"k", Value::string(b"v"), false);
        ks.view(0, 0).modified(b"k");
        ks.count_changes(0);
        ks.settle_changes(1);
        assert_eq!(ks.dirty, 1);
    }
}
