//! Persistence bookkeeping shared by SAVE, BGSAVE, the save points and
//! INFO persistence. Atomics: INFO and the cron read them without taking
//! the keyspace lock, and the background writer updates them from its own
//! thread.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering::Relaxed};

pub struct PersistState {
    pub bgsave_in_progress: AtomicBool,
    /// `BGSAVE SCHEDULE` while a save ran: start one as soon as it ends.
    pub bgsave_scheduled: AtomicBool,
    /// `rdb_last_bgsave_status`: whether the last background save (or
    /// SAVE) succeeded.
    pub last_bgsave_ok: AtomicBool,
    /// `rdb_saves`.
    pub saves: AtomicU64,
    /// `rdb_last_bgsave_time_sec`, -1 before the first.
    pub last_bgsave_secs: AtomicI64,
    /// Start of the running background save (ms), -1 when none.
    pub bgsave_started_ms: AtomicI64,
    /// When a background save was last attempted (ms), for the retry
    /// delay after a failure.
    pub last_bgsave_try_ms: AtomicI64,
    /// `rdb_last_load_keys_loaded` / `rdb_last_load_keys_expired`.
    pub last_load_loaded: AtomicU64,
    pub last_load_expired: AtomicU64,
    /// Bumped by every foreground save and every flush. A background save
    /// started under an older generation does not replace the file: its
    /// data is older than what is on disk or was discarded (Redis kills
    /// the child in those cases). Held while a file is put in place.
    pub generation: parking_lot::Mutex<u64>,
}

impl Default for PersistState {
    fn default() -> PersistState {
        PersistState {
            bgsave_in_progress: AtomicBool::new(false),
            bgsave_scheduled: AtomicBool::new(false),
            last_bgsave_ok: AtomicBool::new(true),
            saves: AtomicU64::new(0),
            last_bgsave_secs: AtomicI64::new(-1),
            bgsave_started_ms: AtomicI64::new(-1),
            last_bgsave_try_ms: AtomicI64::new(0),
            last_load_loaded: AtomicU64::new(0),
            last_load_expired: AtomicU64::new(0),
            generation: parking_lot::Mutex::new(0),
        }
    }
}

impl PersistState {
    /// Claims the single save slot; false when a background save runs.
    pub fn try_begin_bgsave(&self, now_ms: i64) -> bool {
        let claimed = self
            .bgsave_in_progress
            .compare_exchange(false, true, std::sync::atomic::Ordering::AcqRel, Relaxed)
            .is_ok();
        if claimed {
            self.bgsave_started_ms.store(now_ms, Relaxed);
            self.last_bgsave_try_ms.store(now_ms, Relaxed);
        }
        claimed
    }

    pub fn end_bgsave(&self, ok: bool, now_ms: i64) {
        let started = self.bgsave_started_ms.swap(-1, Relaxed);
        self.last_bgsave_secs
            .store(((now_ms - started).max(0) + 500) / 1000, Relaxed);
        self.last_bgsave_ok.store(ok, Relaxed);
        self.bgsave_in_progress.store(false, Relaxed);
    }

    /// The `# Persistence` fields after `rdb_changes_since_last_save`.
    pub fn info_fields(&self, now_ms: i64, last_save_secs: i64) -> Vec<(&'static str, String)> {
        let started = self.bgsave_started_ms.load(Relaxed);
        let current = if started < 0 {
            -1
        } else {
            (now_ms - started) / 1000
        };
        vec![
            (
                "rdb_bgsave_in_progress",
                u8::from(self.bgsave_in_progress.load(Relaxed)).to_string(),
            ),
            ("rdb_last_save_time", last_save_secs.to_string()),
            (
                "rdb_last_bgsave_status",
                if self.last_bgsave_ok.load(Relaxed) {
                    "ok"
                } else {
                    "err"
                }
                .to_owned(),
            ),
            (
                "rdb_last_bgsave_time_sec",
                self.last_bgsave_secs.load(Relaxed).to_string(),
            ),
            ("rdb_current_bgsave_time_sec", current.to_string()),
            ("rdb_saves", self.saves.load(Relaxed).to_string()),
            ("rdb_last_cow_size", "0".to_owned()),
            (
                "rdb_last_load_keys_expired",
                self.last_load_expired.load(Relaxed).to_string(),
            ),
            (
                "rdb_last_load_keys_loaded",
                self.last_load_loaded.load(Relaxed).to_string(),
            ),
        ]
    }
}
