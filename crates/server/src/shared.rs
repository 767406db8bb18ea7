//! State shared by every connection.
//!
//! Each piece sits behind the narrowest lock that keeps it consistent, and
//! the per-request path touches as few of them as it can: the keyspace
//! mutex (Redis semantics are single-threaded, so one lock per command is
//! the honest model), atomics for statistics, and the ACL epoch counter.
//! Connections keep snapshots of their user (`Arc<User>`) and re-read the
//! registry only when [`Shared::acl_epoch`] moved, so an ACL check takes no
//! lock at all.

use crate::client_line::ClientLine;
use crate::clients::ClientRegistry;
use crate::db::Keyspace;
use crate::dispatch::HandlerTable;
use crate::limits::Limits;
use crate::pause::ClientPause;
use crate::slowlog::{LatencyMonitor, SlowLog};
use crate::stats::Stats;
use moat_acl::{AclLog, Registry};
use moat_commands::CommandTable;
use moat_config::Config;
use parking_lot::{Mutex, RwLock};
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Instant;
use tokio::sync::Notify;

/// The ACL state: users, the log, and where users are persisted.
pub struct AclState {
    pub registry: Registry,
    /// Client info kept as captured values, written when `ACL LOG` is read.
    pub log: AclLog<ClientLine>,
    /// `aclfile`, if configured.
    pub aclfile: Option<PathBuf>,
}

/// Everything the server shares between connections.
pub struct Shared {
    pub table: &'static CommandTable,
    pub handlers: HandlerTable,
    pub keyspace: Mutex<Keyspace>,
    pub acl: RwLock<AclState>,
    /// Bumped on every change to any user; connections compare it with the
    /// epoch of their snapshot before each command.
    pub acl_epoch: AtomicU64,
    pub config: RwLock<Config>,
    /// The configuration file, for `CONFIG REWRITE`.
    pub config_file: Option<PathBuf>,
    pub clients: ClientRegistry,
    pub stats: Stats,
    pub started: Instant,
    pub run_id: String,
    pub port: u16,
    /// Notified when the server must stop (SIGTERM, SHUTDOWN).
    pub shutdown: Notify,
    pub limits: Limits,
    /// Pub/Sub subscriptions, behind their own lock: publishers do not
    /// touch the keyspace.
    pub pubsub: crate::pubsub::PubSub,
    /// Clients in MONITOR mode.
    pub monitors: crate::monitor::Monitors,
    pub pause: ClientPause,
    /// `LASTSAVE`: Unix time of the last successful save.
    pub last_save_secs: AtomicI64,
    /// SAVE/BGSAVE bookkeeping for INFO persistence and the save points.
    pub persist: crate::persist::PersistState,
    /// `SLOWLOG`.
    pub slowlog: Mutex<SlowLog>,
    /// `LATENCY`.
    pub latency: Mutex<LatencyMonitor>,
    /// EVAL and FUNCTION: the Lua VMs, the script cache, the libraries,
    /// and the running script's state (checked by dispatch for BUSY).
    pub scripting: crate::scripting::Scripting,
    /// The append-only file.
    pub aof: crate::aof::Aof,
    /// Clients with CLIENT TRACKING on, mirrored from the keyspace's
    /// tracking table so that commands pay one atomic load when nobody
    /// tracks.
    pub tracking_clients: std::sync::atomic::AtomicUsize,
    /// The tracking table holds more keys than `tracking-table-max-keys`:
    /// the next command starts by dropping some (set when a command ends).
    pub tracking_over_limit: std::sync::atomic::AtomicBool,
    /// Keys changed under BCAST prefixes wait to be broadcast: the
    /// connection ending its batch of requests sends them.
    pub tracking_broadcast_due: std::sync::atomic::AtomicBool,
}

impl Shared {
    /// Marks the ACL state as changed so connections refresh their snapshots.
    pub fn bump_acl_epoch(&self) {
        self.acl_epoch.fetch_add(1, Ordering::Release);
    }

    pub fn current_acl_epoch(&self) -> u64 {
        self.acl_epoch.load(Ordering::Acquire)
    }
}

pub use crate::clock::{now_ms, now_us};
