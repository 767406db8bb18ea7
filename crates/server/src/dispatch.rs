//! Dispatch: from a parsed request to a reply.
//!
//! This is the only place that asks the ACL layer. The order of the checks
//! is Redis's `processCommand` order, because it is observable (an unknown
//! command from an unauthenticated client gets the unknown-command error,
//! not NOAUTH; a denied command in RESP2 subscribe mode gets NOPERM):
//!
//! command lookup, arity, authentication, NO_MULTI inside MULTI, ACL
//! (deny: NOPERM, a log entry, counters), `maxmemory` (evictions, OOM),
//! RESP2 pub/sub context, MULTI
//! queueing, execution.
//!
//! Handlers come in two kinds: data handlers ([`crate::cmd::Handler`])
//! see only the keyspace and the client's own state; session handlers
//! ([`SessionHandler`]) act on the connection or the server (AUTH, HELLO,
//! CLIENT, CONFIG, ACL...).

use crate::cmd::{Ctx, Handler};
use crate::db::Keyspace;
use crate::session::Session;
use crate::shared::Shared;
use bytes::Bytes;
use moat_commands::{Command, CommandFlags, CommandId, CommandTable};
use moat_resp::{c_str, c_str_max, Frame};
use parking_lot::MutexGuard;

/// A handler that acts on the connection or the server.
pub type SessionHandler = fn(&mut Session, &mut KeyspaceLock<'_>, &[Bytes]) -> Frame;

/// The implementation of one command.
#[derive(Clone, Copy)]
pub enum HandlerKind {
    Data(Handler),
    Session(SessionHandler),
}

/// Handlers by command id; `None` for commands moat declares (so ACL rules
/// can name them) but does not implement yet.
pub struct HandlerTable {
    by_id: Vec<Option<HandlerKind>>,
}

impl HandlerTable {
    /// Registers every handler module against the command table.
    pub fn build(table: &CommandTable) -> HandlerTable {
        let mut by_id = vec![None; table.len()];
        let data = crate::cmd::data_handlers()
            .into_iter()
            .map(|(n, h)| (n, HandlerKind::Data(h)));
        let session = crate::session_cmds::handlers()
            .into_iter()
            .map(|(n, h)| (n, HandlerKind::Session(h)));
        for (name, handler) in data.chain(session) {
            match table.lookup_fullname(name.as_bytes()) {
                Some(cmd) => by_id[cmd.id as usize] = Some(handler),
                None => tracing::warn!("handler registered for unknown command '{name}'"),
            }
        }
        HandlerTable { by_id }
    }

    pub fn get(&self, id: CommandId) -> Option<HandlerKind> {
        self.by_id.get(id as usize).copied().flatten()
    }
}

/// The keyspace, locked on first use and held until dropped. A plain
/// command locks it for itself; EXEC holds one lock across its queue so
/// the transaction is atomic.
pub struct KeyspaceLock<'a> {
    shared: &'a Shared,
    guard: Option<MutexGuard<'a, Keyspace>>,
}

impl<'a> KeyspaceLock<'a> {
    pub fn new(shared: &'a Shared) -> KeyspaceLock<'a> {
        KeyspaceLock {
            shared,
            guard: None,
        }
    }

    pub fn get(&mut self) -> &mut Keyspace {
        let shared = self.shared;
        self.guard.get_or_insert_with(|| shared.keyspace.lock())
    }

    /// Wakes clients blocked on keys that became ready, if the keyspace
    /// was locked at all (a command that did not lock it wrote nothing).
    pub fn serve_blocked(&mut self, now_ms: i64) {
        if let Some(keyspace) = self.guard.as_mut() {
            keyspace.serve_blocked(now_ms);
        }
    }

    /// The keyspace, if this lock has taken it already.
    pub fn locked(&mut self) -> Option<&mut Keyspace> {
        self.guard.as_deref_mut()
    }

    /// The keyspace events raised since the last call, if the keyspace
    /// was locked at all.
    pub fn take_events(&mut self) -> Option<Vec<crate::db::KeyEvent>> {
        let keyspace = self.guard.as_mut()?;
        if keyspace.events.is_empty() {
            return None;
        }
        Some(std::mem::take(&mut keyspace.events))
    }
}

/// Runs a resolved, checked command.
pub fn run_handler(
    session: &mut Session,
    ks: &mut KeyspaceLock<'_>,
    handler: HandlerKind,
    argv: &[Bytes],
    now_ms: i64,
) -> Frame {
    match handler {
        HandlerKind::Data(handler) => {
            let keyspace = ks.get();
            let dirty_before = keyspace.dirty;
            let mut ctx = Ctx {
                ks: keyspace,
                client: &mut session.client,
                now_ms,
            };
            let reply = handler(&mut ctx, argv);
            ctx.ks.settle_changes(dirty_before);
            reply
        }
        HandlerKind::Session(handler) => handler(session, ks, argv),
    }
}

/// `ERR unknown command '<name>', with args beginning with: '<a>' ...`,
/// as Redis's `processCommand` builds it: the name with `%.128s`, then
/// each argument with `%.*s` in what is left of 128 bytes, all printed as
/// C strings (raw bytes, cut at a NUL), CR / LF made spaces.
pub fn unknown_command_error(argv: &[Bytes]) -> Frame {
    let mut args = Vec::new();
    for arg in &argv[1..] {
        if args.len() >= 128 {
            break;
        }
        let room = 128 - args.len();
        args.push(b'\'');
        args.extend_from_slice(c_str_max(arg, room));
        args.extend_from_slice(b"' ");
    }
    Frame::error_bytes(
        [
            &b"ERR unknown command '"[..],
            c_str_max(&argv[0], 128),
            b"', with args beginning with: ",
            &args,
        ]
        .concat(),
    )
}

/// `ERR unknown subcommand '<sub>'. Try <CMD> HELP.`, the subcommand
/// printed with `%.128s` (raw bytes, cut at a NUL).
pub fn unknown_subcommand_error(argv: &[Bytes]) -> Frame {
    let container = c_str(&argv[0]).to_ascii_uppercase();
    Frame::error_bytes(
        [
            &b"ERR unknown subcommand '"[..],
            c_str_max(&argv[1], 128),
            b"'. Try ",
            &container,
            b" HELP.",
        ]
        .concat(),
    )
}

/// DEBUG and MODULE (the PROTECTED commands) are refused right after the
/// arity check, before authentication and ACLs, unless
/// `enable-debug-command` / `enable-module-command` allow them (`yes`, or
/// `local` on a loopback connection): Redis's `processCommand` order.
pub fn protected_command_error(session: &Session, cmd: &Command) -> Option<Frame> {
    if !cmd.flags.contains(CommandFlags::PROTECTED) {
        return None;
    }
    let (name, option) = match cmd.fullname.split('|').next() {
        Some("debug") => ("DEBUG", "enable-debug-command"),
        Some("module") => ("MODULE", "enable-module-command"),
        _ => return None,
    };
    let allowed = session
        .shared
        .config
        .read()
        .get_text(option)
        .unwrap_or_default();
    let local = crate::protected::is_local(session.info.lock().addr.ip());
    if allowed == "yes" || (allowed == "local" && local) {
        return None;
    }
    Some(Frame::error(format!(
        "ERR {name} command not allowed. If the {option} option is set to \"local\", you can \
         run it from a local connection, otherwise you need to set this option in the \
         configuration file, and then restart the server."
    )))
}

/// `ERR wrong number of arguments for '<fullname>' command`
pub fn arity_error(fullname: &str) -> Frame {
    Frame::error(format!(
        "ERR wrong number of arguments for '{fullname}' command"
    ))
}
