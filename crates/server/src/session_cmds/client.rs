//! CLIENT and its subcommands.

use super::{help_reply, quoting_error, subcommand_syntax_error};
use crate::blocking::Unblock;
use crate::client_line::ClientLine;
use crate::clients::ClientInfo;
use crate::dispatch::{KeyspaceLock, SessionHandler};
use crate::session::{ReplyMode, Session};
use crate::shared::now_ms;
use bytes::Bytes;
use moat_resp::Frame;

/// One `CLIENT KILL` filter: whether a client matches it.
type ClientFilter = Box<dyn Fn(&ClientInfo) -> bool>;

pub const HANDLERS: &[(&str, SessionHandler)] = &[
    ("client|id", id),
    ("client|setname", setname),
    ("client|getname", getname),
    ("client|list", list),
    ("client|info", info),
    ("client|kill", kill),
    ("client|unblock", unblock),
    ("client|reply", reply),
    ("client|no-evict", no_evict),
    ("client|no-touch", no_touch),
    ("client|setinfo", setinfo),
    ("client|pause", pause),
    ("client|unpause", unpause),
    ("client|help", help),
];

/// Client names are printable ASCII without spaces (Redis's rule).
pub fn valid_client_name(name: &[u8]) -> bool {
    name.iter().all(|&b| (b'!'..=b'~').contains(&b))
}

/// Sets (or clears, with an empty name) the connection's name.
pub fn set_name(session: &mut Session, name: Bytes) {
    let name = if name.is_empty() { None } else { Some(name) };
    session.client.name = name.clone();
    session.info.lock().name = name;
}

fn id(session: &mut Session, _: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    Frame::Integer(session.client.id as i64)
}

fn setname(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    if !valid_client_name(&argv[2]) {
        return Frame::error(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        );
    }
    set_name(session, argv[2].clone());
    Frame::ok()
}

fn getname(session: &mut Session, _: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    match &session.client.name {
        Some(name) => Frame::Bulk(name.clone()),
        None => Frame::Null,
    }
}

fn setinfo(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    let (option, value) = (&argv[2], &argv[3]);
    // Redis compares the option with `strcasecmp`, so a NUL ends it.
    let spelled = moat_resp::c_str(option);
    let is_name = if spelled.eq_ignore_ascii_case(b"lib-name") {
        true
    } else if spelled.eq_ignore_ascii_case(b"lib-ver") {
        false
    } else {
        return quoting_error("ERR Unrecognized option '{}'", &[option]);
    };
    if !value.iter().all(|&b| (b'!'..=b'~').contains(&b)) {
        // The option as the client spelled it, as Redis 7.2 echoes it.
        return quoting_error(
            "ERR {} cannot contain spaces, newlines or special characters.",
            &[option],
        );
    }
    let value = (!value.is_empty()).then(|| value.clone());
    let mut info = session.info.lock();
    if is_name {
        info.lib_name = value;
    } else {
        info.lib_ver = value;
    }
    Frame::ok()
}

/// Redis's `getClientTypeByName` (a `strcasecmp`, so a NUL ends `kind`).
fn client_type_matches(kind: &[u8], info: &ClientInfo) -> Option<bool> {
    let kind = moat_resp::c_str(kind);
    let pubsub = info.subscriptions + info.pattern_subscriptions + info.shard_subscriptions > 0;
    if kind.eq_ignore_ascii_case(b"normal") {
        Some(!pubsub)
    } else if kind.eq_ignore_ascii_case(b"pubsub") {
        Some(pubsub)
    } else if kind.eq_ignore_ascii_case(b"master")
        || kind.eq_ignore_ascii_case(b"replica")
        || kind.eq_ignore_ascii_case(b"slave")
    {
        Some(false)
    } else {
        None
    }
}

/// Which clients CLIENT LIST shows.
enum ListSelection {
    All,
    Type(Bytes),
    /// Looked up one by one in argument order, as Redis does: an id with no
    /// client (0 and negative ones included) adds nothing, a repeated one
    /// is listed again.
    Ids(Vec<i64>),
}

/// Redis accepts exactly `CLIENT LIST`, `CLIENT LIST TYPE t` or
/// `CLIENT LIST ID id...`; anything else is a syntax error.
fn list_selection(session: &Session, argv: &[Bytes]) -> Result<ListSelection, Frame> {
    let Some(option) = argv.get(2) else {
        return Ok(ListSelection::All);
    };
    if argv.len() == 4 && option.eq_ignore_ascii_case(b"type") {
        let probe = session.info.lock().clone();
        if client_type_matches(&argv[3], &probe).is_none() {
            return Err(quoting_error("ERR Unknown client type '{}'", &[&argv[3]]));
        }
        return Ok(ListSelection::Type(argv[3].clone()));
    }
    if argv.len() > 3 && option.eq_ignore_ascii_case(b"id") {
        return argv[3..]
            .iter()
            .map(|arg| moat_resp::string2ll(arg).ok_or(()))
            .collect::<Result<Vec<_>, ()>>()
            .map(ListSelection::Ids)
            .map_err(|()| Frame::error("ERR Invalid client ID"));
    }
    Err(Frame::error("ERR syntax error"))
}

fn list(session: &mut Session, ks: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    let selection = match list_selection(session, argv) {
        Ok(selection) => selection,
        Err(error) => return error,
    };
    let clients = match &selection {
        ListSelection::Ids(ids) => ids
            .iter()
            .filter_map(|&id| u64::try_from(id).ok())
            .filter_map(|id| session.shared.clients.get(id))
            .collect(),
        ListSelection::All | ListSelection::Type(_) => session.shared.clients.snapshot(),
    };
    let now = now_ms();
    let mut text = String::new();
    // The keyspace before any client's info, the order commands take them.
    let keyspace = ks.get();
    for handle in clients {
        let info = handle.info.lock();
        if let ListSelection::Type(kind) = &selection {
            if client_type_matches(kind, &info) != Some(true) {
                continue;
            }
        }
        let line = ClientLine::capture(&info, handle.mailbox.pending(), now)
            .with_dirty_cas(keyspace.watch.is_dirty(info.id));
        line.write(&mut text);
        text.push('\n');
    }
    Frame::Verbatim {
        format: *b"txt",
        text: Bytes::from(text),
    }
}

fn info(session: &mut Session, ks: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    let dirty = session.dirty_cas(ks);
    let mut line = session.client_info_line_with(dirty);
    line.push('\n');
    Frame::Verbatim {
        format: *b"txt",
        text: Bytes::from(line),
    }
}

/// CLIENT KILL: the old `ip:port` form, or filters.
/// CLIENT UNBLOCK id [TIMEOUT|ERROR]: the reason is checked before the
/// id, as in Redis; the blocked client's own task writes its reply.
fn unblock(session: &mut Session, ks: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    if argv.len() > 4 {
        return subcommand_syntax_error("CLIENT", &argv[1]);
    }
    let how = match argv.get(3) {
        None => Unblock::Timeout,
        Some(reason) if reason.eq_ignore_ascii_case(b"timeout") => Unblock::Timeout,
        Some(reason) if reason.eq_ignore_ascii_case(b"error") => Unblock::Error,
        Some(_) => return Frame::error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"),
    };
    let Ok(id) = crate::cmd::args::parse_i64(&argv[2]) else {
        return Frame::error("ERR value is not an integer or out of range");
    };
    let unblocked = u64::try_from(id)
        .is_ok_and(|id| id != session.client.id && ks.get().blocking.request_unblock(id, how));
    Frame::Integer(i64::from(unblocked))
}

fn kill(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    let me = session.client.id;
    if argv.len() == 3 {
        // Redis compares addresses with `strcmp`, so a NUL ends them.
        let addr = String::from_utf8_lossy(moat_resp::c_str(&argv[2])).into_owned();
        // The caller itself is not killed but closed after its reply (and
        // found again by a second KILL in the same EXEC, as in Redis).
        let mut killed_me = false;
        let killed = session.shared.clients.kill_where(|info| {
            let selected = info.addr.to_string() == addr;
            if selected && info.id == me {
                killed_me = true;
            }
            selected && info.id != me
        });
        if killed_me {
            session.close_after_reply = true;
        }
        return if killed == 0 && !killed_me {
            Frame::error("ERR No such client")
        } else {
            Frame::ok()
        };
    }
    if !argv.len().is_multiple_of(2) {
        return Frame::error("ERR syntax error");
    }
    let mut filters: Vec<ClientFilter> = Vec::new();
    let mut skip_me = true;
    for pair in argv[2..].chunks(2) {
        let (option, value) = (&pair[0], pair[1].clone());
        if option.eq_ignore_ascii_case(b"id") {
            match std::str::from_utf8(&value)
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .filter(|&id| id > 0)
            {
                Some(id) => filters.push(Box::new(move |info| info.id == id)),
                None => return Frame::error("ERR client-id should be greater than 0"),
            }
        } else if option.eq_ignore_ascii_case(b"type") {
            let probe = session.info.lock().clone();
            if client_type_matches(&value, &probe).is_none() {
                return quoting_error("ERR Unknown client type '{}'", &[&value]);
            }
            filters.push(Box::new(move |info| {
                client_type_matches(&value, info) == Some(true)
            }));
        } else if option.eq_ignore_ascii_case(b"user") {
            if session.shared.acl.read().registry.get(&value).is_none() {
                return quoting_error("ERR No such user '{}'", &[&value]);
            }
            filters.push(Box::new(move |info| info.user == value));
        } else if option.eq_ignore_ascii_case(b"addr") {
            let addr = String::from_utf8_lossy(moat_resp::c_str(&value)).into_owned();
            filters.push(Box::new(move |info| info.addr.to_string() == addr));
        } else if option.eq_ignore_ascii_case(b"laddr") {
            let addr = String::from_utf8_lossy(moat_resp::c_str(&value)).into_owned();
            filters.push(Box::new(move |info| info.laddr.to_string() == addr));
        } else if option.eq_ignore_ascii_case(b"skipme") {
            if value.eq_ignore_ascii_case(b"yes") {
                skip_me = true;
            } else if value.eq_ignore_ascii_case(b"no") {
                skip_me = false;
            } else {
                return Frame::error("ERR syntax error");
            }
        } else {
            return Frame::error("ERR syntax error");
        }
    }
    let mut killed_me = false;
    let count = session.shared.clients.kill_where(|info| {
        let selected = filters.iter().all(|f| f(info)) && !(skip_me && info.id == me);
        if selected && info.id == me {
            killed_me = true;
        }
        selected && info.id != me
    });
    if killed_me {
        // The reply still goes out; the connection closes after it.
        session.close_after_reply = true;
    }
    Frame::Integer((count + usize::from(killed_me)) as i64)
}

fn reply(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    let mode = &argv[2];
    if mode.eq_ignore_ascii_case(b"on") {
        session.reply_mode = ReplyMode::On;
        Frame::ok()
    } else if mode.eq_ignore_ascii_case(b"off") {
        session.reply_mode = ReplyMode::Off;
        Frame::ok()
    } else if mode.eq_ignore_ascii_case(b"skip") {
        // Only OFF ignores it: a SKIP while the previous SKIP is skipping
        // this very command skips the next one again, as in Redis.
        if session.reply_mode != ReplyMode::Off {
            session.reply_mode = ReplyMode::SkipNext;
        }
        // Redis does not answer SKIP itself.
        session.no_reply = true;
        Frame::ok()
    } else {
        Frame::error("ERR syntax error")
    }
}

fn on_off(arg: &[u8]) -> Option<bool> {
    if arg.eq_ignore_ascii_case(b"on") {
        Some(true)
    } else if arg.eq_ignore_ascii_case(b"off") {
        Some(false)
    } else {
        None
    }
}

fn no_evict(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    match on_off(&argv[2]) {
        Some(on) => {
            session.info.lock().no_evict = on;
            Frame::ok()
        }
        None => Frame::error("ERR syntax error"),
    }
}

fn no_touch(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    match on_off(&argv[2]) {
        Some(on) => {
            session.info.lock().no_touch = on;
            Frame::ok()
        }
        None => Frame::error("ERR syntax error"),
    }
}

fn pause(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    if argv.len() > 4 {
        return subcommand_syntax_error("CLIENT", &argv[1]);
    }
    // The mode is checked before the timeout, as in Redis.
    let write_only = match argv.get(3) {
        None => false,
        Some(mode) if mode.eq_ignore_ascii_case(b"write") => true,
        Some(mode) if mode.eq_ignore_ascii_case(b"all") => false,
        Some(_) => return Frame::error("ERR CLIENT PAUSE mode must be WRITE or ALL"),
    };
    // Redis's getTimeoutFromObjectOrReply: an integer, then not negative.
    let Some(timeout) = moat_resp::string2ll(&argv[2]) else {
        return Frame::error("ERR timeout is not an integer or out of range");
    };
    if timeout < 0 {
        return Frame::error("ERR timeout is negative");
    }
    if timeout > 0 && timeout > i64::MAX - crate::shared::now_ms() {
        return Frame::error("ERR timeout is out of range");
    }
    session
        .shared
        .pause
        .pause(now_ms().saturating_add(timeout), write_only);
    Frame::ok()
}

fn unpause(session: &mut Session, _: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    session.shared.pause.unpause();
    Frame::ok()
}

fn help(_: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    if argv.len() != 2 {
        return subcommand_syntax_error("CLIENT", &argv[1]);
    }
    help_reply(CLIENT_HELP)
}

const CLIENT_HELP: &[&str] = &[
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "SETINFO <option> <value>",
    "    Set client meta attr. Options are:",
    "    * LIB-NAME: the client lib name.",
    "    * LIB-VER: the client lib version.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "NO-TOUCH (ON|OFF)",
    "    Will not touch LRU/LFU stats when this mode is on.",
    "HELP",
    "    Print this help.",
];
