//! One client connection's state and its request pipeline.
//!
//! The network task ([`crate::net`]) owns a `Session`, feeds it parsed
//! requests with [`Session::execute`], and writes back the replies. The
//! session keeps a snapshot of its user's permissions (`Arc<User>`) and of
//! the default user, refreshed only when the server's ACL epoch moved, so
//! the permission check on the hot path reads no shared state.
//!
//! Output that is not a reply (pub/sub messages, MONITOR lines) reaches
//! the connection through its [`Mailbox`]; output a command produces
//! besides its reply goes to [`Session::deferred`], written just before
//! the reply (the confirmations of a multi-channel SUBSCRIBE), or to
//! [`Session::own_pushes`] and [`Session::after_reply`], written after it
//! (a message the client published to itself, notifications of its own
//! changes, its invalidations: Redis 7.2 holds back every push for the
//! running client until its command's reply is out).

use crate::client::ClientState;
use crate::client_line::ClientLine;
use crate::clients::{ClientHandle, ClientInfo, KillSwitch};
use crate::dispatch::{
    arity_error, run_handler, unknown_command_error, unknown_subcommand_error, KeyspaceLock,
};
use crate::mailbox::Mailbox;
use crate::pubsub::{ClientSubscriptions, Kind};
use crate::scripting::{ScriptCallError, ScriptCallMode, ScriptCallReply};
use crate::shared::{now_ms, now_us, Shared};
use bytes::{Bytes, BytesMut};
use moat_acl::{Denial, DenyReason, LogContext, NopermReplies, User};
use moat_commands::{Command, CommandFlags, CommandId, Resolved};
use moat_resp::{Frame, Protocol};
use parking_lot::Mutex;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

/// Redis's `shared.bgsaveerr`.
const MISCONF: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/// A queued MULTI transaction.
#[derive(Default)]
pub struct Transaction {
    pub queued: Vec<(CommandId, Vec<Bytes>)>,
    /// Set by an error while queueing: EXEC then answers EXECABORT.
    pub aborted: bool,
    /// A queued command is `denyoom`, as its flags were when queued
    /// (Redis's `mstate.cmd_flags`; a script's declared flags count).
    pub denyoom: bool,
}

/// `CLIENT REPLY` mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// Skip the reply of the next command only.
    SkipNext,
    Skipping,
}

pub struct Session {
    pub shared: Arc<Shared>,
    pub client: ClientState,
    /// The authenticated user's name and permission snapshot.
    pub user: Arc<User>,
    default_user: Arc<User>,
    acl_epoch: u64,
    /// Whether the client authenticated (explicitly, or implicitly because
    /// the default user was `on nopass` when it connected).
    pub authenticated: bool,
    pub transaction: Option<Transaction>,
    /// Close the connection once the pending replies are written. From
    /// then on no reply is added (Redis's `_addReplyToBufferOrList`
    /// returns early on `CLIENT_CLOSE_AFTER_REPLY`): see EXEC.
    pub close_after_reply: bool,
    /// The running command started over `maxmemory` (Redis's
    /// `pre_command_oom_state`): scripts refuse `denyoom` commands then.
    /// Set by [`crate::oom::check`], and only read with a limit set.
    pub pre_command_oom: bool,
    pub reply_mode: ReplyMode,
    pub info: Arc<Mutex<ClientInfo>>,
    pub kill: Arc<KillSwitch>,
    pub mailbox: Arc<Mailbox>,
    pub addr: std::net::SocketAddr,
    /// Encoded output to write before the current command's reply.
    pub deferred: BytesMut,
    /// Pushes the client's own command raised for it (Pub/Sub messages,
    /// keyspace notifications), written after the command's reply, as
    /// Redis 7.2's `pending_push_messages`; inside EXEC or a script, after
    /// the whole transaction's or script's reply.
    pub own_pushes: BytesMut,
    /// Encoded output to write after those (tracking invalidations of the
    /// client's own changes, as Redis's `tracking_pending_keys`).
    pub after_reply: BytesMut,
    /// CLIENT TRACKING mode and CLIENT CACHING.
    pub tracking: crate::tracking::SessionTracking,
    /// Mailbox bytes moved into `deferred`, not yet reported written.
    pub mailbox_bytes_deferred: usize,
    /// Set by a handler whose whole output went to `deferred`.
    pub no_reply: bool,
    /// Set while EXEC runs its queue: handlers then return all their
    /// output as the reply, since it becomes one element of EXEC's array.
    pub in_exec: bool,
    /// Set by a command EXEC runs whose reply is several frames in a row
    /// (a SUBSCRIBE of several channels): its `Frame::Array` is spliced
    /// into EXEC's output frame by frame, as Redis wrote them.
    pub exec_spliced: bool,
    /// The AOF loader's client: Redis runs a file's commands without
    /// `call()`, so they count nowhere (commandstats, total commands, the
    /// slow log).
    pub uncounted: bool,
    pub subscriptions: ClientSubscriptions,
    pub monitor: bool,
    /// WATCHed keys, as `(db, key)`.
    pub watched: Vec<(usize, Bytes)>,
    /// The command this client is blocked in (BLPOP...), see [`crate::blocked`].
    pub blocked: Option<crate::blocked::BlockedState>,
    /// The command `process` already published as current, so that
    /// `call` need not take the client-info lock again for it.
    noted_command: Option<CommandId>,
    /// This batch's command statistics, not yet in `shared.stats`.
    batch_stats: crate::batch_stats::BatchStats,
    /// The failed calls the script that just ran makes of itself, its
    /// reply's errors being counted already (see `scripting::convert`);
    /// `None` when no script reply was converted.
    script_reply_failures: Option<u64>,
    /// The top-level command's error reply was counted already (a
    /// script's, when it converted its reply).
    reply_error_counted: bool,
    /// The running command wrote an error besides its reply: it counts
    /// as failed (Redis counts a call failed when error replies grew).
    wrote_error: bool,
    /// The command whose name `info.last_command` holds (`None`: some
    /// other text), so a client repeating a command takes no lock for it.
    published_command: Option<CommandId>,
    /// The last command looked up, to resolve a repeated one cheaply.
    command_cache: crate::command_cache::CommandCache,
    /// The database last written to `info.db`.
    published_db: usize,
    /// The AOF offset this client's writes reached: its replies wait
    /// until the AOF has it (see [`crate::aof::Aof::barrier`]).
    pub aof_offset: u64,
    /// The AOF offset of this client's last write, kept across replies
    /// (Redis's `c->woff`, what WAITAOF waits for).
    pub aof_last_write: u64,
    /// Nesting of [`Session::call`] (EXEC, scripts run commands inside
    /// a command).
    call_depth: u32,
    /// The NOPERM reply of the last refused command, for repeats.
    noperm_replies: NopermReplies,
}

impl Session {
    /// A new connection: user `default`, authenticated iff default is
    /// `on nopass`, registered in the client registry.
    pub fn new(
        shared: Arc<Shared>,
        addr: std::net::SocketAddr,
        laddr: std::net::SocketAddr,
        fd: i32,
    ) -> Session {
        let id = shared.clients.next_id();
        let (user, epoch) = {
            let acl = shared.acl.read();
            (
                acl.registry.default_user().clone(),
                shared.current_acl_epoch(),
            )
        };
        let now = now_ms();
        let info = Arc::new(Mutex::new(ClientInfo::new(
            id,
            addr,
            laddr,
            fd,
            Bytes::copy_from_slice(user.name()),
            now,
        )));
        let kill = Arc::new(KillSwitch::default());
        let mailbox = Arc::new(Mailbox::new(id, kill.clone()));
        shared.clients.register(ClientHandle {
            info: info.clone(),
            kill: kill.clone(),
            mailbox: mailbox.clone(),
        });
        shared
            .stats
            .total_connections_received
            .fetch_add(1, Relaxed);
        let authenticated = user.is_enabled() && user.is_nopass();
        Session {
            shared,
            client: ClientState {
                id,
                ..ClientState::default()
            },
            default_user: user.clone(),
            user,
            acl_epoch: epoch,
            authenticated,
            transaction: None,
            close_after_reply: false,
            pre_command_oom: false,
            reply_mode: ReplyMode::On,
            info,
            kill,
            mailbox,
            addr,
            deferred: BytesMut::new(),
            own_pushes: BytesMut::new(),
            after_reply: BytesMut::new(),
            tracking: crate::tracking::SessionTracking::default(),
            mailbox_bytes_deferred: 0,
            no_reply: false,
            in_exec: false,
            exec_spliced: false,
            subscriptions: ClientSubscriptions::default(),
            monitor: false,
            watched: Vec::new(),
            blocked: None,
            noted_command: None,
            batch_stats: Default::default(),
            script_reply_failures: None,
            reply_error_counted: false,
            wrote_error: false,
            uncounted: false,
            published_command: None,
            command_cache: Default::default(),
            published_db: 0,
            aof_offset: 0,
            aof_last_write: 0,
            call_depth: 0,
            noperm_replies: NopermReplies::default(),
        }
    }

    /// Re-reads the user snapshots if any user changed since the last command.
    pub(crate) fn refresh_acl(&mut self) {
        let epoch = self.shared.current_acl_epoch();
        if epoch == self.acl_epoch {
            return;
        }
        let acl = self.shared.acl.read();
        self.default_user = acl.registry.default_user().clone();
        match acl.registry.get(self.user.name()) {
            Some(user) => self.user = user.clone(),
            // Deleted: Redis's `ACLFreeUserAndKillClients` moves the
            // client, closed soon, to the default user, unauthenticated
            // (what is left of an EXEC runs, and is checked, as that user).
            None => {
                self.user = self.default_user.clone();
                self.authenticated = false;
                self.info.lock().user = Bytes::copy_from_slice(self.user.name());
            }
        }
        self.acl_epoch = epoch;
    }

    /// Whether the running command started over `maxmemory` (a limit set
    /// and nothing left to evict): scripts then refuse what may grow the
    /// dataset.
    pub fn started_over_maxmemory(&self) -> bool {
        self.pre_command_oom && self.shared.limits.maxmemory() != 0
    }

    /// Redis evaluates this per command from the *current* default user, so
    /// making default `on nopass` later unblocks never-authenticated clients.
    pub fn auth_required(&self) -> bool {
        !(self.authenticated || self.default_user.is_nopass() && self.default_user.is_enabled())
    }

    /// Switches identity after a successful AUTH/HELLO AUTH.
    pub fn login(&mut self, user: Arc<User>) {
        self.info.lock().user = Bytes::copy_from_slice(user.name());
        self.user = user;
        self.authenticated = true;
    }

    /// Runs one request and returns its reply (`None` when the reply is
    /// suppressed by `CLIENT REPLY`).
    pub fn execute(&mut self, mut argv: Vec<Bytes>) -> Option<Frame> {
        let shared = self.shared.clone();
        self.execute_in(&shared, &mut argv)
    }

    /// [`Session::execute`] for a connection that reuses one vector for
    /// every request: what `argv` holds afterwards is unspecified (a
    /// queued or rejected request leaves it empty). `shared` is this
    /// session's own [`Session::shared`], lent by a caller that holds it
    /// anyway, so that no command pays for a reference count of its own.
    pub fn execute_in(&mut self, shared: &Shared, argv: &mut Vec<Bytes>) -> Option<Frame> {
        debug_assert!(std::ptr::eq(shared, &*self.shared));
        let reply = self.process(shared, argv);
        // A blocked command's request ends when it is unblocked. A CLIENT
        // subcommand (the request's published command) keeps CLIENT
        // CACHING for the next one.
        if self.tracking.caching && !self.is_blocked() {
            let client_command = self
                .published_command
                .is_some_and(|id| shared.table.get(id).fullname.starts_with("client|"));
            self.tracking_after_request(client_command);
        }
        // A command that blocked replies later: CLIENT REPLY SKIP then
        // applies to that reply, as in Redis.
        if self.no_reply && self.is_blocked() {
            self.no_reply = false;
            return None;
        }
        let counted = std::mem::take(&mut self.reply_error_counted);
        if let Frame::Error(message) = &reply {
            if !counted {
                self.shared.stats.count_error(message);
            }
        }
        let reply = if std::mem::take(&mut self.no_reply) {
            None
        } else {
            Some(reply)
        };
        self.apply_reply_mode(reply)
    }

    /// `CLIENT REPLY` ON/OFF/SKIP applied to a command's reply.
    pub fn apply_reply_mode(&mut self, reply: Option<Frame>) -> Option<Frame> {
        match self.reply_mode {
            ReplyMode::On => reply,
            ReplyMode::Off => None,
            ReplyMode::SkipNext => {
                self.reply_mode = ReplyMode::Skipping;
                reply
            }
            ReplyMode::Skipping => {
                self.reply_mode = ReplyMode::On;
                None
            }
        }
    }

    /// Runs `request`; when it runs to the end, the emptied-out vector
    /// goes back to the caller for the next request.
    fn process(&mut self, shared: &Shared, request: &mut Vec<Bytes>) -> Frame {
        let argv = std::mem::take(request);
        self.refresh_acl();
        let cmd = match self.command_cache.resolve(shared.table, &argv) {
            Resolved::Command(cmd) => cmd,
            Resolved::UnknownCommand => {
                self.note_current_command("NULL", None);
                return self.reject(unknown_command_error(&argv));
            }
            Resolved::UnknownSubcommand(_) => {
                self.note_current_command("NULL", None);
                return self.reject(unknown_subcommand_error(&argv));
            }
        };
        // Redis sets the client's current command right after lookup, so a
        // rejected command already shows as `cmd=` in CLIENT LIST and in
        // the ACL log's client-info.
        self.note_current_command(&cmd.fullname, Some(cmd.id));
        self.noted_command = Some(cmd.id);
        if !cmd.arity_ok(argv.len()) {
            return self.reject_command(cmd, arity_error(&cmd.fullname));
        }
        if let Some(refusal) = crate::dispatch::protected_command_error(self, cmd) {
            return self.reject_command(cmd, refusal);
        }
        if self.auth_required() && !cmd.flags.contains(CommandFlags::NO_AUTH) {
            return self.reject_command(cmd, Frame::error("NOAUTH Authentication required."));
        }
        if self.transaction.is_some() && cmd.flags.contains(CommandFlags::NO_MULTI) {
            return self.reject_command(
                cmd,
                Frame::error("ERR Command not allowed inside a transaction"),
            );
        }
        if let Err(denial) = self.user.check(cmd, &argv) {
            let context = if self.transaction.is_some() {
                LogContext::Multi
            } else {
                LogContext::Toplevel
            };
            // No keyspace lock (nor its handle) for a client that watches nothing.
            let dirty_cas = !self.watched.is_empty()
                && self.dirty_cas(&mut KeyspaceLock::new(&self.shared.clone()));
            self.record_denial(cmd, &argv, denial, context, dirty_cas);
            let reply = self.noperm_replies.reply(&denial, &self.user, cmd);
            return self.reject_command(cmd, Frame::Error(reply));
        }
        // maxmemory: evict, or refuse what would grow the dataset.
        if let Some(error) = crate::oom::check(self, cmd, &argv) {
            return self.reject_command(cmd, error);
        }
        // Redis's trackingLimitUsedSlots, when anyone tracks.
        self.tracking_before_command();
        // `writeCommandsDeniedByDiskError`: after a failed save, with
        // save points and `stop-writes-on-bgsave-error`, writes (and
        // PING, so monitoring notices) are refused until a save works.
        // The persistence state (an atomic load while saves succeed) is
        // asked first, so a healthy server compares no command names.
        if crate::persist::jobs::writes_refused(shared)
            && (self.is_write_request(cmd) || cmd.fullname == "ping")
        {
            return self.reject_command(cmd, Frame::error(MISCONF));
        }
        if self.client.protocol == Protocol::Resp2
            && self.subscriptions.total() > 0
            && !allowed_while_subscribed(cmd)
        {
            return self.reject_command(
                cmd,
                Frame::error(format!(
                    "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                    cmd.fullname
                )),
            );
        }
        if let Some(error) = self.shared.aof.write_error() {
            if self.is_write_request(cmd) {
                return self.reject_command(
                    cmd,
                    Frame::error(format!("MISCONF Errors writing to the AOF file: {error}")),
                );
            }
        }
        // A script past busy-reply-threshold holds the keyspace: everyone
        // else gets BUSY, except for the commands that may run meanwhile
        // (SCRIPT KILL, FUNCTION KILL/STATS, AUTH...).
        if !cmd.flags.contains(CommandFlags::ALLOW_BUSY) {
            shared.scripting.run.wait_while_quiet();
            if let Some(busy) = shared.scripting.run.busy_error() {
                return self.reject_command(cmd, busy);
            }
        }
        if self
            .transaction
            .as_ref()
            .is_some_and(|_| !is_transaction_control(cmd))
        {
            // A transaction EXEC will refuse anyway (an error while
            // queueing, or a watched key changed) queues nothing more:
            // Redis's queueMultiCommand, seen in CLIENT LIST's `multi=`.
            let doomed = self.transaction.as_ref().is_some_and(|t| t.aborted)
                || self.dirty_cas(&mut KeyspaceLock::new(shared));
            if let Some(transaction) = &mut self.transaction {
                if !doomed {
                    transaction.denyoom |= crate::oom::denies_oom(shared, cmd, &argv);
                    transaction.queued.push((cmd.id, argv));
                    self.info.lock().multi = transaction.queued.len() as i64;
                }
            }
            return Frame::simple("QUEUED");
        }
        let mut ks = KeyspaceLock::new(shared);
        let reply = self.call(&mut ks, cmd, &argv);
        *request = argv;
        reply
    }

    /// Executes a command that passed every check, with statistics.
    pub fn call(&mut self, ks: &mut KeyspaceLock<'_>, cmd: &Command, argv: &[Bytes]) -> Frame {
        let Some(handler) = self.shared.handlers.get(cmd.id) else {
            return Frame::error(format!(
                "ERR moat does not implement the '{}' command yet",
                cmd.fullname
            ));
        };
        // One clock read gives the command's "now" and its start; a second
        // one its duration (Redis's `ustime()` pair).
        let started_us = now_us();
        let now = started_us / 1000;
        // Inside EXEC the client's command stays `exec`, as Redis's
        // `lastcmd` does.
        // `process` already noted a top-level command; EXEC's and scripts'
        // inner commands are noted here (or not at all inside EXEC).
        if !self.in_exec && self.noted_command.take() != Some(cmd.id) {
            let table = self.shared.table;
            self.note_current_command(&table.get(cmd.id).fullname, Some(cmd.id));
        }
        // The handler cannot see the user: what SORT's patterns need to
        // know about it is computed here, for this request only.
        self.client.may_read_any_key =
            crate::client::asks_for_any_key_read(cmd) && self.user.may_sort_by_pattern(cmd, argv);
        // Blocking commands answer at once inside EXEC and inside scripts
        // (7.2 runs them there as their non-blocking forms).
        let top_level = self.call_depth == 0;
        self.client.may_block = !self.in_exec && top_level;
        let tracking_entered = top_level && self.tracking_enter(ks);
        let reply = self.run_and_propagate(ks, cmd, handler, argv, now);
        // Only a script sets it, after its own calls: never an inner call's.
        let script_failures = self.script_reply_failures.take();
        self.count_call_error(&reply, script_failures.is_some(), top_level);
        if self.tracking.on {
            self.tracking_remember(ks, cmd, argv);
        }
        let blocked = self.client.block.is_some() && self.take_block_request(ks, cmd.id, argv);
        // Keyspace notifications, and the invalidations sent to other
        // clients in between, in the order the command raised them.
        self.publish_events_and_invalidations(ks);
        if top_level {
            self.tracking_finish(ks, tracking_entered);
        }
        let mut elapsed_us = (now_us() - started_us).max(0) as u64;
        // A command that blocks is counted once, when it completes, with
        // the time its attempts took.
        if blocked {
            self.note_block_attempt(elapsed_us);
        } else if top_level {
            elapsed_us += self.take_block_attempts_us();
        }
        if !blocked && !self.uncounted {
            // Redis records the microsecond duration in nanoseconds.
            let latency = self
                .shared
                .limits
                .latency_tracking()
                .then_some(elapsed_us * 1000);
            let wrote_error = std::mem::take(&mut self.wrote_error);
            let failed =
                script_failures.unwrap_or_else(|| u64::from(reply.is_error() || wrote_error));
            self.batch_stats.record(
                &self.shared.stats,
                cmd.id as u32,
                elapsed_us,
                failed,
                latency,
            );
            self.note_slow_command(cmd, argv, elapsed_us, now);
        }
        // Redis's handleClientsBlockedOnKeys, after the command (after
        // the whole transaction for EXEC).
        if !self.in_exec {
            ks.serve_blocked(now);
        }
        // Redis 7.2 counts a command that blocks once, when it completes
        // (its re-run when served, `updateStatsOnUnblock` otherwise).
        if !blocked && !self.uncounted {
            self.batch_stats.count_processed(&self.shared.stats);
        }
        // Redis feeds monitors after the call, with the database the
        // command left selected; admin commands are never shown.
        if !self.shared.monitors.is_empty()
            && !cmd
                .flags
                .intersects(CommandFlags::ADMIN | CommandFlags::SKIP_MONITOR)
        {
            self.shared.monitors.feed(
                &self.shared,
                self.client.db,
                self.addr,
                &crate::redact::redacted_argv(&cmd.fullname, argv),
            );
        }
        // Published for CLIENT LIST only when SELECT (or a script) changed
        // it: no lock per command otherwise.
        if self.published_db != self.client.db {
            self.published_db = self.client.db;
            self.info.lock().db = self.client.db;
        }
        reply
    }

    /// Counts an error reply of a command that runs inside another one
    /// (EXEC, a script) where it is produced, as Redis does on the inner
    /// client, unless it was counted already (a script's converted
    /// reply); for a top-level command, notes whether its error was
    /// counted already (the caller counts the others when it sends the
    /// reply).
    fn count_call_error(&mut self, reply: &Frame, counted: bool, top_level: bool) {
        let Frame::Error(text) = reply else {
            return;
        };
        if top_level {
            self.reply_error_counted = counted;
        } else if !counted {
            self.shared.stats.count_error(text);
        }
    }

    /// Counts the new errors of the reply a script just converted, and
    /// the failed calls its errors make of the script's command.
    pub fn note_script_reply_errors(&mut self, errors: &crate::scripting::convert::ReplyErrors) {
        for error in &errors.new {
            self.shared.stats.count_error(error);
        }
        self.script_reply_failures = Some(errors.failed_calls());
    }

    /// A command a script called refused before it ran (Redis's
    /// `scriptCall` error path): counted as an error reply there and as
    /// a rejected call of the command, once, however the script uses it.
    fn count_script_rejection(&mut self, cmd: Option<&Command>, error: &ScriptCallError) {
        if let Some(cmd) = cmd {
            self.shared.stats.commands[cmd.id as usize]
                .rejected_calls
                .fetch_add(1, Relaxed);
        }
        let text = Bytes::from(crate::scripting::convert::error_text(
            error.message().as_bytes(),
        ));
        self.shared.stats.count_error(&text);
    }

    /// **The entry point for commands called from scripts** (`redis.call`,
    /// `redis.pcall`, `redis.acl_check_cmd`). It applies dispatch's checks
    /// in Redis's `scriptCall` order — command lookup, arity, `noscript`,
    /// the ACL check against the *calling* user (a denial is logged with
    /// context `lua` and the caller's client info), writes refused in
    /// read-only scripts — and then runs the normal handler with
    /// statistics. The caller keeps showing its own command (`cmd=eval`).
    pub fn call_from_script(
        &mut self,
        ks: &mut KeyspaceLock<'_>,
        argv: &[Bytes],
        mode: ScriptCallMode,
    ) -> Result<ScriptCallReply, ScriptCallError> {
        let result = self.checked_call_from_script(ks, argv, mode);
        // `redis.acl_check_cmd` only asks; its errors are the script's own.
        if let (Err(error), ScriptCallMode::Execute { .. }) = (&result, mode) {
            let cmd = match self.shared.table.resolve(argv) {
                Resolved::Command(cmd) => Some(cmd),
                _ => None,
            };
            self.count_script_rejection(cmd, error);
        }
        result
    }

    /// [`Session::call_from_script`] without the statistics of a refusal.
    fn checked_call_from_script(
        &mut self,
        ks: &mut KeyspaceLock<'_>,
        argv: &[Bytes],
        mode: ScriptCallMode,
    ) -> Result<ScriptCallReply, ScriptCallError> {
        let cmd = match self.shared.table.resolve(argv) {
            Resolved::Command(cmd) => cmd,
            _ => return Err(ScriptCallError::UnknownCommand),
        };
        let (read_only, deny_oom) = match mode {
            ScriptCallMode::AclCheckOnly => {
                return Ok(ScriptCallReply {
                    reply: Frame::Boolean(self.user.check(cmd, argv).is_ok()),
                    wrote: false,
                })
            }
            ScriptCallMode::Execute {
                read_only,
                deny_oom,
            } => (read_only, deny_oom),
        };
        if !cmd.arity_ok(argv.len()) {
            return Err(ScriptCallError::WrongArity);
        }
        if cmd.flags.contains(CommandFlags::NOSCRIPT) {
            return Err(ScriptCallError::NotAllowedFromScript);
        }
        if let Err(denial) = self.user.check(cmd, argv) {
            let dirty_cas = self.dirty_cas(ks);
            self.record_denial(cmd, argv, denial, LogContext::Lua, dirty_cas);
            return Err(ScriptCallError::Acl(
                denial.noperm_message(self.user.name(), &cmd.fullname),
            ));
        }
        // Redis treats may-replicate commands as writes here too.
        if read_only
            && cmd
                .flags
                .intersects(CommandFlags::WRITE | CommandFlags::MAY_REPLICATE)
        {
            return Err(ScriptCallError::WriteInReadOnly);
        }
        // Redis's `scriptVerifyOOM`, after the write checks.
        if deny_oom && cmd.flags.contains(CommandFlags::DENYOOM) {
            return Err(ScriptCallError::Oom);
        }
        let outer = self.info.lock().last_command;
        // Redis records a script's own client as the writer of its keys
        // (BCAST NOLOOP clients hear of their scripts' writes).
        let writer = ks.locked().map(|k| k.tracking.set_writer(SCRIPT_WRITER));
        let reply = self.call(ks, cmd, argv);
        if let (Some(writer), Some(keyspace)) = (writer, ks.locked()) {
            keyspace.tracking.set_writer(writer);
        }
        self.note_current_command(outer, None);
        Ok(ScriptCallReply {
            reply,
            wrote: cmd.flags.contains(CommandFlags::WRITE),
        })
    }

    /// Runs the handler and settles its propagation: a data handler that
    /// moved the keyspace's `dirty` counter propagates its argv (unless it
    /// replaced or suppressed it, see [`crate::db::Propagation`]); at the
    /// top level everything the command propagated goes to the AOF, still
    /// under the keyspace lock.
    fn run_and_propagate(
        &mut self,
        ks: &mut KeyspaceLock<'_>,
        cmd: &Command,
        handler: crate::dispatch::HandlerKind,
        argv: &[Bytes],
        now: i64,
    ) -> Frame {
        let top_level = self.call_depth == 0;
        // Data handlers, and the session handlers the table flags as writes
        // (FLUSHALL), propagate their own argv when they moved `dirty`;
        // other session handlers (EXEC, EVAL...) only propagate what the
        // commands they run propagate.
        let tracks_own_argv = match handler {
            crate::dispatch::HandlerKind::Data(_) => true,
            crate::dispatch::HandlerKind::Session(_) => cmd.flags.contains(CommandFlags::WRITE),
        };
        let tracked = if tracks_own_argv {
            let keyspace = ks.get();
            keyspace
                .propagate
                .enabled
                .then(|| (keyspace.propagate.begin_command(), keyspace.dirty))
        } else {
            None
        };
        let db = self.client.db;
        self.call_depth += 1;
        let reply = run_handler(self, ks, handler, argv, now);
        self.call_depth -= 1;
        if let Some((enclosing, dirty_before)) = tracked {
            let keyspace = ks.get();
            // A read-only command never propagates its own argv (one that
            // must, PFCOUNT refreshing its cache, states it explicitly);
            // an expired key it found propagates its DEL on its own.
            let wrote =
                keyspace.dirty != dirty_before && !cmd.flags.contains(CommandFlags::READONLY);
            keyspace.propagate.end_command(enclosing, wrote, db, argv);
        }
        if top_level {
            if let Some(keyspace) = ks.locked() {
                if !keyspace.propagate.is_empty() {
                    let ops = keyspace.propagate.take();
                    // More than one command (EXEC's, a script's, or a
                    // key the command found expired and its own write) is
                    // one MULTI/EXEC unit, as `propagatePendingCommands`
                    // wraps them.
                    let offset = self.shared.aof.feed(ops, true);
                    self.aof_offset = self.aof_offset.max(offset);
                    self.aof_last_write = self.aof_last_write.max(offset);
                }
            }
        }
        reply
    }

    /// Publishes the command being processed (`cmd=` of CLIENT LIST);
    /// `id` is the command's when `fullname` is a command's name, so that
    /// a repeated command takes no lock.
    fn note_current_command(&mut self, fullname: &'static str, id: Option<CommandId>) {
        if id.is_some() && id == self.published_command {
            return;
        }
        self.published_command = id;
        self.info.lock().last_command = fullname;
        // `last_interaction_ms` is Redis's `lastinteraction`, updated when
        // the connection reads (net.rs), not here: no clock read per command.
    }

    /// Feeds the slow log and the latency monitor; two atomic loads when
    /// the command was fast.
    fn note_slow_command(&self, cmd: &Command, argv: &[Bytes], elapsed_us: u64, now_ms: i64) {
        let limits = &self.shared.limits;
        let slower_than = limits.slowlog_slower_than_us();
        if slower_than >= 0
            && elapsed_us >= slower_than as u64
            && !cmd.flags.contains(CommandFlags::SKIP_SLOWLOG)
        {
            let (peer, name) = {
                let info = self.info.lock();
                (info.addr.to_string(), info.name.clone().unwrap_or_default())
            };
            let argv = crate::redact::redacted_argv(&cmd.fullname, argv);
            self.shared.slowlog.lock().push(
                &argv,
                elapsed_us,
                now_ms / 1000,
                peer,
                name,
                limits.slowlog_max_len(),
            );
        }
        let threshold_ms = limits.latency_threshold_ms();
        let elapsed_ms = elapsed_us / 1000;
        if threshold_ms > 0 && elapsed_ms >= threshold_ms {
            let event = if cmd.flags.contains(CommandFlags::FAST) {
                "fast-command"
            } else {
                "command"
            };
            self.shared
                .latency
                .lock()
                .add_sample(event, now_ms / 1000, elapsed_ms);
        }
    }

    /// Writes an error before the command's reply (a command that reports
    /// a problem and goes on), counted as an error reply and making the
    /// call a failed one, as in Redis.
    pub fn write_error_before_reply(&mut self, error: Bytes) {
        self.shared.stats.count_error(&error);
        Frame::Error(error).encode(self.client.protocol, &mut self.deferred);
        self.wrote_error = true;
    }

    /// Makes the running command count as failed although its reply is
    /// not an error (EXEC with an error of its own after its last call).
    pub fn note_failed_call(&mut self) {
        self.wrote_error = true;
    }

    /// Adds this batch's command statistics to the shared counters: before
    /// the batch's replies go out, and before anything on this connection
    /// reads the counters.
    pub fn flush_stats(&mut self) {
        self.batch_stats.flush(&self.shared.stats);
    }

    /// A rejection before execution: inside MULTI it also dooms the transaction.
    fn reject(&mut self, error: Frame) -> Frame {
        if let Some(transaction) = &mut self.transaction {
            transaction.aborted = true;
        }
        error
    }

    fn reject_command(&mut self, cmd: &Command, error: Frame) -> Frame {
        self.shared.stats.commands[cmd.id as usize]
            .rejected_calls
            .fetch_add(1, Relaxed);
        if cmd.fullname == "exec" {
            return self.abort_exec(error);
        }
        self.reject(error)
    }

    /// Redis's `execCommandAbort`: an EXEC refused before it runs (arity,
    /// NOAUTH, NOPERM, OOM, MISCONF, BUSY, Pub/Sub context) discards the
    /// transaction, watches included, MULTI or not, and says why.
    fn abort_exec(&mut self, error: Frame) -> Frame {
        let shared = self.shared.clone();
        self.end_transaction(&mut KeyspaceLock::new(&shared));
        let text = match &error {
            Frame::Error(text) => text.clone(),
            other => Bytes::from(format!("{other:?}")),
        };
        // Redis words these without the ERR code it adds to other replies.
        let reason = text.strip_prefix(b"ERR ").unwrap_or(&text);
        let mut out = b"EXECABORT Transaction discarded because of: ".to_vec();
        out.extend_from_slice(reason);
        Frame::Error(Bytes::from(out))
    }

    /// Redis's `is_write_command`: a write, or an EXEC with one queued.
    fn is_write_request(&self, cmd: &Command) -> bool {
        cmd.flags.contains(CommandFlags::WRITE)
            || cmd.fullname == "exec"
                && self.transaction.as_ref().is_some_and(|t| {
                    t.queued.iter().any(|(id, _)| {
                        self.shared
                            .table
                            .get(*id)
                            .flags
                            .contains(CommandFlags::WRITE)
                    })
                })
    }

    /// Whether a key this client watches changed (the `d` flag of its
    /// client line); takes the keyspace lock only for a client that
    /// watches keys.
    pub fn dirty_cas(&self, ks: &mut KeyspaceLock<'_>) -> bool {
        !self.watched.is_empty() && ks.get().watch.is_dirty(self.client.id)
    }

    /// Writes an ACL denial to the log and the INFO counters; `dirty_cas`
    /// is [`Session::dirty_cas`], for the entry's client info.
    pub fn record_denial(
        &self,
        cmd: &Command,
        argv: &[Bytes],
        denial: Denial,
        context: LogContext,
        dirty_cas: bool,
    ) {
        let stats = &self.shared.stats;
        match denial.reason {
            DenyReason::Command | DenyReason::Database => {
                stats.acl_access_denied_cmd.fetch_add(1, Relaxed)
            }
            DenyReason::Key => stats.acl_access_denied_key.fetch_add(1, Relaxed),
            DenyReason::Channel => stats.acl_access_denied_channel.fetch_add(1, Relaxed),
        };
        let now = now_ms();
        let client_info = self.client_line(now).with_dirty_cas(dirty_cas);
        self.shared.acl.write().log.record_denial(
            denial.reason,
            context,
            denial.log_object(cmd, argv),
            self.user.name(),
            client_info,
            now,
        );
    }

    /// Writes a failed authentication to the log and the INFO counters.
    pub fn record_auth_failure(&self, typed_command: &[u8], username: &[u8], dirty_cas: bool) {
        self.shared
            .stats
            .acl_access_denied_auth
            .fetch_add(1, Relaxed);
        let now = now_ms();
        let client_info = self.client_line(now).with_dirty_cas(dirty_cas);
        let context = if self.in_exec {
            LogContext::Multi
        } else {
            LogContext::Toplevel
        };
        let mut acl = self.shared.acl.write();
        acl.log
            .record_auth_failure(typed_command, username, context, client_info, now);
    }

    /// This client's `CLIENT INFO` line, for logs (without the `d` flag,
    /// which the keyspace keeps).
    pub fn client_info_line(&self) -> String {
        self.client_line(now_ms()).to_line()
    }

    /// This client's `CLIENT INFO` line with its `d` flag as given.
    pub fn client_info_line_with(&self, dirty_cas: bool) -> String {
        self.client_line(now_ms())
            .with_dirty_cas(dirty_cas)
            .to_line()
    }

    /// The values of this client's `CLIENT INFO` line now, for the ACL
    /// log (formatted when the log is read).
    fn client_line(&self, now_ms: i64) -> ClientLine {
        ClientLine::capture(&self.info.lock(), self.mailbox.pending(), now_ms)
            .with_close_after_reply(self.close_after_reply)
    }

    /// Leaves MULTI state (after EXEC or DISCARD) and forgets the
    /// watched keys, as Redis's `discardTransaction` does.
    pub fn end_transaction(&mut self, ks: &mut KeyspaceLock<'_>) {
        self.transaction = None;
        self.info.lock().multi = -1;
        self.unwatch_all(ks);
    }

    /// Redis's `unwatchAllKeys`.
    pub fn unwatch_all(&mut self, ks: &mut KeyspaceLock<'_>) {
        if self.watched.is_empty() {
            return;
        }
        let keys = std::mem::take(&mut self.watched);
        ks.get().watch.unwatch_all(self.client.id, &keys);
    }

    /// Whether EXEC must fail because of WATCH: a watched key changed, or
    /// one that was live when watched has logically expired since
    /// (Redis's `isWatchedKeyExpired`).
    pub fn watch_broken(&self, ks: &mut KeyspaceLock<'_>) -> bool {
        if self.watched.is_empty() {
            return false;
        }
        let keyspace = ks.get();
        if keyspace.watch.is_dirty(self.client.id) {
            return true;
        }
        let now = now_ms();
        self.watched.iter().any(|(db, key)| {
            !keyspace.watch.watched_expired(self.client.id, *db, key)
                && keyspace.is_logically_expired(*db, key, now)
        })
    }

    /// Switches the protocol (HELLO).
    pub fn set_protocol(&mut self, protocol: Protocol) {
        self.client.protocol = protocol;
        self.mailbox.set_resp3(protocol == Protocol::Resp3);
        self.info.lock().resp = if protocol == Protocol::Resp3 { 3 } else { 2 };
    }

    /// The connection's protocol, in which pushes reach it: inside a
    /// script `client.protocol` is the script's (RESP2, or what
    /// `redis.setresp` chose), which only shapes its calls' replies.
    pub fn push_protocol(&self) -> Protocol {
        if self.mailbox.is_resp3() {
            Protocol::Resp3
        } else {
            Protocol::Resp2
        }
    }

    /// Moves everything queued in the mailbox to `deferred`, so that it is
    /// written before what the command adds next.
    pub fn drain_mailbox_into_deferred(&mut self) {
        if self.mailbox.has_pending() {
            self.mailbox_bytes_deferred += self.mailbox.take_into(&mut self.deferred);
        }
    }

    /// Publishes this client's subscription lists and counts (CLIENT LIST,
    /// ACL changes that close subscribers) and picks its output limit class.
    /// Only the changes are replayed, so a client with many subscriptions
    /// pays for what a command changed, not for what it holds.
    pub fn publish_subscriptions(&mut self) {
        let changes = self.subscriptions.take_changes();
        if changes.is_empty() {
            return;
        }
        self.mailbox.set_subscriber(self.subscriptions.total() > 0);
        let mut guard = self.info.lock();
        let info = &mut *guard;
        crate::pubsub::apply_changes(
            [
                &mut info.channels,
                &mut info.patterns,
                &mut info.shard_channels,
            ],
            changes,
        );
        info.subscriptions = info.channels.len();
        info.pattern_subscriptions = info.patterns.len();
        info.shard_subscriptions = info.shard_channels.len();
    }

    /// Leaves every subscription silently (RESET, disconnection).
    pub fn drop_subscriptions(&mut self) {
        if self.subscriptions.total() == 0 {
            return;
        }
        let all = self.subscriptions.take_all();
        for (kind, names) in [Kind::Channel, Kind::Pattern, Kind::Shard]
            .into_iter()
            .zip(all)
        {
            self.shared
                .pubsub
                .unsubscribe_all(kind, &names, self.client.id);
        }
        self.publish_subscriptions();
    }

    /// Leaves MONITOR mode.
    pub fn stop_monitoring(&mut self) {
        if self.monitor {
            self.monitor = false;
            self.shared.monitors.remove(self.client.id);
            self.info.lock().monitor = false;
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.flush_stats();
        // Tracking clients redirecting here now find no such client.
        self.mailbox.close();
        self.drop_subscriptions();
        self.stop_monitoring();
        if !self.watched.is_empty() || self.is_blocked() || self.tracking.on {
            let shared = self.shared.clone();
            let mut ks = KeyspaceLock::new(&shared);
            self.unwatch_all(&mut ks);
            self.cancel_block(&mut ks);
            self.disable_tracking(&mut ks);
        }
        self.shared.clients.unregister(self.client.id);
    }
}

/// The writer id of commands run by scripts: no connection's (ids start
/// at 1 and count up).
const SCRIPT_WRITER: u64 = u64::MAX;

/// The commands a RESP2 client may send while it has subscriptions.
fn allowed_while_subscribed(cmd: &Command) -> bool {
    matches!(
        cmd.fullname.as_str(),
        "ping"
            | "subscribe"
            | "ssubscribe"
            | "unsubscribe"
            | "sunsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "quit"
            | "reset"
    )
}

/// Commands that act on the transaction itself instead of being queued.
fn is_transaction_control(cmd: &Command) -> bool {
    matches!(
        cmd.fullname.as_str(),
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
}
