//! Start-up: the manifest, then every listed file replayed in order
//! through the normal command path, before any client is accepted.
//!
//! Commands run on a loader session, as Redis's fake client: dispatch's
//! `Session::call` (handlers, statistics, keyspace rules) without the
//! authentication and ACL checks, which judged the commands when they
//! were first run. MULTI ... EXEC blocks are applied whole; one cut off
//! by the end of the file is dropped with the rest of the truncated tail.
//! A truncated last file loads up to its last complete command when
//! `aof-load-truncated` is yes (the tail is cut off the file so later
//! appends follow a whole command) and stops the server otherwise.

use super::manifest::{FileInfo, FileType, Manifest};
use super::reader::{next_command, Stop};
use super::{listed_size, open_append, persist_manifest};
use crate::dispatch::KeyspaceLock;
use crate::session::Session;
use crate::shared::Shared;
use bytes::Bytes;
use moat_commands::{Command, Resolved};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Instant;

/// The AOF could not be loaded or opened; the reason was logged and the
/// server must not start.
#[derive(Debug)]
pub struct StartupFailed;

/// Commands of a MULTI block being read: where it started, and its queue.
type OpenMulti<'t> = Option<(usize, Vec<(&'t Command, Vec<Bytes>)>)>;

/// Why a file did not load.
enum Failure {
    Stop(Stop, usize),
    UnknownCommand(String),
}

/// Reads the manifest (always: a later `CONFIG SET appendonly yes`
/// continues its sequence numbers) and, with `appendonly yes`, loads the
/// data and opens the incr file to append to. `Err` means the server
/// must not start; the reason was logged.
pub fn start(shared: &Arc<Shared>, appendonly: bool) -> Result<(), StartupFailed> {
    let settings = shared.aof.state.lock().settings.clone();
    if appendonly {
        upgrade_single_file(&settings)?;
    }
    let manifest_path = settings.manifest_path();
    let manifest = match std::fs::read(&manifest_path) {
        Ok(text) => match Manifest::parse(&text) {
            Ok(manifest) => manifest,
            Err(reason) if appendonly => {
                tracing::error!("{reason}");
                return Err(StartupFailed);
            }
            Err(reason) => {
                tracing::warn!("Ignoring the AOF manifest: {reason}");
                Manifest::default()
            }
        },
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Manifest::default(),
        Err(error) => {
            tracing::error!(
                "Can't open the AOF manifest {} for reading: {}",
                manifest_path.display(),
                crate::startup::io_error_text(&error)
            );
            if appendonly {
                return Err(StartupFailed);
            }
            Manifest::default()
        }
    };
    shared.aof.state.lock().manifest = manifest.clone();
    if !appendonly {
        return Ok(());
    }
    let files: Vec<FileInfo> = manifest.files().cloned().collect();
    if !files.is_empty() {
        let started = Instant::now();
        let mut loader = Loader::new(shared);
        for (index, info) in files.iter().enumerate() {
            load_file(&mut loader, &settings, info, index + 1 == files.len())?;
        }
        tracing::info!(
            "DB loaded from append only file: {:.3} seconds",
            started.elapsed().as_secs_f64()
        );
    }
    open(shared)
}

/// Redis 7's `aofUpgradePrepare`: a Redis 6 style `appendonly.aof` in the
/// working directory, and no manifest, becomes the base of a new
/// directory (manifest first, then the move, as Redis does).
fn upgrade_single_file(settings: &super::Settings) -> Result<(), StartupFailed> {
    let old = std::path::Path::new(&settings.basename);
    if settings.manifest_path().exists() || !old.is_file() {
        return Ok(());
    }
    let fail = |what: &str, error: std::io::Error| {
        tracing::error!("{what}: {}", crate::startup::io_error_text(&error));
        StartupFailed
    };
    std::fs::create_dir_all(&settings.dir)
        .map_err(|e| fail("Can't create the append-only directory", e))?;
    let manifest = Manifest {
        base: Some(FileInfo {
            name: settings.basename.clone(),
            seq: 1,
            kind: FileType::Base,
        }),
        base_seq: 1,
        ..Manifest::default()
    };
    persist_manifest(settings, &manifest).map_err(|_| StartupFailed)?;
    std::fs::rename(old, settings.dir.join(&settings.basename))
        .map_err(|e| fail("Error moving the old AOF file into the AOF directory", e))?;
    tracing::info!(
        "Successfully migrated an old-style AOF into the AOF directory ({}).",
        settings.dir.display()
    );
    Ok(())
}

fn load_file(
    loader: &mut Loader,
    settings: &super::Settings,
    info: &FileInfo,
    last: bool,
) -> Result<(), StartupFailed> {
    let path = settings.dir.join(&info.name);
    let data = match std::fs::read(&path) {
        Ok(data) => data,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            tracing::error!("The AOF file {} doesn't exist", info.name);
            return Err(StartupFailed);
        }
        Err(error) => {
            tracing::error!(
                "Fatal error: can't open the append log file {} for reading: {}",
                info.name,
                crate::startup::io_error_text(&error)
            );
            return Err(StartupFailed);
        }
    };
    if data.starts_with(b"REDIS") {
        // An RDB preamble: loading it needs the RDB reader.
        tracing::error!(
            "The AOF file {} starts with an RDB preamble, which this build cannot read; rewrite it with aof-use-rdb-preamble no",
            info.name
        );
        return Err(StartupFailed);
    }
    let started = Instant::now();
    match loader.replay(&data) {
        Ok(()) => {}
        Err(Failure::Stop(Stop::Truncated, valid)) if last && settings.load_truncated => {
            tracing::warn!(
                "!!! Warning: short read while loading the AOF file {}!!!",
                info.name
            );
            tracing::warn!("!!! Truncating the AOF {} at offset {valid} !!!", info.name);
            let cut = std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .and_then(|f| f.set_len(valid as u64));
            if let Err(error) = cut {
                tracing::error!(
                    "Error truncating the AOF file {}: {}",
                    info.name,
                    crate::startup::io_error_text(&error)
                );
                return Err(StartupFailed);
            }
            tracing::warn!(
                "AOF {} loaded anyway because aof-load-truncated is enabled",
                info.name
            );
        }
        Err(Failure::Stop(Stop::Truncated, _)) if !last => {
            tracing::error!(
                "Fatal error: the truncated file {} is not the last file",
                info.name
            );
            return Err(StartupFailed);
        }
        Err(Failure::Stop(Stop::Truncated, _)) => {
            tracing::error!(
                "Unexpected end of file reading the append only file {}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.",
                info.name
            );
            return Err(StartupFailed);
        }
        Err(Failure::Stop(Stop::BadFormat, _)) => {
            tracing::error!(
                "Bad file format reading the append only file {}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>",
                info.name
            );
            return Err(StartupFailed);
        }
        Err(Failure::UnknownCommand(name)) => {
            tracing::error!(
                "Unknown command '{name}' reading the append only file {}",
                info.name
            );
            return Err(StartupFailed);
        }
    }
    let kind = if info.kind == FileType::Base {
        "base"
    } else {
        "incr"
    };
    tracing::info!(
        "DB loaded from {kind} file {}: {:.3} seconds",
        info.name,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Redis's `aofOpenIfNeededOnServerStart`: an empty directory gets an
/// (empty) base; appends go to the last incr file, or a new one.
fn open(shared: &Arc<Shared>) -> Result<(), StartupFailed> {
    let aof = &shared.aof;
    let (writer, mut state) = aof.lock_exclusive();
    let settings = state.settings.clone();
    let fail = |what: &str, error: std::io::Error| {
        tracing::error!("{what}: {}", crate::startup::io_error_text(&error));
    };
    if let Err(error) = std::fs::create_dir_all(&settings.dir) {
        fail(
            &format!(
                "Can't open or create append-only dir {}",
                settings.dir.display()
            ),
            error,
        );
        return Err(StartupFailed);
    }
    remove_stale_temp_files(&settings.dir);
    let mut manifest = state.manifest.clone();
    let mut changed = false;
    if manifest.base.is_none() && manifest.incrs.is_empty() {
        let base = manifest.next_base(&settings.basename, false);
        let created =
            std::fs::File::create(settings.dir.join(&base.name)).and_then(|f| f.sync_all());
        if let Err(error) = created {
            fail(
                &format!("Can't create the AOF base file {}", base.name),
                error,
            );
            return Err(StartupFailed);
        }
        manifest.base = Some(base);
        changed = true;
    }
    let incr = match manifest.incrs.last() {
        Some(last) => last.clone(),
        None => {
            changed = true;
            manifest.add_incr(&settings.basename)
        }
    };
    let path = settings.dir.join(&incr.name);
    let file = match open_append(&path) {
        Ok(file) => file,
        Err(error) => {
            fail(
                &format!("Can't open the append-only file {}", incr.name),
                error,
            );
            return Err(StartupFailed);
        }
    };
    if changed && persist_manifest(&settings, &manifest).is_err() {
        return Err(StartupFailed);
    }
    // Left by a crash between a rewrite's swap and its clean-up.
    super::delete_history(&settings, &mut manifest);
    let size = file.metadata().map_or(0, |m| m.len());
    state.current_size = listed_size(&settings, &manifest);
    state.base_size = state.current_size;
    state.manifest = manifest;
    aof.switch_file(&mut state, Some(Arc::new(file)), size);
    drop(state);
    drop(writer);
    aof.set_enabled(true);
    shared.keyspace.lock().propagate.enabled = true;
    Ok(())
}

/// A rewrite cut short by a crash leaves its temporary base behind.
fn remove_stale_temp_files(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("temp-rewriteaof-bg-") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The fake client replaying a file.
struct Loader {
    shared: Arc<Shared>,
    session: Session,
}

impl Loader {
    fn new(shared: &Arc<Shared>) -> Loader {
        let addr = std::net::SocketAddr::from(([0, 0, 0, 0], 0));
        let session = Session::new(shared.clone(), addr, addr, -1);
        // Not a connection a client made.
        shared
            .stats
            .total_connections_received
            .fetch_sub(1, Relaxed);
        Loader {
            shared: shared.clone(),
            session,
        }
    }

    /// Runs every command of one file; the error says where the valid
    /// part ends.
    fn replay(&mut self, data: &[u8]) -> Result<(), Failure> {
        let shared = self.shared.clone();
        let table = shared.table;
        let mut ks = KeyspaceLock::new(&shared);
        let mut pos = 0;
        // A MULTI block: where it started and its commands.
        let mut multi: OpenMulti<'_> = None;
        loop {
            let start = pos;
            let argv = match next_command(data, &mut pos) {
                Ok(Some(argv)) => argv,
                Ok(None) => break,
                Err(stop) => {
                    let valid = multi.as_ref().map_or(start, |(at, _)| *at);
                    return Err(Failure::Stop(stop, valid));
                }
            };
            let cmd = match table.resolve(&argv) {
                Resolved::Command(cmd) => cmd,
                _ => {
                    return Err(Failure::UnknownCommand(
                        String::from_utf8_lossy(&argv[0]).into_owned(),
                    ))
                }
            };
            if !cmd.arity_ok(argv.len()) {
                return Err(Failure::Stop(Stop::BadFormat, start));
            }
            match cmd.fullname.as_str() {
                "multi" => multi = Some((start, Vec::new())),
                "exec" => {
                    for (cmd, argv) in multi.take().map(|(_, q)| q).unwrap_or_default() {
                        self.session.call(&mut ks, cmd, &argv);
                    }
                }
                _ => match &mut multi {
                    Some((_, queued)) => queued.push((cmd, argv)),
                    None => {
                        self.session.call(&mut ks, cmd, &argv);
                    }
                },
            }
        }
        match multi {
            Some((at, _)) => Err(Failure::Stop(Stop::Truncated, at)),
            None => Ok(()),
        }
    }
}
