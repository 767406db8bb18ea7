//! AOF rewrite: a new base file holding the dataset.
//!
//! Redis forks; moat captures the keyspace under its lock (a memory
//! copy, the only pause clients see: the entries with
//! `aof-use-rdb-preamble yes`, the encoded commands with `no`, see
//! [`base`]), and in the same critical section switches appends to a
//! new incr file, so that base plus the incr files from that one on are
//! exactly the dataset. A thread then writes it to a temporary file,
//! fsyncs it, renames it to `<name>.<n>.base.rdb` (or `.base.aof`) and
//! swaps the manifest atomically; the files the new base covers become
//! history and are deleted. A crash at any point leaves a manifest that
//! lists a complete set of files.
//!
//! For a command base each value type has its own small generator
//! (`string.rs`, `hash.rs`, `set.rs`...); a new type adds one file and
//! one arm in [`emit_value`].

pub mod base;
mod functions;
mod hash;
mod json;
mod list;
mod set;
mod stream;
mod string;
mod zset;

use super::{delete_history, listed_size, persist_manifest, Aof, Rewriting, Settings};
use crate::aof::encode;
use crate::db::{Keyspace, Value};
use crate::shared::Shared;
use base::{Base, Format};
use bytes::Bytes;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// Redis's `AOF_REWRITE_ITEMS_PER_CMD`.
pub const ITEMS_PER_COMMAND: usize = 64;

/// The dataset as commands, encoded under the keyspace lock: a FUNCTION
/// LOAD per library (`libraries` holds their codes), then per database a
/// SELECT, per live key the commands that build its value, then
/// PEXPIREAT for a TTL (keys already expired are left out, as Redis's
/// rewrite skips them). Encoding straight into one buffer costs a memory
/// copy per key and no allocation, which keeps the pause short.
pub fn encode_base(ks: &Keyspace, libraries: &[Bytes], now_ms: i64) -> Vec<u8> {
    // Room for a short key and value each, so the buffer rarely regrows.
    let capacity = ks.total_keys().saturating_mul(48).min(1 << 30);
    let mut out = Vec::with_capacity(capacity);
    functions::emit(&mut out, libraries);
    for (index, db) in ks.databases() {
        let entries = db.entries();
        let mut live = entries.filter(|e| !e.is_expired(now_ms)).peekable();
        if live.peek().is_none() {
            continue;
        }
        encode::select(&mut out, index);
        for entry in live {
            emit_value(&mut out, entry.key(), &entry.value);
            if let Some(at) = entry.expire_at() {
                encode::command(
                    &mut out,
                    &[&b"PEXPIREAT"[..], entry.key(), at.to_string().as_bytes()],
                );
            }
        }
    }
    out
}

/// The commands that rebuild one value.
fn emit_value(out: &mut Vec<u8>, key: &[u8], value: &Value) {
    match value {
        Value::Str(s) => string::emit(out, key, s),
        Value::Hash(h) => hash::emit(out, key, h),
        Value::Set(s) => set::emit(out, key, s),
        Value::List(l) => list::emit(out, key, l),
        Value::ZSet(z) => zset::emit(out, key, z),
        Value::Stream(s) => stream::emit(out, key, s),
        Value::Json(j) => json::emit(out, key, j),
    }
}

/// Writes `<cmd> key item...` commands of at most [`ITEMS_PER_COMMAND`]
/// items each, for the collection types.
pub struct Batches<'o> {
    out: &'o mut Vec<u8>,
    command: &'static [u8],
    key: &'o [u8],
    remaining: usize,
    in_batch: usize,
    width: usize,
}

impl<'o> Batches<'o> {
    /// `items` is the collection's length; `width` the arguments per item.
    pub fn new(
        out: &'o mut Vec<u8>,
        command: &'static [u8],
        key: &'o [u8],
        items: usize,
        width: usize,
    ) -> Batches<'o> {
        Batches {
            out,
            command,
            key,
            remaining: items,
            in_batch: 0,
            width,
        }
    }

    pub fn item(&mut self, parts: &[&[u8]]) {
        if self.remaining == 0 {
            // The collection grew past the length it reported: never
            // write a command whose count is wrong.
            return;
        }
        if self.in_batch == 0 {
            let batch = self.remaining.min(ITEMS_PER_COMMAND);
            encode::header(self.out, b'*', 2 + batch * self.width);
            bulk(self.out, self.command);
            bulk(self.out, self.key);
            self.in_batch = batch;
        }
        for part in parts {
            bulk(self.out, part);
        }
        self.in_batch -= 1;
        self.remaining -= 1;
    }
}

fn bulk(out: &mut Vec<u8>, arg: &[u8]) {
    encode::header(out, b'$', arg.len());
    out.extend_from_slice(arg);
    out.extend_from_slice(b"\r\n");
}

/// Starts a background rewrite (BGREWRITEAOF, the automatic rule,
/// `CONFIG SET appendonly yes`). `ks` is the locked keyspace. The error
/// is the reply.
pub fn start(shared: &Arc<Shared>, ks: &mut Keyspace) -> Result<(), String> {
    let aof = &shared.aof;
    // Read before the AOF locks, which CONFIG SET takes under the config.
    let options = crate::persist::jobs::write_options(&shared.config.read());
    let (writer, mut state) = aof.lock_exclusive();
    if state.rewriting.is_some() {
        return Err("ERR Background append only file rewriting already in progress".into());
    }
    let settings = state.settings.clone();
    if let Err(error) = std::fs::create_dir_all(&settings.dir) {
        tracing::warn!(
            "Can't open or create append-only dir {}: {}",
            settings.dir.display(),
            crate::startup::io_error_text(&error)
        );
        return Err("ERR Can't execute an AOF background rewriting. Please check the server logs for more information.".into());
    }
    let base = Base::capture(
        ks,
        shared.scripting.library_codes(),
        settings.rdb_preamble,
        options,
        crate::shared::now_ms(),
    );
    let first_kept_incr = if aof.is_enabled() {
        // Appends from now on go to a new incr file, listed before the
        // base exists so a crash mid-rewrite loses nothing.
        let mut manifest = state.manifest.clone();
        let incr = manifest.add_incr(&settings.basename);
        match super::open_append(&settings.dir.join(&incr.name)) {
            Ok(file) => {
                aof.switch_file(&mut state, Some(Arc::new(file)), 0);
                state.manifest = manifest;
                // Persisted by the first write to the new file, outside
                // the keyspace lock.
                state.manifest_dirty = true;
                incr.seq
            }
            Err(error) => {
                tracing::warn!(
                    "Can't open the append-only file {}: {}",
                    incr.name,
                    crate::startup::io_error_text(&error)
                );
                return Err("ERR Can't execute an AOF background rewriting. Please check the server logs for more information.".into());
            }
        }
    } else {
        state.manifest.incr_seq + 1
    };
    state.rewriting = Some(Rewriting {
        started: Instant::now(),
        first_kept_incr,
    });
    state.rewrite_scheduled = false;
    drop(state);
    drop(writer);
    tracing::info!("Background append only file rewriting started");
    let shared = shared.clone();
    let spawned = std::thread::Builder::new()
        .name("aof-rewrite".into())
        .spawn(move || {
            let temp = settings
                .dir
                .join(format!("temp-rewriteaof-bg-{}.aof", std::process::id()));
            // The new incr file's manifest, and the old file's last
            // bytes, become durable now if no client needed them yet.
            shared.aof.write_pending();
            shared.aof.flush_and_sync();
            let written = base.write(&temp);
            drop(base);
            finish(&shared.aof, &settings, temp, written);
            // After a first base, what was fsynced meanwhile counts.
            crate::aof::waitaof::wake_waiters(&shared, true);
        });
    if let Err(error) = spawned {
        tracing::warn!("Can't start the AOF rewrite thread: {error}");
        let mut state = aof.state.lock();
        state.rewriting = None;
        state.last_bgrewrite_ok = false;
        return Err("ERR Can't execute an AOF background rewriting. Please check the server logs for more information.".into());
    }
    Ok(())
}

/// Installs the new base (or records the failure). The renames and
/// fsyncs run under the writer lock only, so commands keep running.
fn finish(aof: &Aof, settings: &Settings, temp: PathBuf, written: std::io::Result<Format>) {
    // The manifest changes under the writer lock only.
    let (_writer, state) = aof.lock_exclusive();
    let Some(first_kept_incr) = state.rewriting.as_ref().map(|r| r.first_kept_incr) else {
        let _ = std::fs::remove_file(&temp);
        return;
    };
    let mut manifest = state.manifest.clone();
    drop(state);
    let installed = written.and_then(|format| {
        // Named by what was written (Redis names it by the setting at
        // the end, which CONFIG SET may have changed meanwhile).
        let base = manifest.next_base(&settings.basename, format == Format::Rdb);
        let target = settings.dir.join(&base.name);
        std::fs::rename(&temp, &target)?;
        tracing::info!(
            "Successfully renamed the temporary AOF base file {} into {}",
            temp.file_name().unwrap_or_default().to_string_lossy(),
            base.name
        );
        manifest.install_base(base, first_kept_incr);
        if let Err(error) = persist_manifest(settings, &manifest) {
            let _ = std::fs::remove_file(&target);
            return Err(error);
        }
        delete_history(settings, &mut manifest);
        Ok(())
    });
    let size = listed_size(settings, &manifest);
    let mut state = aof.state.lock();
    if let Some(rewriting) = state.rewriting.take() {
        state.last_rewrite_secs = rewriting.started.elapsed().as_secs() as i64;
    }
    match installed {
        Ok(()) => {
            state.manifest = manifest;
            state.manifest_dirty = false;
            // Appends since the switch are counted in by the file sizes.
            state.current_size = size;
            state.base_size = size;
            state.rewrites += 1;
            state.awaiting_first_base = false;
            state.consecutive_failures = 0;
            state.last_bgrewrite_ok = true;
            tracing::info!("Background AOF rewrite finished successfully");
        }
        Err(error) => {
            let _ = std::fs::remove_file(&temp);
            state.consecutive_failures += 1;
            state.last_bgrewrite_ok = false;
            tracing::warn!(
                "Background AOF rewrite failed: {}",
                crate::startup::io_error_text(&error)
            );
        }
    }
}

/// Whether a rewrite is running (tests and SHUTDOWN wait for it).
pub fn in_progress(aof: &Aof) -> bool {
    aof.state.lock().rewriting.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Keyspace, Thresholds};

    #[test]
    fn base_lists_values_then_ttls_in_batches() {
        let mut ks = Keyspace::new(2);
        let limits = Thresholds::default();
        {
            let mut db = ks.view(1, 0);
            db.set(b"s", Value::string(b"v"), false);
            db.set_expire(b"s", 5000);
            let mut set = crate::db::SetValue::create(None, 0, &limits);
            for n in 0..70 {
                set.add(format!("m{n}").as_bytes(), &limits);
            }
            db.set(b"set", Value::Set(set), false);
        }
        let out = encode_base(&ks, &[], 0);
        let mut pos = 0;
        let mut commands = Vec::new();
        while let Some(argv) = crate::aof::reader::next_command(&out, &mut pos).unwrap() {
            commands.push((String::from_utf8_lossy(&argv[0]).into_owned(), argv.len()));
        }
        let names: Vec<&str> = commands.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names.iter().filter(|n| **n == "SADD").count(), 2);
        assert!(names.contains(&"PEXPIREAT") && names.contains(&"SET"));
        assert_eq!(names[0], "SELECT");
        let sadd_args: usize = commands
            .iter()
            .filter(|(n, _)| n == "SADD")
            .map(|(_, len)| len - 2)
            .sum();
        assert_eq!(sadd_args, 70);
    }
}
