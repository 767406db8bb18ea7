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
//! A file that starts with an RDB (a `.base.rdb`, or an old single-file
//! AOF with a preamble) has that part read by [`super::preamble`] first.
//! `DEBUG LOADAOF` ([`reload`]) runs the same load on a running server.
//! While files load the keyspace is `loading` (Redis's `server.loading`):
//! nothing expires, so each command meets the keys its original met;
//! keys past their time expire, and their DELs are logged, afterwards.

use super::manifest::{FileInfo, FileType, Manifest};
use super::preamble;
use super::reader::{next_command, Stop};
use super::rewrite::base::{Base, Format};
use super::{listed_size, open_append, persist_manifest};
use crate::dispatch::KeyspaceLock;
use crate::session::Session;
use crate::shared::{now_ms, Shared};
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
    let manifest = read_manifest(&settings, appendonly)?;
    shared.aof.state.lock().manifest = manifest.clone();
    if !appendonly {
        return Ok(());
    }
    let files: Vec<FileInfo> = manifest.files().cloned().collect();
    if !files.is_empty() {
        let started = Instant::now();
        load_files(shared, &mut KeyspaceLock::new(shared), &settings, &files)?;
        tracing::info!(
            "DB loaded from append only file: {:.3} seconds",
            started.elapsed().as_secs_f64()
        );
    }
    open(shared)
}

/// `DEBUG LOADAOF` (Redis's `debugCommand`): the AOF's pending writes
/// are flushed, the dataset (keys and function libraries) emptied and the files the manifest on disk
/// lists loaded again, without propagating what they replay. `Err`
/// (logged) means the dataset is incomplete: Redis exits then, and so
/// does the caller.
pub fn reload(shared: &Arc<Shared>, ks: &mut KeyspaceLock<'_>) -> Result<(), StartupFailed> {
    // The keyspace lock first (no command feeds the AOF meanwhile), then
    // the flush, then the writer lock, in the order commands take them:
    // a rewrite finishing now cannot swap the manifest or delete the
    // files being read.
    let keyspace = ks.get();
    shared.aof.flush_and_sync();
    let _writer = shared.aof.hold_writer();
    let settings = shared.aof.state.lock().settings.clone();
    let manifest = read_manifest(&settings, true)?;
    keyspace.flush_all();
    // Redis's emptyData takes the function libraries too: the files
    // bring them back (a base's FUNCTION LOADs or its RDB).
    shared
        .scripting
        .install_libraries(crate::scripting::functions::Libraries::default());
    let propagating = std::mem::replace(&mut keyspace.propagate.enabled, false);
    let files: Vec<FileInfo> = manifest.files().cloned().collect();
    let loaded = if files.is_empty() {
        tracing::error!("The AOF manifest lists no file to load");
        Err(StartupFailed)
    } else {
        load_files(shared, ks, &settings, &files)
    };
    let keyspace = ks.get();
    keyspace.propagate.take();
    keyspace.propagate.enabled = propagating;
    // What was replayed is not a change to save or propagate.
    keyspace.dirty = 0;
    loaded
}

/// The manifest on disk; a missing one is an empty manifest. A bad one
/// is fatal when the AOF is to be loaded (`strict`), else ignored.
fn read_manifest(settings: &super::Settings, strict: bool) -> Result<Manifest, StartupFailed> {
    let manifest_path = settings.manifest_path();
    match std::fs::read(&manifest_path) {
        Ok(text) => match Manifest::parse(&text) {
            Ok(manifest) => Ok(manifest),
            Err(reason) if strict => {
                tracing::error!("{reason}");
                Err(StartupFailed)
            }
            Err(reason) => {
                tracing::warn!("Ignoring the AOF manifest: {reason}");
                Ok(Manifest::default())
            }
        },
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Manifest::default()),
        Err(error) => {
            tracing::error!(
                "Can't open the AOF manifest {} for reading: {}",
                manifest_path.display(),
                crate::startup::io_error_text(&error)
            );
            if strict {
                return Err(StartupFailed);
            }
            Ok(Manifest::default())
        }
    }
}

/// Loads every listed file in order into the keyspace `ks` locks.
fn load_files(
    shared: &Arc<Shared>,
    ks: &mut KeyspaceLock<'_>,
    settings: &super::Settings,
    files: &[FileInfo],
) -> Result<(), StartupFailed> {
    let mut loader = Loader::new(shared);
    ks.get().loading = true;
    let loaded = files.iter().enumerate().try_for_each(|(index, info)| {
        let place = FilePlace {
            first: index == 0,
            last: index + 1 == files.len(),
        };
        load_file(&mut loader, ks, settings, info, place)
    });
    ks.get().loading = false;
    loaded
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

/// Where a file is in the manifest's order: only the first may be (or
/// start with) an RDB; only the last may be cut short.
#[derive(Clone, Copy)]
struct FilePlace {
    first: bool,
    last: bool,
}

fn load_file(
    loader: &mut Loader,
    ks: &mut KeyspaceLock<'_>,
    settings: &super::Settings,
    info: &FileInfo,
    place: FilePlace,
) -> Result<(), StartupFailed> {
    let last = place.last;
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
    let started = Instant::now();
    // Where the commands start: after an RDB preamble, if any.
    let mut commands_at = 0;
    if preamble::is_rdb(&data) {
        let keyspace = ks.get();
        if !place.first {
            // Only the first file Redis writes is ever an RDB, and its
            // libraries replace the (empty) current ones.
            tracing::error!(
                "The AOF file {} starts with an RDB, but it is not the first file listed",
                info.name
            );
            return Err(StartupFailed);
        }
        let old_style = info.name == settings.basename;
        let scripting = &loader.shared.scripting;
        let stats = preamble::load(keyspace, scripting, &data, &info.name, old_style, now_ms())
            .map_err(|_| StartupFailed)?;
        let persist = &loader.shared.persist;
        persist.last_load_loaded.store(stats.loaded, Relaxed);
        persist.last_load_expired.store(stats.expired, Relaxed);
        commands_at = stats.end;
    }
    match loader.replay(ks, &data[commands_at..]) {
        Ok(()) => {}
        Err(Failure::Stop(Stop::Truncated, valid)) if last && settings.load_truncated => {
            tracing::warn!(
                "!!! Warning: short read while loading the AOF file {}!!!",
                info.name
            );
            let valid = commands_at + valid;
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
    let fail = |what: &str, error: std::io::Error| {
        tracing::error!("{what}: {}", crate::startup::io_error_text(&error));
    };
    let (settings, needs_base) = {
        let state = aof.state.lock();
        let manifest = &state.manifest;
        (
            state.settings.clone(),
            manifest.base.is_none() && manifest.incrs.is_empty(),
        )
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
    // An empty dataset still gets a base, in the configured format (an
    // RDB with no keys under the preamble), as Redis's start does. The
    // keyspace is captured before the AOF locks are taken, in the order
    // commands take them.
    let new_base = if needs_base {
        let options = crate::persist::jobs::write_options(&shared.config.read());
        let keyspace = shared.keyspace.lock();
        let libraries = shared.scripting.library_codes();
        let base = Base::capture(
            &keyspace,
            libraries,
            settings.rdb_preamble,
            options,
            now_ms(),
        );
        drop(keyspace);
        let temp = settings
            .dir
            .join(format!("temp-rewriteaof-{}.aof", std::process::id()));
        match base.write(&temp) {
            Ok(format) => Some((temp, format)),
            Err(error) => {
                fail("Can't write the AOF base file", error);
                return Err(StartupFailed);
            }
        }
    } else {
        None
    };
    let (writer, mut state) = aof.lock_exclusive();
    let mut manifest = state.manifest.clone();
    let mut changed = false;
    if let Some((temp, format)) = new_base {
        let base = manifest.next_base(&settings.basename, format == Format::Rdb);
        if let Err(error) = std::fs::rename(&temp, settings.dir.join(&base.name)) {
            let _ = std::fs::remove_file(&temp);
            fail(
                &format!("Can't create the AOF base file {}", base.name),
                error,
            );
            return Err(StartupFailed);
        }
        tracing::info!("Creating AOF base file {} on server start", base.name);
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
        // Background rewrites' and start-up bases' temporary files.
        if name.starts_with("temp-rewriteaof-") {
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
        let mut session = Session::new(shared.clone(), addr, addr, -1);
        session.uncounted = true;
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
    fn replay(&mut self, ks: &mut KeyspaceLock<'_>, data: &[u8]) -> Result<(), Failure> {
        let table = self.shared.table;
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
                        self.session.call(ks, cmd, &argv);
                    }
                }
                _ => match &mut multi {
                    Some((_, queued)) => queued.push((cmd, argv)),
                    None => {
                        self.session.call(ks, cmd, &argv);
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
