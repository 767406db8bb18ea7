//! The permission check.
//!
//! A request is allowed when **one** selector allows all of it: the
//! command, the databases it touches (Valkey 9.1), every key with the
//! permission its key spec asks for, and every channel. Selectors never
//! combine. When all refuse, one refusal is reported, chosen as Redis
//! chooses it: the "highest" reason wins (channel > key > command >
//! database) and, for equal reasons, the larger argument index.
//!
//! Keys and channels are extracted at most once per request, and only if a
//! selector needs them; refusals are two integers ([`Denial`]) and the
//! error texts are built only when the caller asks for them.

use crate::rules::KeyPerms;
use crate::selector::Selector;
use crate::user::User;
use bytes::Bytes;
use moat_commands::{
    extract_channels, extract_keys, single_fixed_key, Category, ChannelKind, ChannelRef, Command,
    CommandFlags, CommandId, KeyRef, KeyRefs, KeySpecFlags,
};

/// Why a request was denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenyReason {
    Command,
    Key,
    Channel,
    /// Valkey 9.1 database permissions.
    Database,
}

impl DenyReason {
    /// The `reason` field of `ACL LOG`.
    pub fn log_reason(self) -> &'static str {
        match self {
            DenyReason::Command => "command",
            DenyReason::Key => "key",
            DenyReason::Channel => "channel",
            DenyReason::Database => "database",
        }
    }

    /// Which refusal is reported when every selector refuses.
    fn rank(self) -> u8 {
        match self {
            DenyReason::Database => 0,
            DenyReason::Command => 1,
            DenyReason::Key => 2,
            DenyReason::Channel => 4,
        }
    }
}

/// A denial: the reason and the argv index it concerns (0 for commands).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Denial {
    pub reason: DenyReason,
    pub index: usize,
}

impl Denial {
    fn outranks(self, other: Denial) -> bool {
        self.reason.rank() > other.reason.rank()
            || (self.reason == other.reason && self.index > other.index)
    }

    /// The text after `NOPERM ` at top level (Redis 7.2 / Valkey):
    /// `User <u> has no permissions to run the '<cmd>' command`, or the
    /// terse key/channel/database forms.
    pub fn noperm_message(&self, username: &[u8], cmd_fullname: &str) -> String {
        match self.reason {
            DenyReason::Command => command_message(username, cmd_fullname),
            DenyReason::Key => "No permissions to access a key".to_string(),
            DenyReason::Channel => "No permissions to access a channel".to_string(),
            DenyReason::Database => "No permissions to access database".to_string(),
        }
    }

    /// The verbose text `ACL DRYRUN` returns as a bulk string, naming the
    /// refused key, channel or database argument (lossy; see
    /// [`Denial::dryrun_reply`] for the bytes).
    pub fn dryrun_message(&self, username: &[u8], cmd_fullname: &str, argv: &[Bytes]) -> String {
        String::from_utf8_lossy(&self.dryrun_reply(username, cmd_fullname, argv)).into_owned()
    }

    /// [`Denial::dryrun_message`] byte for byte: Redis formats the user
    /// name and the argument with `%s`, so they are echoed raw.
    pub fn dryrun_reply(&self, username: &[u8], cmd_fullname: &str, argv: &[Bytes]) -> Vec<u8> {
        let arg = argv.get(self.index).map(|a| a.as_ref()).unwrap_or_default();
        let (before, after): (&[u8], &[u8]) = match self.reason {
            DenyReason::Command => {
                let mut text = Vec::new();
                push_command_message(&mut text, username, cmd_fullname);
                return text;
            }
            DenyReason::Key => (b" has no permissions to access the '", b"' key"),
            DenyReason::Channel => (b" has no permissions to access the '", b"' channel"),
            DenyReason::Database => (b" has no permissions to access database ", b""),
        };
        [b"User ", username, before, arg, after].concat()
    }

    /// The reason EXEC gives when a queued command is no longer allowed:
    /// `ACLs rules changed between the moment the transaction was
    /// accumulated and the EXEC call. This command is no longer allowed for
    /// the following reason: <this>`.
    pub fn exec_recheck_reason(&self) -> &'static str {
        match self.reason {
            DenyReason::Command => "no permission to execute the command or subcommand",
            DenyReason::Key => "no permission to touch the specified keys",
            DenyReason::Channel => "no permission to access one of the channels used as arguments",
            DenyReason::Database => "no permission",
        }
    }

    /// What the ACL log records as `object`: the command's full name for
    /// command denials, otherwise the refused argument.
    pub fn log_object<'a>(&self, cmd: &'a Command, argv: &'a [Bytes]) -> &'a [u8] {
        match self.reason {
            DenyReason::Command => cmd.fullname.as_bytes(),
            _ => argv.get(self.index).map(|a| a.as_ref()).unwrap_or_default(),
        }
    }

    /// The whole top-level error reply, `NOPERM ` and
    /// [`Denial::noperm_message`]. Key, channel and database refusals
    /// share one static text; a command refusal names the user and the
    /// command, so callers that refuse the same command repeatedly keep
    /// the reply (see [`NopermReplies`]).
    pub fn noperm_reply(&self, username: &[u8], cmd_fullname: &str) -> Bytes {
        match self.reason {
            DenyReason::Command => {
                let mut text = Vec::with_capacity(7 + 56 + username.len() + cmd_fullname.len());
                text.extend_from_slice(b"NOPERM ");
                push_command_message(&mut text, username, cmd_fullname);
                Bytes::from(text.into_boxed_slice())
            }
            DenyReason::Key => Bytes::from_static(b"NOPERM No permissions to access a key"),
            DenyReason::Channel => Bytes::from_static(b"NOPERM No permissions to access a channel"),
            DenyReason::Database => Bytes::from_static(b"NOPERM No permissions to access database"),
        }
    }
}

/// The last command-refusal reply a connection built, reused while the
/// same user is refused the same command again: a client retrying a
/// forbidden command then gets its error without any allocation.
#[derive(Debug, Default)]
pub struct NopermReplies {
    last: Option<(CommandId, Bytes, Bytes)>,
}

impl NopermReplies {
    /// [`Denial::noperm_reply`], from the cache when it is a repeat.
    pub fn reply(&mut self, denial: &Denial, user: &User, cmd: &Command) -> Bytes {
        if denial.reason != DenyReason::Command {
            return denial.noperm_reply(&user.name, &cmd.fullname);
        }
        if let Some((id, name, reply)) = &self.last {
            if *id == cmd.id && *name == user.name {
                return reply.clone();
            }
        }
        let reply = denial.noperm_reply(&user.name, &cmd.fullname);
        self.last = Some((cmd.id, user.name.clone(), reply.clone()));
        reply
    }
}

fn command_message(username: &[u8], cmd_fullname: &str) -> String {
    let mut text = Vec::with_capacity(56 + username.len() + cmd_fullname.len());
    push_command_message(&mut text, username, cmd_fullname);
    String::from_utf8_lossy(&text).into_owned()
}

/// Built by appending rather than with `format!`: refused commands pay
/// for this text. The user name is raw bytes, as Redis's `%s` prints it.
fn push_command_message(text: &mut Vec<u8>, username: &[u8], cmd_fullname: &str) {
    text.extend_from_slice(b"User ");
    text.extend_from_slice(username);
    text.extend_from_slice(b" has no permissions to run the '");
    text.extend_from_slice(cmd_fullname.as_bytes());
    text.extend_from_slice(b"' command");
}

/// The request being checked, with its keys and channels extracted lazily
/// and at most once for all selectors.
struct Request<'a> {
    cmd: &'a Command,
    argv: &'a [Bytes],
    current_db: i64,
    keys: Option<KeyRefs>,
    channels: Option<Vec<ChannelRef>>,
}

impl<'a> Request<'a> {
    fn new(cmd: &'a Command, argv: &'a [Bytes], current_db: i64) -> Request<'a> {
        Request {
            cmd,
            argv,
            current_db,
            keys: None,
            channels: None,
        }
    }

    fn keys(&mut self) -> &[KeyRef] {
        let (cmd, argv) = (self.cmd, self.argv);
        self.keys.get_or_insert_with(|| extract_keys(cmd, argv))
    }

    fn channels(&mut self) -> &[ChannelRef] {
        let (cmd, argv) = (self.cmd, self.argv);
        self.channels
            .get_or_insert_with(|| extract_channels(cmd, argv))
    }
}

/// The refusal of a command by its name (or first argument).
const COMMAND_DENIED: Denial = Denial {
    reason: DenyReason::Command,
    index: 0,
};

/// Checks a request against the selectors of a user (root first).
#[inline]
pub(crate) fn check_request(
    selectors: &[Selector],
    cmd: &Command,
    argv: &[Bytes],
    current_db: i64,
) -> Result<(), Denial> {
    // Most users have the root selector only: its answer is the answer.
    if let [root] = selectors {
        return root.check_alone(cmd, argv, current_db);
    }
    let mut request = Request::new(cmd, argv, current_db);
    let mut reported: Option<Denial> = None;
    for selector in selectors {
        match selector.check(&mut request) {
            Ok(()) => return Ok(()),
            Err(denial) => {
                if reported.is_none_or(|current| denial.outranks(current)) {
                    reported = Some(denial);
                }
            }
        }
    }
    Err(reported.unwrap_or(COMMAND_DENIED))
}

/// SORT BY/GET: some selector allows the whole request and has
/// unrestricted read access to keys.
pub(crate) fn may_access_any_key_for_reading(
    selectors: &[Selector],
    cmd: &Command,
    argv: &[Bytes],
) -> bool {
    let mut request = Request::new(cmd, argv, 0);
    let read = KeyPerms {
        read: true,
        write: false,
    };
    selectors
        .iter()
        .any(|s| s.check(&mut request).is_ok() && s.has_unrestricted_key_access(read))
}

/// The permissions a key spec asks for: ACCESS reads; INSERT, UPDATE and
/// DELETE write; a spec with none of them (EXISTS, TYPE...) needs no
/// particular permission, any matching pattern will do.
pub fn required_key_perms(flags: KeySpecFlags) -> KeyPerms {
    KeyPerms {
        read: flags.contains(KeySpecFlags::ACCESS),
        write: flags.intersects(KeySpecFlags::INSERT | KeySpecFlags::UPDATE | KeySpecFlags::DELETE),
    }
}

impl Selector {
    fn check(&self, request: &mut Request<'_>) -> Result<(), Denial> {
        if !self.allows_command(request.cmd, request.argv) {
            return Err(COMMAND_DENIED);
        }
        if let Some(index) = self.refused_database(request) {
            return Err(Denial {
                reason: DenyReason::Database,
                index,
            });
        }
        if !self.has_all_keys() {
            self.check_keys(request.argv, request.keys())?;
        }
        // `extract_channels` finds channels only in PUBSUB-flagged
        // commands: the flag spares every other request the call.
        if !self.has_all_channels() && request.cmd.flags.contains(CommandFlags::PUBSUB) {
            self.check_channels(request.argv, request.channels())?;
        }
        Ok(())
    }

    /// [`Selector::check`] for a user whose only selector this is, the
    /// common case: no other selector will ask for the keys, so they are
    /// extracted and walked without being kept. Same steps, same order.
    /// Measured, not assumed: going through `check` and a `Request`
    /// instead costs a user with key patterns about 90 instructions more
    /// per command (2531 against 2441, `ACL_INSTRUCTIONS=1
    /// scripts/bench.sh`).
    #[inline]
    fn check_alone(&self, cmd: &Command, argv: &[Bytes], current_db: i64) -> Result<(), Denial> {
        if *self.databases() != crate::selector::DatabasePermission::All {
            // Database rules (Valkey 9.1) may need the keys twice.
            let mut request = Request::new(cmd, argv, current_db);
            return self.check(&mut request);
        }
        if !self.allows_command(cmd, argv) {
            return Err(COMMAND_DENIED);
        }
        if !self.has_all_keys() {
            match single_fixed_key(cmd, argv) {
                Some(key) => self.check_keys(argv, &[key])?,
                None => self.check_keys(argv, &extract_keys(cmd, argv))?,
            }
        }
        if !self.has_all_channels() && cmd.flags.contains(CommandFlags::PUBSUB) {
            self.check_channels(argv, &extract_channels(cmd, argv))?;
        }
        Ok(())
    }

    /// Every key with the permission its key spec asks for. Always
    /// inlined: it is most of the check of a user with key patterns.
    #[inline(always)]
    fn check_keys(&self, argv: &[Bytes], keys: &[KeyRef]) -> Result<(), Denial> {
        let patterns = self.compiled();
        for key in keys {
            let name = argv.get(key.index).map(|k| k.as_ref()).unwrap_or_default();
            if !patterns.key_allowed(name, required_key_perms(key.flags)) {
                return Err(Denial {
                    reason: DenyReason::Key,
                    index: key.index,
                });
            }
        }
        Ok(())
    }

    fn check_channels(&self, argv: &[Bytes], channels: &[ChannelRef]) -> Result<(), Denial> {
        for channel in channels {
            let name = argv
                .get(channel.index)
                .map(|c| c.as_ref())
                .unwrap_or_default();
            let allowed = match channel.kind {
                ChannelKind::Channel => self.channel_allowed(name),
                ChannelKind::Pattern => self.channel_pattern_allowed(name),
            };
            if !allowed {
                return Err(Denial {
                    reason: DenyReason::Channel,
                    index: channel.index,
                });
            }
        }
        Ok(())
    }

    /// The command bit, NO_AUTH commands (always allowed), or a
    /// deprecated first-argument allowance.
    #[inline]
    fn allows_command(&self, cmd: &Command, argv: &[Bytes]) -> bool {
        self.has_all_commands()
            || cmd.flags.contains(CommandFlags::NO_AUTH)
            || self.allows_command_id(cmd.id)
            || self.allows_first_arg(cmd, argv)
    }

    /// The deprecated `+cmd|arg` allowances, out of the inlined path.
    fn allows_first_arg(&self, cmd: &Command, argv: &[Bytes]) -> bool {
        let first_arg_index = if cmd.parent.is_some() { 2 } else { 1 };
        match (self.first_args_of(cmd.id), argv.get(first_arg_index)) {
            (Some(allowed), Some(arg)) => {
                argv.len() >= 2 && allowed.iter().any(|a| a.eq_ignore_ascii_case(arg))
            }
            _ => false,
        }
    }

    /// Valkey 9.1: the argument index of the first database this request
    /// touches that the selector does not allow (0 for the current
    /// database or "every database").
    fn refused_database(&self, request: &mut Request<'_>) -> Option<usize> {
        let databases = self.databases();
        if *databases == crate::selector::DatabasePermission::All {
            return None;
        }
        let argv = request.argv;
        let named_db = |index: usize| -> Option<usize> {
            let id = argv
                .get(index)
                .and_then(|a| crate::rules::parse_integer(a))?;
            (!databases.allows(id)).then_some(index)
        };
        match request.cmd.fullname.as_str() {
            "select" => named_db(1),
            "swapdb" => named_db(1).or_else(|| named_db(2)),
            "move" => (!databases.allows(request.current_db))
                .then_some(0)
                .or_else(|| named_db(2)),
            "flushall" => Some(0),
            "copy" => {
                let db_option = argv
                    .iter()
                    .skip(3)
                    .position(|a| a.eq_ignore_ascii_case(b"db"))
                    .map(|p| p + 4);
                (!databases.allows(request.current_db))
                    .then_some(0)
                    .or_else(|| db_option.and_then(named_db))
            }
            _ if touches_keyspace(request) => (!databases.allows(request.current_db)).then_some(0),
            _ => None,
        }
    }
}

/// Commands that read or write the selected database: those with keys and
/// those in the keyspace, read or write categories (DBSIZE, SCAN, FLUSHDB).
fn touches_keyspace(request: &mut Request<'_>) -> bool {
    let categories = request.cmd.categories;
    categories.contains(Category::Keyspace)
        || categories.contains(Category::Read)
        || categories.contains(Category::Write)
        || !request.keys().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_perms_from_spec_flags() {
        let perms = |f| required_key_perms(f);
        assert_eq!(
            perms(KeySpecFlags::RO | KeySpecFlags::ACCESS),
            KeyPerms {
                read: true,
                write: false
            }
        );
        assert_eq!(
            perms(KeySpecFlags::OW | KeySpecFlags::UPDATE),
            KeyPerms {
                read: false,
                write: true
            }
        );
        assert_eq!(
            perms(KeySpecFlags::RW | KeySpecFlags::ACCESS | KeySpecFlags::DELETE),
            KeyPerms::READ_WRITE
        );
        assert_eq!(
            perms(KeySpecFlags::RM | KeySpecFlags::DELETE),
            KeyPerms {
                read: false,
                write: true
            }
        );
        assert_eq!(
            perms(KeySpecFlags::RW | KeySpecFlags::INSERT),
            KeyPerms {
                read: false,
                write: true
            }
        );
        assert_eq!(perms(KeySpecFlags::RO), KeyPerms::NONE);
    }

    #[test]
    fn reported_denial_prefers_higher_reasons_then_larger_indexes() {
        let d = |reason, index| Denial { reason, index };
        assert!(d(DenyReason::Key, 1).outranks(d(DenyReason::Command, 0)));
        assert!(d(DenyReason::Channel, 1).outranks(d(DenyReason::Key, 5)));
        assert!(d(DenyReason::Key, 3).outranks(d(DenyReason::Key, 2)));
        assert!(!d(DenyReason::Key, 2).outranks(d(DenyReason::Key, 2)));
        assert!(d(DenyReason::Command, 0).outranks(d(DenyReason::Database, 0)));
        assert!(!d(DenyReason::Database, 1).outranks(d(DenyReason::Command, 0)));
    }

    #[test]
    fn noperm_replies_are_the_messages_and_repeats_reuse_theirs() {
        let table = moat_commands::CommandTable::global();
        let get = match table.resolve(&[Bytes::from_static(b"GET")]) {
            moat_commands::Resolved::Command(cmd) => cmd,
            _ => unreachable!("GET exists"),
        };
        let set = match table.resolve(&[Bytes::from_static(b"SET")]) {
            moat_commands::Resolved::Command(cmd) => cmd,
            _ => unreachable!("SET exists"),
        };
        let user = |name: &[u8]| User::new(name, crate::user::PubsubDefault::ResetChannels);
        let (u1, u2) = (user(b"u1"), user(b"u\xff2"));
        let d = |reason| Denial { reason, index: 1 };
        for reason in [
            DenyReason::Command,
            DenyReason::Key,
            DenyReason::Channel,
            DenyReason::Database,
        ] {
            let expected = format!("NOPERM {}", d(reason).noperm_message(u1.name(), "get"));
            assert_eq!(
                d(reason).noperm_reply(u1.name(), "get"),
                expected.as_bytes()
            );
        }
        let mut replies = NopermReplies::default();
        let first = replies.reply(&d(DenyReason::Command), &u1, get);
        assert_eq!(
            first,
            &b"NOPERM User u1 has no permissions to run the 'get' command"[..]
        );
        let again = replies.reply(&d(DenyReason::Command), &u1, get);
        assert_eq!(again.as_ptr(), first.as_ptr(), "a repeat reuses the reply");
        let other_user = replies.reply(&d(DenyReason::Command), &u2, get);
        assert_eq!(
            other_user,
            // Redis prints the name with `%s`: its bytes go out raw.
            &b"NOPERM User u\xff2 has no permissions to run the 'get' command"[..]
        );
        let other_command = replies.reply(&d(DenyReason::Command), &u2, set);
        assert_eq!(
            other_command,
            &b"NOPERM User u\xff2 has no permissions to run the 'set' command"[..]
        );
        assert_eq!(
            replies.reply(&d(DenyReason::Key), &u2, set),
            &b"NOPERM No permissions to access a key"[..]
        );
    }

    #[test]
    fn messages() {
        let argv: Vec<Bytes> = ["GET", "k"]
            .iter()
            .map(|s| Bytes::from_static(s.as_bytes()))
            .collect();
        let cmd = Denial {
            reason: DenyReason::Command,
            index: 0,
        };
        assert_eq!(
            cmd.noperm_message(b"u1", "client|kill"),
            "User u1 has no permissions to run the 'client|kill' command"
        );
        assert_eq!(
            cmd.dryrun_message(b"u1", "get", &argv),
            "User u1 has no permissions to run the 'get' command"
        );
        let key = Denial {
            reason: DenyReason::Key,
            index: 1,
        };
        assert_eq!(
            key.noperm_message(b"u1", "get"),
            "No permissions to access a key"
        );
        assert_eq!(
            key.dryrun_message(b"u1", "get", &argv),
            "User u1 has no permissions to access the 'k' key"
        );
        let channel = Denial {
            reason: DenyReason::Channel,
            index: 1,
        };
        assert_eq!(
            channel.noperm_message(b"u1", "publish"),
            "No permissions to access a channel"
        );
        assert_eq!(
            channel.dryrun_message(b"u1", "publish", &argv),
            "User u1 has no permissions to access the 'k' channel"
        );
        let db = Denial {
            reason: DenyReason::Database,
            index: 0,
        };
        assert_eq!(
            db.noperm_message(b"x", "get"),
            "No permissions to access database"
        );
        assert_eq!(
            db.dryrun_message(b"x", "get", &argv),
            "User x has no permissions to access database GET"
        );
        assert_eq!(
            key.exec_recheck_reason(),
            "no permission to touch the specified keys"
        );
        assert_eq!(DenyReason::Database.log_reason(), "database");
    }

    #[test]
    fn dryrun_replies_echo_names_and_arguments_raw() {
        let argv = [Bytes::from_static(b"GET"), Bytes::from_static(b"k\n\xff")];
        let key = Denial {
            reason: DenyReason::Key,
            index: 1,
        };
        assert_eq!(
            key.dryrun_reply(b"u\xff", "get", &argv),
            &b"User u\xff has no permissions to access the 'k\n\xff' key"[..]
        );
        let command = Denial {
            reason: DenyReason::Command,
            index: 0,
        };
        assert_eq!(
            command.dryrun_reply(b"u\xff", "get", &argv),
            &b"User u\xff has no permissions to run the 'get' command"[..]
        );
    }
}
