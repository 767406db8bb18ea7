//! From the command line to a serving process, and back to an exit code.
//!
//! The order matters and is Redis's: configuration (a bad file is fatal
//! before anything starts), users (config `user` lines or the aclfile, never
//! both; a bad ACL is fatal), listeners, then "Ready to accept connections".
//! Nothing serves half-configured.

use crate::clients::ClientRegistry;
use crate::db::Keyspace;
use crate::dispatch::HandlerTable;
use crate::limits::Limits;
use crate::pause::ClientPause;
use crate::shared::{now_ms, AclState, Shared};
use crate::slowlog::{LatencyMonitor, SlowLog};
use crate::stats::Stats;
use moat_acl::{AclLog, PubsubDefault, Registry};
use moat_commands::CommandTable;
use moat_config::{Config, UserDeclarationError};
use parking_lot::{Mutex, RwLock};
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicU64};
use std::sync::Arc;
use tokio::net::TcpListener;

const USAGE: &str = "Usage: ./moat-server [/path/to/redis.conf] [options] [-]
       ./moat-server - (read config from stdin)
       ./moat-server -v or --version
       ./moat-server -h or --help
       ./moat-server --check-acl <aclfile> [--acl-pubsub-default allchannels]
       ./moat-server --check-config <redis.conf> [options]

Examples:
       ./moat-server (run the server with default config)
       ./moat-server /etc/redis/6379.conf
       ./moat-server --port 7777
       ./moat-server /etc/myredis.conf --loglevel verbose -
";

/// Runs the server (or an offline check) and returns the exit code.
pub fn run(args: Vec<OsString>) -> i32 {
    let args: Vec<String> = args
        .into_iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    match args.first().map(String::as_str) {
        Some("-v") | Some("--version") => {
            println!(
                "moat-server v={} (Redis {} compatible)",
                env!("CARGO_PKG_VERSION"),
                crate::session_cmds::REDIS_COMPAT_VERSION
            );
            return 0;
        }
        Some("-h") | Some("--help") => {
            print!("{USAGE}");
            return 0;
        }
        Some("--check-acl") => return crate::check::check_acl(&args[1..]),
        Some("--check-config") => return crate::check::check_config(&args[1..]),
        _ => {}
    }
    let (config_path, options) = match args.first() {
        Some(first) if !first.starts_with("--") && first != "-" => {
            (Some(PathBuf::from(first)), &args[1..])
        }
        _ => (None, &args[..]),
    };
    let mut config = match load_config(config_path.as_deref(), options) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("{error}");
            return 1;
        }
    };
    // Started bare (`moat-server`, `cargo run`), moat is an in-memory
    // server: no save points unless the command line asks for them, so no
    // dump.rdb appears in (and is reloaded from) the working directory.
    // With a config file, Redis's defaults apply as they would in Redis.
    if config_path.is_none() && !options.iter().any(|o| o.eq_ignore_ascii_case("--save")) {
        let _ = config.set(&[(bytes::Bytes::from_static(b"save"), bytes::Bytes::new())]);
    }
    let daemonized = config.get_text("daemonize").as_deref() == Some("yes");
    if daemonized {
        if let Err(error) = crate::process::daemonize() {
            eprintln!("Can't daemonize: {error}");
            return 1;
        }
    }
    let logfile = config.get_text("logfile").unwrap_or_default();
    let loglevel = config.get_text("loglevel").unwrap_or_default();
    if let Err(error) = crate::logging::init(&logfile, &loglevel) {
        eprintln!("Can't open the log file: {error}");
        return 1;
    }
    tracing::info!("oO0OoO0OoO0Oo moat is starting oO0OoO0OoO0Oo");
    tracing::info!(
        "moat version={}, redis compatibility={}, bits={}, pid={}, just started",
        env!("CARGO_PKG_VERSION"),
        crate::session_cmds::REDIS_COMPAT_VERSION,
        usize::BITS,
        std::process::id()
    );
    match config_path.as_ref() {
        Some(path) => tracing::info!("Configuration loaded from {}", path.display()),
        None => tracing::warn!("Warning: no config file specified, using the default config. In order to specify a config file use ./moat-server /path/to/redis.conf"),
    }
    for warning in config.warnings() {
        tracing::warn!("{warning}");
    }
    let maxclients = config.get_int("maxclients").unwrap_or(10000).max(1) as u64;
    match crate::open_files::adjust(maxclients) {
        crate::open_files::Outcome::Enough => {}
        crate::open_files::Outcome::Reduced(fit) => {
            let _ = config.set(&[(
                bytes::Bytes::from_static(b"maxclients"),
                bytes::Bytes::from(fit.to_string()),
            )]);
        }
        crate::open_files::Outcome::TooLow => return 1,
    }
    if let Err(error) = std::env::set_current_dir(config.dir()) {
        tracing::error!(
            "Can't chdir to '{}': {}",
            config.dir().display(),
            io_error_text(&error)
        );
        return 1;
    }
    let acl = match load_users(&config) {
        Ok(acl) => acl,
        Err(error) => {
            for line in error.log_lines() {
                tracing::error!("{line}");
            }
            return 1;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Scripts run on the workers: the JSON and MessagePack decoders of
        // their libraries recurse once per nesting level (up to 1000).
        .thread_stack_size(16 * 1024 * 1024)
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!("Failed creating the runtime: {error}");
            return 1;
        }
    };
    let _pid_file = crate::process::PidFile::create(
        &config.get_text("pidfile").unwrap_or_default(),
        daemonized,
    );
    let code = runtime.block_on(serve(config, config_path, acl));
    // A script that never ends keeps its worker thread busy; SHUTDOWN
    // (allowed while a script is busy) must still stop the process, so the
    // runtime is not waited for.
    runtime.shutdown_background();
    code
}

/// Reads the configuration as redis-server does, checking each `user`
/// directive's rules as its line is read (a bad one is a fatal config
/// error naming the line).
pub fn load_config(
    path: Option<&std::path::Path>,
    options: &[String],
) -> Result<Config, moat_config::FatalConfigError> {
    Config::load_with_user_validator(path, options, &|declaration| {
        moat_acl::validate_user_declaration(declaration)
            .map_err(|(arg_index, message)| UserDeclarationError { arg_index, message })
    })
}

/// Why the users could not be set up; the server stops.
#[derive(Debug)]
pub enum UsersError {
    /// Lines for the log, in Redis's words.
    Fatal(Vec<String>),
    /// The aclfile has errors (each as Redis words it, without the final
    /// warning sentence).
    AclFile(Vec<String>),
}

impl UsersError {
    /// What redis-server logs before exiting.
    pub fn log_lines(&self) -> Vec<String> {
        match self {
            UsersError::Fatal(lines) => lines.clone(),
            UsersError::AclFile(errors) => vec![format!(
                "Aborting Redis startup because of ACL errors: {}{}",
                errors.concat(),
                moat_acl::file::NO_CHANGE_WARNING
            )],
        }
    }
}

/// Builds the user table as Redis does at startup: `requirepass` sets the
/// boot default user's password while the config is read; then the `user`
/// directives are applied (`user default` resets the default user, so it
/// wins over `requirepass`), or the aclfile replaces the whole table (its
/// `default`, or a fresh boot default, wins the same way). Both sources at
/// once is refused.
pub fn load_users(config: &Config) -> Result<AclState, UsersError> {
    let pubsub_default = pubsub_default(config);
    let aclfile = config
        .get_text("aclfile")
        .filter(|f| !f.is_empty())
        .map(PathBuf::from);
    let user_lines = config.users();
    let mut registry = Registry::new(pubsub_default);
    if let Some(password) = config.requirepass().filter(|p| !p.is_empty()) {
        registry.set_requirepass(Some(password));
    }
    if aclfile.is_some() && !user_lines.is_empty() {
        return Err(UsersError::Fatal(vec![BOTH_USERS_AND_ACLFILE.into()]));
    }
    moat_acl::apply_config_users(&mut registry, user_lines).map_err(|error| {
        UsersError::Fatal(vec![
            error.to_string(),
            "Critical error while loading ACLs. Exiting.".into(),
        ])
    })?;
    if let Some(path) = &aclfile {
        let text = std::fs::read(path).map_err(|e| {
            UsersError::Fatal(vec![format!(
                "Aborting Redis startup because of ACL errors: Error loading ACLs, opening file '{}': {}",
                path.display(),
                io_error_text(&e)
            )])
        })?;
        let loaded = moat_acl::check_acl_file(&text, &path.display().to_string(), pubsub_default)
            .map_err(UsersError::AclFile)?;
        registry.replace_users(loaded);
    }
    let mut log = AclLog::default();
    log.set_max_len(config.get_int("acllog-max-len").unwrap_or(128).max(0) as usize);
    Ok(AclState {
        registry,
        log,
        aclfile,
    })
}

const BOTH_USERS_AND_ACLFILE: &str = "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.";

pub fn pubsub_default(config: &Config) -> PubsubDefault {
    match config.get_text("acl-pubsub-default").as_deref() {
        Some("allchannels") => PubsubDefault::AllChannels,
        _ => PubsubDefault::ResetChannels,
    }
}

/// `strerror`-style text for an I/O error (`No such file or directory`).
pub fn io_error_text(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(end) => text[..end].to_string(),
        None => text,
    }
}

async fn serve(config: Config, config_path: Option<PathBuf>, acl: AclState) -> i32 {
    let port = config.get_int("port").unwrap_or(6379);
    let binds = config.bind_addrs();
    let mut listeners = Vec::new();
    for configured in binds {
        // `-addr` may fail to bind (no IPv6 on the host); `*` and `::*`
        // are every IPv4 and every IPv6 interface.
        let optional = configured.starts_with('-');
        let addr = match configured.trim_start_matches('-') {
            "*" => "0.0.0.0",
            "::*" => "::",
            other => other,
        };
        match bind_listener(addr, port as u16).await {
            Ok(listener) => listeners.push(listener),
            Err(error) if optional => {
                tracing::warn!(
                    "Warning: Could not create server TCP listening socket {addr}:{port}: {}",
                    io_error_text(&error)
                );
            }
            Err(error) => {
                tracing::error!(
                    "Warning: Could not create server TCP listening socket {addr}:{port}: {}",
                    io_error_text(&error)
                );
                tracing::error!("Failed listening on port {port} (tcp), aborting.");
                return 1;
            }
        }
    }
    if listeners.is_empty() && !binds.is_empty() {
        tracing::error!("Failed listening on port {port} (tcp), aborting.");
        return 1;
    }
    let actual_port = listeners
        .first()
        .and_then(|l| l.local_addr().ok())
        .map(|a| a.port())
        .unwrap_or(port as u16);
    let table = CommandTable::global();
    let databases = config.get_int("databases").unwrap_or(16).max(1) as usize;
    let limits = Limits::from_config(&config);
    let scripting = match crate::scripting::Scripting::new() {
        Ok(scripting) => scripting,
        Err(error) => {
            tracing::error!("Failed to initialize the Lua scripting engine: {error}");
            return 1;
        }
    };
    if (1..1024 * 1024).contains(&limits.maxmemory()) {
        tracing::warn!("WARNING: You specified a maxmemory value that is less than 1MB (current value is {} bytes). Are you sure this is what you really want?", limits.maxmemory());
    }
    let mut keyspace = Keyspace::new(databases);
    keyspace.apply_config(&config);
    // What the server takes before any data (MEMORY STATS
    // `startup.allocated`, Redis's `initial_memory_usage`).
    crate::alloc::mark_startup();
    // With the AOF on, the AOF is the dataset and the RDB file is not read
    // (Redis's loadDataFromDisk).
    let load_stats = if config.get_text("appendonly").as_deref() == Some("yes") {
        crate::persist::PersistState::default()
    } else {
        match load_dataset(&config, &mut keyspace, &scripting) {
            Some(stats) => stats,
            None => return 1,
        }
    };
    let aof = crate::aof::Aof::new(&config);
    let appendonly = config.get_text("appendonly").as_deref() == Some("yes");
    let shared = Arc::new(Shared {
        table,
        handlers: HandlerTable::build(table),
        keyspace: Mutex::new(keyspace),
        acl: RwLock::new(acl),
        acl_epoch: AtomicU64::new(0),
        config: RwLock::new(config),
        config_file: config_path.and_then(|p| std::fs::canonicalize(p).ok()),
        clients: ClientRegistry::default(),
        stats: Stats::new(table.len()),
        started: std::time::Instant::now(),
        run_id: random_hex(40),
        port: actual_port,
        shutdown: tokio::sync::Notify::new(),
        limits,
        pubsub: crate::pubsub::PubSub::default(),
        monitors: crate::monitor::Monitors::default(),
        pause: ClientPause::default(),
        last_save_secs: AtomicI64::new(now_ms() / 1000),
        persist: load_stats,
        slowlog: Mutex::new(SlowLog::default()),
        latency: Mutex::new(LatencyMonitor::default()),
        scripting,
        aof,
        tracking_clients: std::sync::atomic::AtomicUsize::new(0),
        tracking_over_limit: std::sync::atomic::AtomicBool::new(false),
        tracking_broadcast_due: std::sync::atomic::AtomicBool::new(false),
    });
    tracing::info!("Server initialized");
    // The AOF, when on, is the dataset: it loads before any client is
    // accepted (and would take precedence over an RDB file, as in Redis).
    if crate::aof::load::start(&shared, appendonly).is_err() {
        return 1;
    }
    crate::aof::fsync::spawn(&shared);
    // Before the first client is accepted: a SIGTERM that arrives as soon
    // as the server answers must still run the shutdown save.
    let signals = ShutdownSignals::install();
    let mut tasks = Vec::new();
    for listener in listeners {
        tasks.push(tokio::spawn(crate::net::accept_loop(
            listener,
            shared.clone(),
        )));
    }
    tasks.push(tokio::spawn(cron(shared.clone())));
    tracing::info!(
        "Ready to accept connections tcp (port {actual_port}, PID: {})",
        std::process::id()
    );
    wait_for_shutdown(&shared, signals).await;
    crate::persist::jobs::abandon_background_save(&shared);
    for task in tasks {
        task.abort();
    }
    // Everything acknowledged reaches the disk before the process ends.
    shared.aof.flush_and_sync();
    tracing::warn!("moat is now ready to exit, bye bye...");
    0
}

/// Binds one address; IPv6 sockets are IPv6-only so that `0.0.0.0` and
/// `::` can both be bound on the same port, as Redis does.
async fn bind_listener(addr: &str, port: u16) -> std::io::Result<TcpListener> {
    let ip: std::net::IpAddr = match addr.parse() {
        Ok(ip) => ip,
        Err(_) => {
            let mut resolved = tokio::net::lookup_host((addr, port)).await?;
            resolved
                .next()
                .ok_or_else(|| {
                    std::io::Error::new(std::io::ErrorKind::AddrNotAvailable, "no address")
                })?
                .ip()
        }
    };
    let socket = match ip {
        std::net::IpAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        std::net::IpAddr::V6(_) => {
            let socket = tokio::net::TcpSocket::new_v6()?;
            let flag: libc::c_int = 1;
            // SAFETY: setsockopt on an open socket with a valid int pointer.
            unsafe {
                use std::os::fd::AsRawFd;
                libc::setsockopt(
                    socket.as_raw_fd(),
                    libc::IPPROTO_IPV6,
                    libc::IPV6_V6ONLY,
                    &flag as *const libc::c_int as *const libc::c_void,
                    std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                );
            }
            socket
        }
    };
    socket.set_reuseaddr(true)?;
    socket.bind(std::net::SocketAddr::new(ip, port))?;
    socket.listen(511)
}

/// Keys the active expiry cycle may sample per tick.
const ACTIVE_EXPIRE_BUDGET: usize = 2000;

/// Background work at `hz` per second: the active expiry cycle, eviction
/// that a command left unfinished (or a lowered `maxmemory`), the `save`
/// points, and once a second closing idle clients (Redis's `clientsCron`
/// timeout).
async fn cron(shared: Arc<Shared>) {
    let mut last_clients_check_ms = 0;
    let mut hz = shared
        .config
        .read()
        .get_int("hz")
        .unwrap_or(10)
        .clamp(1, 500);
    let mut interval = tokio::time::interval(std::time::Duration::from_millis(1000 / hz as u64));
    loop {
        interval.tick().await;
        // Redis samples its peak in the cron as well as when asked.
        crate::alloc::update_peak(crate::alloc::allocated_bytes());
        shared.stats.sample_instantaneous(now_ms());
        // A running script holds the keyspace for as long as it runs:
        // skip the tick rather than block a runtime worker on it.
        let mut fed_aof = false;
        if let Some(mut keyspace) = shared.keyspace.try_lock() {
            if keyspace.active_expire {
                // Bounded so that a large backlog cannot stall clients.
                keyspace.active_expire_cycle(now_ms(), ACTIVE_EXPIRE_BUDGET);
            }
            if shared.limits.maxmemory() > 0 {
                keyspace.perform_evictions(&|_| crate::oom::used_memory(), now_ms());
            }
            // Keys the cycle expired or evicted: their invalidations (and
            // the broadcasts, after every notification, as Redis's
            // beforeSleep sends them).
            if shared
                .tracking_clients
                .load(std::sync::atomic::Ordering::Relaxed)
                > 0
            {
                // Redis's serverCron runs trackingLimitUsedSlots too, so a
                // limit lowered by the last command applies while idle.
                keyspace
                    .tracking
                    .limit_keys(shared.limits.tracking_table_max_keys());
                crate::tracking::note_limit(&shared, &keyspace.tracking);
                keyspace.tracking.broadcast();
            }
            let outbox = keyspace.tracking.take_outbox();
            if !keyspace.events.is_empty() || !outbox.is_empty() {
                let events = std::mem::take(&mut keyspace.events);
                // No client raised these: id 0 is never a client's.
                let mut unused = bytes::BytesMut::new();
                let mut sender = crate::pubsub::Sender {
                    id: 0,
                    protocol: moat_resp::Protocol::Resp2,
                    out: &mut unused,
                };
                crate::tracking::publish_in_order(&shared, events, outbox, &mut sender, None);
            }
            keyspace.tracking.mark_events(0);
            if !keyspace.propagate.is_empty() {
                // Expired keys: the DELs go to the AOF in execution order.
                let ops = keyspace.propagate.take();
                shared.aof.feed(ops, false);
                fed_aof = true;
            }
        }
        // Written now, with the keyspace free again, as Redis's beforeSleep
        // writes what its cron fed, not at the AOF thread's next second.
        if fed_aof {
            shared.aof.write_fed_by_server();
        }
        if shared.aof.wants_auto_rewrite() {
            let mut keyspace = shared.keyspace.lock();
            tracing::info!("Starting automatic rewriting of AOF");
            if let Err(error) = crate::aof::rewrite::start(&shared, &mut keyspace) {
                tracing::warn!("Automatic AOF rewrite not started: {error}");
            }
        }
        let now = now_ms();
        if now - last_clients_check_ms >= 1000 {
            last_clients_check_ms = now;
            crate::conn_limits::close_idle_clients(&shared, now);
            crate::conn_limits::release_idle_buffers(&shared, now);
        }
        crate::conn_limits::evict_clients(&shared);
        crate::persist::jobs::check_save_points(&shared);
        let configured = shared
            .config
            .read()
            .get_int("hz")
            .unwrap_or(10)
            .clamp(1, 500);
        if configured != hz {
            hz = configured;
            interval = tokio::time::interval(std::time::Duration::from_millis(1000 / hz as u64));
        }
    }
}

/// SIGTERM and SIGINT, caught from the moment they are installed.
struct ShutdownSignals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    fn install() -> Option<ShutdownSignals> {
        use tokio::signal::unix::{signal, SignalKind};
        Some(ShutdownSignals {
            term: signal(SignalKind::terminate()).ok()?,
            int: signal(SignalKind::interrupt()).ok()?,
        })
    }
}

/// Returns when SHUTDOWN ran (it saved already) or a signal arrived and
/// the final save, when save points are configured, succeeded. A failed
/// save keeps the server running, as Redis does.
async fn wait_for_shutdown(shared: &Shared, signals: Option<ShutdownSignals>) {
    let Some(ShutdownSignals { mut term, mut int }) = signals else {
        shared.shutdown.notified().await;
        return;
    };
    loop {
        tokio::select! {
            _ = term.recv() => tracing::warn!("Received SIGTERM scheduling shutdown..."),
            _ = int.recv() => tracing::warn!("Received SIGINT scheduling shutdown..."),
            _ = shared.shutdown.notified() => return,
        }
        if shared.config.read().save_points().is_empty() {
            return;
        }
        tracing::info!("Saving the final RDB snapshot before exiting.");
        let mut keyspace = shared.keyspace.lock();
        if crate::persist::jobs::save_now(shared, &mut keyspace).is_ok() {
            return;
        }
        tracing::warn!("Error trying to save the DB, can't exit.");
    }
}

/// Loads `dbfilename` before any client is served. None (after logging
/// why) when the file exists but cannot be loaded: moat refuses to start
/// rather than serve an empty or partial dataset.
fn load_dataset(
    config: &Config,
    keyspace: &mut Keyspace,
    scripting: &crate::scripting::Scripting,
) -> Option<crate::persist::PersistState> {
    let state = crate::persist::PersistState::default();
    let path = crate::persist::file::rdb_path(config);
    let started = std::time::Instant::now();
    match crate::persist::jobs::load_file(&path, keyspace, scripting) {
        Ok(None) => Some(state),
        Ok(Some(stats)) => {
            tracing::info!(
                "Done loading RDB, keys loaded: {}, keys expired: {}.",
                stats.loaded,
                stats.expired
            );
            tracing::info!(
                "DB loaded from disk: {:.3} seconds",
                started.elapsed().as_secs_f64()
            );
            use std::sync::atomic::Ordering::Relaxed;
            state.last_load_loaded.store(stats.loaded, Relaxed);
            state.last_load_expired.store(stats.expired, Relaxed);
            Some(state)
        }
        Err(message) => {
            tracing::error!("{message}");
            None
        }
    }
}

/// `n` random lowercase hex characters.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n.div_ceil(2)];
    let _ = getrandom::getrandom(&mut bytes);
    let mut text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    text.truncate(n);
    text
}
