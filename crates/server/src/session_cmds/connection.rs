//! PING, ECHO, QUIT, RESET, AUTH, HELLO, SELECT's siblings that need the session.

use super::REDIS_COMPAT_VERSION;
use crate::dispatch::{KeyspaceLock, SessionHandler};
use crate::session::{ReplyMode, Session};
use bytes::Bytes;
use moat_resp::{Frame, Protocol};

pub const HANDLERS: &[(&str, SessionHandler)] = &[
    ("ping", ping),
    ("echo", echo),
    ("quit", quit),
    ("reset", reset),
    ("auth", auth),
    ("hello", hello),
];

fn ping(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    if argv.len() > 2 {
        return crate::dispatch::arity_error("ping");
    }
    let subscribed = session.subscriptions.total() > 0;
    if subscribed && session.client.protocol == Protocol::Resp2 {
        // In RESP2 subscribe mode PING answers with a pub/sub-shaped array.
        let payload = argv.get(1).cloned().unwrap_or_default();
        return Frame::Array(vec![
            Frame::bulk(Bytes::from_static(b"pong")),
            Frame::Bulk(payload),
        ]);
    }
    match argv.get(1) {
        Some(message) => Frame::Bulk(message.clone()),
        None => Frame::simple("PONG"),
    }
}

fn echo(_: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    Frame::Bulk(argv[1].clone())
}

fn quit(session: &mut Session, _: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    session.close_after_reply = true;
    Frame::ok()
}

fn reset(session: &mut Session, ks: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    // Redis's clearClientConnectionState: out of MULTI (and WATCH), out
    // of MONITOR, out of every subscription, silently.
    session.end_transaction(ks);
    session.cancel_block(ks);
    session.disable_tracking(ks);
    session.stop_monitoring();
    session.drop_subscriptions();
    // What was delivered while subscribed (or monitoring) precedes +RESET.
    session.drain_mailbox_into_deferred();
    session.client.db = 0;
    session.client.name = None;
    session.set_protocol(Protocol::Resp2);
    session.reply_mode = ReplyMode::On;
    let default_user = session.shared.acl.read().registry.default_user().clone();
    let authenticated = default_user.is_enabled() && default_user.is_nopass();
    session.login(default_user);
    session.authenticated = authenticated;
    {
        let mut info = session.info.lock();
        info.name = None;
        info.db = 0;
        info.multi = -1;
        info.no_evict = false;
        info.no_touch = false;
    }
    Frame::simple("RESET")
}

/// Checks `username`/`password`; on success switches the session's user.
/// Failures are indistinguishable to the client and logged as Redis logs them.
fn authenticate(
    session: &mut Session,
    ks: &mut KeyspaceLock<'_>,
    typed_command: &[u8],
    username: &[u8],
    password: &[u8],
) -> bool {
    let user = session.shared.acl.read().registry.get(username).cloned();
    match user {
        Some(user) if user.authenticate(password) => {
            session.login(user);
            true
        }
        _ => {
            let dirty_cas = session.dirty_cas(ks);
            session.record_auth_failure(typed_command, username, dirty_cas);
            false
        }
    }
}

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

fn auth(session: &mut Session, ks: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    let (username, password): (&[u8], &[u8]) = match argv.len() {
        2 => {
            let default_user = session.shared.acl.read().registry.default_user().clone();
            if default_user.is_nopass() {
                return Frame::error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
            }
            (b"default", &argv[1])
        }
        3 => (&argv[1], &argv[2]),
        _ => return Frame::error("ERR syntax error"),
    };
    if authenticate(session, ks, &argv[0], username, password) {
        Frame::ok()
    } else {
        Frame::error(WRONGPASS)
    }
}

fn hello(session: &mut Session, ks: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    let mut protocol = None;
    if argv.len() >= 2 {
        let version = std::str::from_utf8(&argv[1])
            .ok()
            .and_then(|s| s.parse::<i64>().ok());
        match version {
            None => return Frame::error("ERR Protocol version is not an integer or out of range"),
            Some(2) => protocol = Some(Protocol::Resp2),
            Some(3) => protocol = Some(Protocol::Resp3),
            Some(_) => return Frame::error("NOPROTO unsupported protocol version"),
        }
    }
    // Options repeat; the last AUTH and the last SETNAME win (7.2).
    let mut credentials: Option<(Bytes, Bytes)> = None;
    let mut name: Option<Bytes> = None;
    let mut i = 2;
    while i < argv.len() {
        let more = argv.len() - i - 1;
        if argv[i].eq_ignore_ascii_case(b"auth") && more >= 2 {
            credentials = Some((argv[i + 1].clone(), argv[i + 2].clone()));
            i += 3;
        } else if argv[i].eq_ignore_ascii_case(b"setname") && more >= 1 {
            if !super::client::valid_client_name(&argv[i + 1]) {
                return Frame::error(
                    "ERR Client names cannot contain spaces, newlines or special characters.",
                );
            }
            name = Some(argv[i + 1].clone());
            i += 2;
        } else {
            return super::quoting_error("ERR Syntax error in HELLO option '{}'", &[&argv[i]]);
        }
    }
    if let Some((username, password)) = credentials {
        if !authenticate(session, ks, &argv[0], &username, &password) {
            return Frame::error(WRONGPASS);
        }
    }
    if session.auth_required() {
        return Frame::error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
    }
    if let Some(name) = name {
        super::client::set_name(session, name);
    }
    if let Some(protocol) = protocol {
        session.set_protocol(protocol);
    }
    let proto = if session.client.protocol == Protocol::Resp3 {
        3
    } else {
        2
    };
    let field = |k: &'static str| Frame::Bulk(Bytes::from_static(k.as_bytes()));
    Frame::Map(vec![
        (field("server"), field("redis")),
        (field("version"), field(REDIS_COMPAT_VERSION)),
        (field("proto"), Frame::Integer(proto)),
        (field("id"), Frame::Integer(session.client.id as i64)),
        (field("mode"), field("standalone")),
        (field("role"), field("master")),
        (field("modules"), Frame::Array(vec![])),
    ])
}
