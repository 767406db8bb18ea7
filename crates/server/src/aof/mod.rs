//! The append-only file, in Redis 7's multi-part layout.
//!
//! Every command that changed the dataset reaches the AOF through one
//! path: dispatch (`Session::call`) collects the keyspace's propagation
//! buffer ([`crate::db::Propagation`]) at the end of each top-level
//! command, still under the keyspace lock, and [`Aof::feed`] encodes it
//! into the in-memory buffer, so the file's order is the execution order.
//! Before a connection writes its replies it passes [`Aof::barrier`] with
//! the offset its commands reached: the buffer is written to the incr
//! file (so a killed process loses nothing acknowledged) and, with
//! `appendfsync always`, fsynced first: the first connection to get there
//! writes and fsyncs for every one that fed before it, and the others
//! await that fsync, one serving every client that waits.
//! `everysec` leaves the fsync to a thread that runs each second
//! ([`fsync`]).
//!
//! The directory (`appenddirname`) holds a base file, incr files and the
//! manifest ([`manifest`]); a rewrite ([`rewrite`]) snapshots the
//! keyspace, switches writes to a new incr file, writes the new base in a
//! thread (an RDB file under `aof-use-rdb-preamble yes`) and swaps the
//! manifest atomically. [`load`] replays it all at start-up, reading an
//! RDB base or preamble with [`preamble`].

pub mod encode;
pub mod fsync;
pub mod load;
pub mod manifest;
pub mod preamble;
pub mod reader;
pub mod rewrite;
pub mod waitaof;

use crate::db::Op;
use manifest::Manifest;
use moat_config::Config;
use parking_lot::Mutex;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// `appendfsync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsyncPolicy {
    Always,
    EverySec,
    No,
}

impl FsyncPolicy {
    fn from_config(config: &Config) -> FsyncPolicy {
        match config.get_text("appendfsync").as_deref() {
            Some("always") => FsyncPolicy::Always,
            Some("no") => FsyncPolicy::No,
            _ => FsyncPolicy::EverySec,
        }
    }

    fn code(self) -> u8 {
        self as u8
    }

    fn from_code(code: u8) -> FsyncPolicy {
        match code {
            0 => FsyncPolicy::Always,
            2 => FsyncPolicy::No,
            _ => FsyncPolicy::EverySec,
        }
    }
}

/// The settings read from the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub dir: PathBuf,
    pub basename: String,
    pub timestamps: bool,
    pub auto_percentage: i64,
    pub auto_min_size: i64,
    pub keep_history: bool,
    pub load_truncated: bool,
    /// `aof-use-rdb-preamble`: new bases are RDB files.
    pub rdb_preamble: bool,
}

impl Settings {
    pub fn from_config(config: &Config) -> Settings {
        Settings {
            dir: PathBuf::from(
                config
                    .get_text("appenddirname")
                    .unwrap_or_else(|| "appendonlydir".into()),
            ),
            basename: config
                .get_text("appendfilename")
                .unwrap_or_else(|| "appendonly.aof".into()),
            timestamps: config.get_text("aof-timestamp-enabled").as_deref() == Some("yes"),
            auto_percentage: config.get_int("auto-aof-rewrite-percentage").unwrap_or(100),
            auto_min_size: config
                .get_int("auto-aof-rewrite-min-size")
                .unwrap_or(64 * 1024 * 1024),
            keep_history: config.get_text("aof-disable-auto-gc").as_deref() == Some("yes"),
            load_truncated: config.get_text("aof-load-truncated").as_deref() != Some("no"),
            rdb_preamble: config.get_text("aof-use-rdb-preamble").as_deref() != Some("no"),
        }
    }

    pub fn manifest_path(&self) -> PathBuf {
        self.dir.join(format!("{}.manifest", self.basename))
    }
}

/// A rewrite between its start and the manifest swap.
pub(crate) struct Rewriting {
    pub started: Instant,
    /// Incr files from this sequence number on hold writes the new base
    /// does not contain.
    pub first_kept_incr: i64,
}

/// Everything under the AOF mutex.
pub(crate) struct State {
    pub settings: Settings,
    pub manifest: Manifest,
    /// The incr file being appended to.
    pub file: Option<Arc<File>>,
    /// Encoded commands not yet written.
    pub buf: Vec<u8>,
    /// Logical offset of the end of `buf` (bytes ever fed).
    pub fed: u64,
    pub selected_db: Option<usize>,
    pub last_timestamp: i64,
    /// Size of the base plus the incr files (`aof_current_size`).
    pub current_size: u64,
    /// Length of the incr file being appended to.
    pub incr_size: u64,
    /// The incr file appends left, until its last bytes are fsynced.
    pub unsynced_old: Option<Arc<File>>,
    /// The manifest changed and must be durable before anything is
    /// written to the file it added (see [`Aof::write_out`]).
    pub manifest_dirty: bool,
    /// `aof_current_size` when the last rewrite ended (`aof_base_size`).
    pub base_size: u64,
    pub rewriting: Option<Rewriting>,
    /// `CONFIG SET appendonly yes` retired the listed files and no base
    /// has been installed since (Redis's `AOF_WAIT_REWRITE`): nothing
    /// appended is durable yet.
    pub awaiting_first_base: bool,
    pub rewrite_scheduled: bool,
    pub rewrites: u64,
    pub consecutive_failures: u64,
    pub last_rewrite_secs: i64,
    pub last_bgrewrite_ok: bool,
    pub last_write_error: Option<String>,
}

/// The AOF, shared by every connection.
pub struct Aof {
    pub(crate) state: Mutex<State>,
    /// One fsync at a time, so that a waiting client finds its bytes
    /// synced by the fsync that just ended.
    sync_lock: Mutex<()>,
    /// One writer at a time, so chunks land in the order they were fed;
    /// the state lock is not held during the write, so commands keep
    /// feeding the buffer meanwhile.
    write_lock: Mutex<()>,
    /// Notified after every fsync, for connections waiting under `always`.
    synced: tokio::sync::Notify,
    /// Logical offsets written to the file and fsynced.
    written: AtomicU64,
    fsynced: AtomicU64,
    enabled: AtomicBool,
    /// Set while the last write failed, so write commands can be refused
    /// without taking the lock.
    write_failed: AtomicBool,
    policy: AtomicU8,
    /// WAITAOF clients may be blocked ([`waitaof`]).
    pub(crate) waitaof_waiters: AtomicBool,
    /// The fsynced offset they were last woken for.
    pub(crate) waitaof_woken_at: AtomicU64,
}

impl Aof {
    pub fn new(config: &Config) -> Aof {
        Aof {
            state: Mutex::new(State {
                settings: Settings::from_config(config),
                manifest: Manifest::default(),
                file: None,
                buf: Vec::new(),
                fed: 0,
                selected_db: None,
                last_timestamp: 0,
                current_size: 0,
                incr_size: 0,
                unsynced_old: None,
                manifest_dirty: false,
                base_size: 0,
                rewriting: None,
                awaiting_first_base: false,
                rewrite_scheduled: false,
                rewrites: 0,
                consecutive_failures: 0,
                last_rewrite_secs: -1,
                last_bgrewrite_ok: true,
                last_write_error: None,
            }),
            sync_lock: Mutex::new(()),
            write_lock: Mutex::new(()),
            synced: tokio::sync::Notify::new(),
            written: AtomicU64::new(0),
            fsynced: AtomicU64::new(0),
            enabled: AtomicBool::new(false),
            write_failed: AtomicBool::new(false),
            policy: AtomicU8::new(FsyncPolicy::from_config(config).code()),
            waitaof_waiters: AtomicBool::new(false),
            waitaof_woken_at: AtomicU64::new(0),
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Acquire)
    }

    /// Whether everything fed up to `offset` is durable: fsynced, and not
    /// waiting for the first base of a run-time `appendonly yes`.
    pub fn fsynced_through(&self, offset: u64) -> bool {
        if !self.is_enabled() {
            return false;
        }
        !self.state.lock().awaiting_first_base && self.fsynced.load(Ordering::SeqCst) >= offset
    }

    /// The offset fsynced so far.
    pub(crate) fn fsynced_offset(&self) -> u64 {
        self.fsynced.load(Ordering::SeqCst)
    }

    pub fn policy(&self) -> FsyncPolicy {
        FsyncPolicy::from_code(self.policy.load(Ordering::Relaxed))
    }

    /// Re-reads the settings CONFIG SET may change.
    pub fn reconfigure(&self, config: &Config) {
        self.policy
            .store(FsyncPolicy::from_config(config).code(), Ordering::Relaxed);
        let fresh = Settings::from_config(config);
        let mut state = self.state.lock();
        // The directory and file names are immutable once started.
        state.settings = Settings {
            dir: state.settings.dir.clone(),
            basename: state.settings.basename.clone(),
            ..fresh
        };
    }

    /// Appends the commands of one execution unit; wraps them in
    /// MULTI/EXEC when they came from a transaction (or a script) and
    /// are more than one. Returns the offset a client must wait for
    /// before its reply, 0 when the AOF is off. Called under the keyspace
    /// lock, which orders the file as commands ran.
    pub fn feed(&self, ops: Vec<Op>, transaction: bool) -> u64 {
        if !self.is_enabled() || ops.is_empty() {
            return 0;
        }
        let mut state = self.state.lock();
        let state = &mut *state;
        let before = state.buf.len();
        if state.settings.timestamps {
            let now = crate::shared::now_ms() / 1000;
            if now > state.last_timestamp {
                state.last_timestamp = now;
                encode::timestamp(&mut state.buf, now);
            }
        }
        let wrap = transaction && ops.len() > 1;
        let mut select = |buf: &mut Vec<u8>, db: usize| {
            if state.selected_db != Some(db) {
                encode::select(buf, db);
                state.selected_db = Some(db);
            }
        };
        if wrap {
            // MULTI takes the first command's database, so its SELECT
            // comes before the MULTI (Redis's propagatePendingCommands).
            select(&mut state.buf, ops[0].db);
            encode::command(&mut state.buf, &["MULTI"]);
        }
        for op in &ops {
            select(&mut state.buf, op.db);
            encode::command(&mut state.buf, &op.argv);
        }
        if wrap {
            encode::command(&mut state.buf, &["EXEC"]);
        }
        state.fed += (state.buf.len() - before) as u64;
        state.fed
    }

    /// Makes everything up to `offset` durable as the fsync policy
    /// promises before a reply goes out: written to the file after the
    /// other ready connections had their turn, so one write serves many,
    /// and under `always` fsynced. Returns whether this call fsynced (its
    /// caller then wakes WAITAOF clients).
    ///
    /// Under `always` the first connection to get here after yielding
    /// writes and fsyncs on its own thread, for every connection that fed
    /// before it, as Redis's beforeSleep does once per event-loop
    /// iteration; the others wait for that fsync without holding their
    /// thread. Handing the fsync to a thread of its own would cost two
    /// thread switches per round, as much as the fsync itself on a fast
    /// disk, and would start the next round before the clients just
    /// answered could send again, splitting them into two half-size
    /// groups.
    ///
    /// `yielded`: the caller let the other ready connections run since
    /// its commands fed the AOF, so they need not run again first.
    pub async fn barrier(&self, offset: u64, yielded: bool) -> bool {
        if offset == 0 {
            return false;
        }
        let always = self.policy() == FsyncPolicy::Always;
        if self.written.load(Ordering::Acquire) < offset {
            if !yielded {
                crate::signal::yield_to_ready_connections().await;
            }
            if !always && self.written.load(Ordering::Acquire) < offset {
                self.write_pending();
            }
        }
        if !always {
            return false;
        }
        loop {
            if self.fsynced.load(Ordering::Acquire) >= offset {
                return false;
            }
            // Enabled before trying the lock: whoever holds it notifies
            // after releasing it, so that notification is not missed.
            let notified = self.synced.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(one) = self.sync_lock.try_lock() {
                // One that fsynced between the test and the lock has
                // woken its waiters already.
                if self.fsynced.load(Ordering::Acquire) >= offset {
                    return false;
                }
                if let Err(error) = self.sync_and_notify(one) {
                    fatal_always(&error);
                }
                // That write and fsync covered everything fed before it,
                // this offset included (a failed one under `always` ends
                // the process). Only an AOF turned off meanwhile, which
                // wrote and fsynced what it had, leaves the offset short.
                return true;
            }
            notified.await;
        }
    }

    /// Writes the buffer to the incr file. A failed write is undone
    /// (the file is cut back to its last good size) and retried later.
    pub fn write_pending(&self) {
        let _writer = self.write_lock.lock();
        if let Err(error) = self.write_out() {
            if self.policy() == FsyncPolicy::Always {
                fatal_always(&error);
            }
        }
    }

    /// Takes the buffer and writes it without the state lock. Callers
    /// hold `write_lock`.
    fn write_out(&self) -> std::io::Result<()> {
        self.persist_dirty_manifest()?;
        let (mut data, file, end) = {
            let mut state = self.state.lock();
            if state.buf.is_empty() {
                return Ok(());
            }
            let Some(file) = state.file.clone() else {
                // Off, or between files: nothing may be lost, so keep it.
                return Ok(());
            };
            (std::mem::take(&mut state.buf), file, state.fed)
        };
        let result = (&*file).write_all(&data);
        let mut state = self.state.lock();
        match result {
            Ok(()) => {
                self.wrote(&mut state, data.len(), end);
                // Keep the allocation for the next commands.
                if state.buf.is_empty() {
                    data.clear();
                    state.buf = data;
                }
                Ok(())
            }
            Err(error) => {
                // Not written: it goes back in front of what came since.
                data.extend_from_slice(&state.buf);
                state.buf = data;
                Err(self.write_error_seen(&mut state, &file, error))
            }
        }
    }

    /// Makes a manifest that lists a new incr file durable before the
    /// file receives anything, without holding the state lock (commands
    /// keep running; only replies of writes wait). Callers hold
    /// `write_lock`, under which alone the manifest changes.
    fn persist_dirty_manifest(&self) -> std::io::Result<()> {
        let pending = {
            let state = self.state.lock();
            state
                .manifest_dirty
                .then(|| (state.settings.clone(), state.manifest.clone()))
        };
        if let Some((settings, manifest)) = pending {
            persist_manifest(&settings, &manifest)?;
            self.state.lock().manifest_dirty = false;
        }
        Ok(())
    }

    /// Writes the buffer while holding the state lock (switching files,
    /// with `write_lock` held by the caller).
    fn write_locked(&self, state: &mut State) -> std::io::Result<()> {
        if state.buf.is_empty() {
            return Ok(());
        }
        let Some(file) = state.file.clone() else {
            return Ok(());
        };
        match (&*file).write_all(&state.buf) {
            Ok(()) => {
                let (len, end) = (state.buf.len(), state.fed);
                state.buf.clear();
                self.wrote(state, len, end);
                Ok(())
            }
            Err(error) => Err(self.write_error_seen(state, &file, error)),
        }
    }

    fn wrote(&self, state: &mut State, len: usize, end: u64) {
        state.current_size += len as u64;
        state.incr_size += len as u64;
        self.written.store(end, Ordering::Release);
        if state.last_write_error.take().is_some() {
            self.write_failed.store(false, Ordering::Release);
            tracing::warn!("AOF write error looks solved, Redis can write again.");
        }
    }

    fn write_error_seen(
        &self,
        state: &mut State,
        file: &File,
        error: std::io::Error,
    ) -> std::io::Error {
        // A partial write would leave half a command: cut it off.
        let _ = file.set_len(state.incr_size);
        if state.last_write_error.is_none() {
            tracing::warn!(
                "Error writing to the AOF file: {}",
                crate::startup::io_error_text(&error)
            );
        }
        state.last_write_error = Some(crate::startup::io_error_text(&error));
        self.write_failed.store(true, Ordering::Release);
        error
    }

    /// The writer and state locks together, for switching files.
    pub(crate) fn lock_exclusive(
        &self,
    ) -> (
        parking_lot::MutexGuard<'_, ()>,
        parking_lot::MutexGuard<'_, State>,
    ) {
        let writer = self.write_lock.lock();
        (writer, self.state.lock())
    }

    /// The writer lock alone: no write, file switch or manifest swap
    /// happens while it is held (DEBUG LOADAOF reading the files).
    pub(crate) fn hold_writer(&self) -> parking_lot::MutexGuard<'_, ()> {
        self.write_lock.lock()
    }

    /// fsyncs with `sync_lock` held (`one`), then releases it and wakes
    /// the connections that found it taken and wait in [`Aof::barrier`]:
    /// every fsync goes through here, so none can forget them.
    fn sync_and_notify(&self, one: parking_lot::MutexGuard<'_, ()>) -> std::io::Result<()> {
        let result = self.sync_now();
        drop(one);
        self.synced.notify_waiters();
        result
    }

    /// fsyncs what has been written so far. Callers hold `sync_lock`.
    fn sync_now(&self) -> std::io::Result<()> {
        let (file, old, target) = {
            let _writer = self.write_lock.lock();
            self.write_out()?;
            let state = self.state.lock();
            (
                state.file.clone(),
                state.unsynced_old.clone(),
                self.written.load(Ordering::Acquire),
            )
        };
        if let Some(old) = &old {
            old.sync_data()?;
            let mut state = self.state.lock();
            if state
                .unsynced_old
                .as_ref()
                .is_some_and(|o| Arc::ptr_eq(o, old))
            {
                state.unsynced_old = None;
            }
        }
        if let Some(file) = file {
            file.sync_data()?;
        }
        self.fsynced.fetch_max(target, Ordering::AcqRel);
        Ok(())
    }

    /// The `everysec` fsync (and a write of whatever is still buffered),
    /// run once a second by [`fsync::spawn`].
    pub fn tick(&self) {
        if !self.is_enabled() {
            return;
        }
        self.write_pending();
        let old_pending = self.state.lock().unsynced_old.is_some();
        if old_pending
            || self.policy() == FsyncPolicy::EverySec
                && self.fsynced.load(Ordering::Acquire) < self.written.load(Ordering::Acquire)
        {
            if let Err(error) = self.sync_and_notify(self.sync_lock.lock()) {
                tracing::warn!(
                    "Can't persist the AOF file: fsync failed: {}",
                    crate::startup::io_error_text(&error)
                );
            }
        }
    }

    /// Writes what the server fed on its own (the deletions of expired and
    /// evicted keys), fsynced at once under `always`, as Redis's
    /// `beforeSleep` flushes the buffer after its cron.
    pub fn write_fed_by_server(&self) {
        if !self.is_enabled() {
            return;
        }
        if self.policy() == FsyncPolicy::Always {
            self.flush_and_sync();
        } else {
            self.write_pending();
        }
    }

    /// Writes and fsyncs everything (SHUTDOWN, turning the AOF off).
    pub fn flush_and_sync(&self) {
        if !self.is_enabled() {
            return;
        }
        if let Err(error) = self.sync_and_notify(self.sync_lock.lock()) {
            tracing::warn!(
                "Error flushing the AOF: {}",
                crate::startup::io_error_text(&error)
            );
        }
    }

    /// Starts appending (start-up after loading, or `CONFIG SET
    /// appendonly yes` before its rewrite).
    pub(crate) fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::Release);
    }

    /// Stops appending (`CONFIG SET appendonly no`); the incr file stays
    /// listed for the next start.
    pub(crate) fn stop(&self) {
        self.set_enabled(false);
        let (_writer, mut state) = self.lock_exclusive();
        self.switch_file(&mut state, None, 0);
        state.buf.clear();
    }

    /// Turning the AOF on at run time: the files a past run listed hold a
    /// dataset that may have changed since, so they become history; the
    /// rewrite that follows writes the base. A crash before that base
    /// exists loads only what was appended since, never stale data.
    pub(crate) fn retire_listed_files(&self) {
        let (_writer, mut state) = self.lock_exclusive();
        state.awaiting_first_base = true;
        let manifest = &mut state.manifest;
        let retired: Vec<_> = manifest
            .base
            .take()
            .into_iter()
            .chain(manifest.incrs.drain(..))
            .collect();
        manifest.history.extend(retired.into_iter().map(|mut info| {
            info.kind = manifest::FileType::History;
            info
        }));
    }

    /// Switches appends to `file`, writing and fsyncing what the old one
    /// still had to receive. Callers hold [`Aof::lock_exclusive`].
    pub(crate) fn switch_file(&self, state: &mut State, file: Option<Arc<File>>, size: u64) {
        let _ = self.write_locked(state);
        // The old file's last bytes are fsynced by the next fsync (or the
        // rewrite thread), not here under the locks.
        if let Some(old) = state.file.take() {
            if let Some(older) = state.unsynced_old.replace(old) {
                let _ = older.sync_data();
            }
        }
        state.file = file;
        state.incr_size = size;
        // A new file starts with its own SELECT.
        state.selected_db = None;
        state.last_timestamp = 0;
    }

    /// The MISCONF error write commands get while the AOF cannot be
    /// written (Redis refuses writes rather than lose them).
    pub fn write_error(&self) -> Option<String> {
        if !self.is_enabled() || !self.write_failed.load(Ordering::Acquire) {
            return None;
        }
        self.state.lock().last_write_error.clone()
    }

    /// The bytes of the buffer not yet written (MEMORY STATS `aof.buffer`,
    /// Redis's `sdsalloc(server.aof_buf)`).
    pub fn buffered_bytes(&self) -> usize {
        self.state.lock().buf.capacity()
    }

    /// The AOF lines of `INFO persistence`, in Redis's order.
    pub fn info(&self, out: &mut String) {
        let state = self.state.lock();
        let enabled = self.is_enabled();
        let mut kv = |k: &str, v: String| {
            out.push_str(k);
            out.push(':');
            out.push_str(&v);
            out.push_str("\r\n");
        };
        kv("aof_enabled", u8::from(enabled).to_string());
        kv(
            "aof_rewrite_in_progress",
            u8::from(state.rewriting.is_some()).to_string(),
        );
        kv(
            "aof_rewrite_scheduled",
            u8::from(state.rewrite_scheduled).to_string(),
        );
        kv(
            "aof_last_rewrite_time_sec",
            state.last_rewrite_secs.to_string(),
        );
        kv(
            "aof_current_rewrite_time_sec",
            state
                .rewriting
                .as_ref()
                .map_or(-1, |r| r.started.elapsed().as_secs() as i64)
                .to_string(),
        );
        let status = |ok: bool| if ok { "ok" } else { "err" }.to_string();
        kv("aof_last_bgrewrite_status", status(state.last_bgrewrite_ok));
        kv("aof_rewrites", state.rewrites.to_string());
        kv(
            "aof_rewrites_consecutive_failures",
            state.consecutive_failures.to_string(),
        );
        kv(
            "aof_last_write_status",
            status(state.last_write_error.is_none()),
        );
        kv("aof_last_cow_size", "0".into());
        kv("module_fork_in_progress", "0".into());
        kv("module_fork_last_cow_size", "0".into());
        if enabled {
            kv("aof_current_size", state.current_size.to_string());
            kv("aof_base_size", state.base_size.to_string());
            kv(
                "aof_pending_rewrite",
                u8::from(state.rewrite_scheduled).to_string(),
            );
            kv("aof_buffer_length", state.buf.len().to_string());
            kv("aof_pending_bio_fsync", "0".into());
            kv("aof_delayed_fsync", "0".into());
        }
    }

    /// Whether `auto-aof-rewrite-percentage` and `-min-size` call for a
    /// rewrite now (Redis's `serverCron` rule).
    pub fn wants_auto_rewrite(&self) -> bool {
        if !self.is_enabled() {
            return false;
        }
        let state = self.state.lock();
        let settings = &state.settings;
        if state.rewriting.is_some() || settings.auto_percentage <= 0 {
            return false;
        }
        if (state.current_size as i64) < settings.auto_min_size {
            return false;
        }
        let base = state.base_size.max(1);
        let growth = (state.current_size * 100 / base) as i64 - 100;
        growth >= settings.auto_percentage
    }
}

/// Redis stops rather than acknowledge writes it could not make durable.
fn fatal_always(error: &std::io::Error) -> ! {
    tracing::error!(
        "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting... ({})",
        crate::startup::io_error_text(error)
    );
    std::process::exit(1);
}

/// Opens (creating) an incr file for appending.
pub(crate) fn open_append(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

/// Writes the manifest atomically (temp file, fsync, rename, fsync dir).
pub(crate) fn persist_manifest(settings: &Settings, manifest: &Manifest) -> std::io::Result<()> {
    moat_config::atomic::replace_file(&settings.manifest_path(), manifest.render().as_bytes())
        .map_err(|failure| {
            tracing::warn!(
                "Can't persist the AOF manifest file {}: {}",
                settings.manifest_path().display(),
                crate::startup::io_error_text(&failure.error)
            );
            failure.error
        })
}

/// Deletes the history files a swap left, unless `aof-disable-auto-gc`,
/// and persists the manifest without them.
pub(crate) fn delete_history(settings: &Settings, manifest: &mut Manifest) {
    if settings.keep_history || manifest.history.is_empty() {
        return;
    }
    for info in std::mem::take(&mut manifest.history) {
        let path = settings.dir.join(&info.name);
        match std::fs::remove_file(&path) {
            Ok(()) => tracing::info!("Removing the history file {} in the background", info.name),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => tracing::warn!(
                "Can't remove the history file {}: {}",
                info.name,
                crate::startup::io_error_text(&error)
            ),
        }
    }
    let _ = persist_manifest(settings, manifest);
}

/// Size of the files the manifest lists, for `aof_current_size`.
pub(crate) fn listed_size(settings: &Settings, manifest: &Manifest) -> u64 {
    manifest
        .files()
        .filter_map(|info| std::fs::metadata(settings.dir.join(&info.name)).ok())
        .map(|m| m.len())
        .sum()
}
