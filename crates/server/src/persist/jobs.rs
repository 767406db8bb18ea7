//! When and how the keyspace is written: SAVE (under the keyspace lock,
//! like Redis's blocking save), BGSAVE (a copy taken under the lock,
//! serialized on its own thread), the `save <seconds> <changes>` points,
//! and loading at start-up and for DEBUG RELOAD.
//!
//! BGSAVE trade-off: Redis forks and lets copy-on-write keep the
//! snapshot; moat clones every entry while holding the keyspace lock,
//! then releases it and writes from the copy. Clients wait for the clone
//! only, and the copy temporarily doubles the memory of the data, as a
//! fork under heavy writes would. Measured on a debug build with 189k
//! keys of 100-byte values (`redis-benchmark -t set -n 300000 -r 300000
//! -d 100 -P 50`, then `redis-cli BGSAVE` and `redis-cli SAVE`): BGSAVE
//! answered after 116 ms (the clone), SAVE after 900 ms (serializing and
//! writing 22 MB under the lock). Serializing in chunks between commands
//! would bound the pause further but let the snapshot drift from one
//! point in time, which Redis never does.

use super::file;
use super::load::{load_rdb, LoadStats};
use super::rdb::WriteOptions;
use super::save::{write_rdb, AuxInfo, DbEntries, Snapshot};
use crate::db::Keyspace;
use crate::scripting::Scripting;
use crate::shared::{now_ms, Shared};
use std::path::PathBuf;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

/// After a failed background save, the save points wait this long
/// before trying again (`CONFIG_BGSAVE_RETRY_DELAY`).
const BGSAVE_RETRY_DELAY_MS: i64 = 5000;

fn options(shared: &Shared) -> (PathBuf, WriteOptions) {
    let config = shared.config.read();
    (file::rdb_path(&config), write_options(&config))
}

/// `rdbcompression` and `rdbchecksum`, which AOF bases in RDB form
/// follow too.
pub fn write_options(config: &moat_config::Config) -> WriteOptions {
    WriteOptions {
        compression: config.get_bool("rdbcompression").unwrap_or(true),
        checksum: config.get_bool("rdbchecksum").unwrap_or(true),
    }
}

/// The AUX fields of a file written now from `ks`; `aof_base` for an
/// AOF's base.
pub fn aux(ks: &Keyspace, aof_base: bool) -> AuxInfo {
    AuxInfo {
        redis_version: crate::session_cmds::REDIS_COMPAT_VERSION,
        ctime_ms: now_ms(),
        used_mem: crate::alloc::allocated_bytes(),
        policy: ks.eviction.policy,
        lfu: ks.lfu,
        aof_base,
    }
}

/// `rdbSave`: writes the keyspace now, holding its lock. On success the
/// dirty counter restarts and LASTSAVE moves.
pub fn save_now(shared: &Shared, ks: &mut Keyspace) -> Result<(), String> {
    let (path, options) = options(shared);
    let aux = aux(ks, false);
    let libraries = shared.scripting.library_codes();
    let dbs: Vec<DbEntries<'_>> = ks.databases().map(|(i, db)| DbEntries::of(i, db)).collect();
    let mut generation = shared.persist.generation.lock();
    *generation += 1;
    let result = file::write_temp(&path, &foreground_temp(), |out| {
        write_rdb(out, options, &aux, &libraries, &dbs)
    })
    .and_then(|temp| file::commit(&temp, &path));
    drop(generation);
    drop(dbs);
    match result {
        Ok(()) => {
            tracing::info!("DB saved on disk");
            ks.dirty = 0;
            shared.last_save_secs.store(now_ms() / 1000, Relaxed);
            shared.persist.saves.fetch_add(1, Relaxed);
            shared.persist.last_bgsave_ok.store(true, Relaxed);
            Ok(())
        }
        Err(error) => {
            let text = crate::startup::io_error_text(&error);
            tracing::warn!("Failed saving the DB to {}: {text}", path.display());
            shared.persist.last_bgsave_ok.store(false, Relaxed);
            Err(text)
        }
    }
}

/// A background save is already running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InProgress;

/// `rdbSaveBackground`: copies the keyspace under the lock the caller
/// holds and writes the copy on another thread. Err when a background
/// save is already running.
pub fn start_background_save(shared: &Arc<Shared>, ks: &Keyspace) -> Result<(), InProgress> {
    let started = now_ms();
    if !shared.persist.try_begin_bgsave(started) {
        return Err(InProgress);
    }
    let snapshot = Snapshot::take(ks.databases(), shared.scripting.library_codes());
    let aux = aux(ks, false);
    let dirty_at_start = ks.dirty;
    let generation = *shared.persist.generation.lock();
    let (path, options) = options(shared);
    tracing::info!("Background saving started");
    let shared = shared.clone();
    let spawned = std::thread::Builder::new()
        .name("moat-bgsave".into())
        .spawn({
            let shared = shared.clone();
            move || {
                let dbs = snapshot.borrow();
                let temp_name = background_temp();
                let written = file::write_temp(&path, &temp_name, |out| {
                    write_rdb(out, options, &aux, &snapshot.libraries, &dbs)
                });
                drop(dbs);
                drop(snapshot);
                let result = written.and_then(|temp| {
                    let current = shared.persist.generation.lock();
                    if *current == generation {
                        file::commit(&temp, &path).map(|()| true)
                    } else {
                        file::discard(&temp);
                        Ok(false)
                    }
                });
                finish_background_save(&shared, result, dirty_at_start);
            }
        });
    if let Err(error) = spawned {
        finish_background_save(&shared, Err(error), 0);
    }
    Ok(())
}

/// `temp-<pid>.rdb`, as Redis names the file of a foreground save.
fn foreground_temp() -> String {
    format!("temp-{}.rdb", std::process::id())
}

/// The temporary file of background saves.
fn background_temp() -> String {
    format!("temp-{}-bgsave.rdb", std::process::id())
}

/// At exit: a background save still writing is abandoned, and its
/// temporary file removed, as Redis kills its child and unlinks the file.
pub fn abandon_background_save(shared: &Shared) {
    if shared.persist.bgsave_in_progress.load(Relaxed) {
        supersede_background_save(shared);
        let path = file::rdb_path(&shared.config.read());
        if let Some(dir) = path.parent() {
            file::discard(&dir.join(background_temp()));
        }
    }
}

/// Discards the work of a running background save: its file will not
/// replace the one on disk (FLUSHALL, foreground saves).
pub fn supersede_background_save(shared: &Shared) {
    *shared.persist.generation.lock() += 1;
}

fn finish_background_save(shared: &Shared, result: std::io::Result<bool>, dirty_at_start: u64) {
    let ok = result.is_ok();
    match result {
        Ok(false) => {
            tracing::warn!(
                "Background saving superseded by a newer save or a flush; its file was discarded"
            );
            let unchanged = shared.persist.last_bgsave_ok.load(Relaxed);
            shared.persist.end_bgsave(unchanged, now_ms());
            return;
        }
        Ok(true) => {
            tracing::info!("DB saved on disk");
            {
                let mut ks = shared.keyspace.lock();
                ks.dirty = ks.dirty.saturating_sub(dirty_at_start);
            }
            shared.last_save_secs.store(now_ms() / 1000, Relaxed);
            shared.persist.saves.fetch_add(1, Relaxed);
            tracing::info!("Background saving terminated with success");
        }
        Err(error) => {
            tracing::warn!(
                "Background saving error: {}",
                crate::startup::io_error_text(&error)
            );
        }
    }
    shared.persist.end_bgsave(ok, now_ms());
}

/// One cron tick's check of the `save` points (`serverCron`): starts a
/// background save when enough changes are old enough.
pub fn check_save_points(shared: &Arc<Shared>) {
    if shared.persist.bgsave_in_progress.load(Relaxed) {
        return;
    }
    if shared.persist.bgsave_scheduled.swap(false, Relaxed) {
        let ks = shared.keyspace.lock();
        let _ = start_background_save(shared, &ks);
        return;
    }
    let points = shared.config.read().save_points().to_vec();
    if points.is_empty() {
        return;
    }
    let now = now_ms();
    let since_save = now / 1000 - shared.last_save_secs.load(Relaxed);
    let may_retry = shared.persist.last_bgsave_ok.load(Relaxed)
        || now - shared.persist.last_bgsave_try_ms.load(Relaxed) > BGSAVE_RETRY_DELAY_MS;
    let ks = shared.keyspace.lock();
    let due = points
        .iter()
        .find(|p| ks.dirty >= p.changes.max(0) as u64 && since_save >= p.seconds);
    if let (Some(point), true) = (due, may_retry) {
        tracing::info!(
            "{} changes in {} seconds. Saving...",
            point.changes,
            point.seconds
        );
        let _ = start_background_save(shared, &ks);
    }
}

/// Whether writes are refused because the last save failed
/// (`stop-writes-on-bgsave-error` with save points configured).
pub fn writes_refused(shared: &Shared) -> bool {
    if shared.persist.last_bgsave_ok.load(Relaxed) {
        return false;
    }
    let config = shared.config.read();
    config
        .get_bool("stop-writes-on-bgsave-error")
        .unwrap_or(true)
        && !config.save_points().is_empty()
}

/// Loads the configured file into a new keyspace shaped like `ks` and new
/// function libraries, and installs both. A missing file is an empty
/// dataset (Ok(None)) and changes nothing.
pub fn load_file(
    path: &std::path::Path,
    ks: &mut Keyspace,
    scripting: &Scripting,
) -> Result<Option<LoadStats>, String> {
    let bytes = file::read_if_exists(path).map_err(|e| {
        format!(
            "Fatal error loading the DB, check server logs. Exiting. ({}: {})",
            path.display(),
            crate::startup::io_error_text(&e)
        )
    })?;
    let Some(bytes) = bytes else {
        return Ok(None);
    };
    let stats = load_rdb(&bytes, ks, now_ms())
        .and_then(|loaded| loaded.install(ks, scripting))
        .map_err(|e| {
            format!(
                "Fatal error loading the DB from {}: {e}. Exiting.",
                path.display()
            )
        })?;
    Ok(Some(stats))
}
