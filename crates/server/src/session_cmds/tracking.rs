//! CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO: Redis's
//! `clientCommand` tracking branches, checks in its order, errors in its
//! words.

use crate::dispatch::{KeyspaceLock, SessionHandler};
use crate::session::Session;
use crate::tracking::Options;
use bytes::Bytes;
use moat_resp::Frame;
use std::sync::atomic::Ordering::Relaxed;

pub const HANDLERS: &[(&str, SessionHandler)] = &[
    ("client|tracking", tracking),
    ("client|caching", caching),
    ("client|getredir", getredir),
    ("client|trackinginfo", trackinginfo),
];

const SWITCH_BCAST: &str = "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.";
const SWITCH_OPT: &str = "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.";

/// `CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST] [PREFIX p]... [OPTIN]
/// [OPTOUT] [NOLOOP]`.
fn tracking(session: &mut Session, ks: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    let mut redirect: i64 = 0;
    let mut redirect_to = None;
    let mut options = Options::default();
    let mut prefixes: Vec<Bytes> = Vec::new();
    let mut j = 3;
    while j < argv.len() {
        let more = j + 1 < argv.len();
        let option = &argv[j];
        if option.eq_ignore_ascii_case(b"redirect") && more {
            j += 1;
            if redirect != 0 {
                return Frame::error("ERR A client can only redirect to a single other client");
            }
            let Some(id) = moat_resp::string2ll(&argv[j]) else {
                return Frame::error("ERR value is not an integer or out of range");
            };
            redirect = id;
            // The target must exist now, even if it may leave later.
            let target = u64::try_from(id)
                .ok()
                .and_then(|id| session.shared.clients.get(id))
                // Killed or quitting: gone, though its task has not ended.
                .filter(|target| !target.mailbox.is_closed());
            match target {
                Some(target) => redirect_to = Some(target.mailbox),
                None => {
                    return Frame::error("ERR The client ID you want redirect to does not exist")
                }
            }
        } else if option.eq_ignore_ascii_case(b"bcast") {
            options.bcast = true;
        } else if option.eq_ignore_ascii_case(b"optin") {
            options.optin = true;
        } else if option.eq_ignore_ascii_case(b"optout") {
            options.optout = true;
        } else if option.eq_ignore_ascii_case(b"noloop") {
            options.noloop = true;
        } else if option.eq_ignore_ascii_case(b"prefix") && more {
            j += 1;
            prefixes.push(argv[j].clone());
        } else {
            return Frame::error("ERR syntax error");
        }
        j += 1;
    }
    let mode = &argv[2];
    if mode.eq_ignore_ascii_case(b"off") {
        session.disable_tracking(ks);
        return Frame::ok();
    }
    if !mode.eq_ignore_ascii_case(b"on") {
        return Frame::error("ERR syntax error");
    }
    let current = session.tracking;
    if !options.bcast && !prefixes.is_empty() {
        return Frame::error("ERR PREFIX option requires BCAST mode to be enabled");
    }
    if current.on && current.options.bcast != options.bcast {
        return Frame::error(SWITCH_BCAST);
    }
    if options.bcast && (options.optin || options.optout) {
        return Frame::error("ERR OPTIN and OPTOUT are not compatible with BCAST");
    }
    if options.optin && options.optout {
        return Frame::error("ERR You can't specify both OPTIN mode and OPTOUT mode");
    }
    if (options.optin && current.on && current.options.optout)
        || (options.optout && current.on && current.options.optin)
    {
        return Frame::error(SWITCH_OPT);
    }
    let keyspace = ks.get();
    if options.bcast {
        let existing: Vec<Bytes> = keyspace
            .tracking
            .prefixes_of(session.client.id)
            .cloned()
            .collect();
        match prefix_collision(&existing, &prefixes) {
            Collision::None => {}
            Collision::Refused(error) => return Frame::Error(error),
            Collision::Reported(error) => {
                // Redis's checkPrefixCollisionsOrReply reports a clash
                // between later given prefixes but lets the command go
                // on: the error comes first, then the +OK.
                session.write_error_before_reply(error);
            }
        }
    }
    keyspace.tracking.enable(
        session.client.id,
        &session.mailbox,
        &session.info,
        redirect as u64,
        redirect_to,
        options,
        &prefixes,
    );
    session
        .shared
        .tracking_clients
        .store(keyspace.tracking.client_count(), Relaxed);
    session.tracking.on = true;
    session.tracking.options = options;
    Frame::ok()
}

enum Collision {
    None,
    /// The command fails with this error.
    Refused(Bytes),
    /// This error is sent, and the command still succeeds.
    Reported(Bytes),
}

/// `Prefix '<a>' overlaps with <what> '<b>'. ...` as Redis's
/// `addReplyErrorFormat` writes it: prefixes printed with `%s` (up to a
/// NUL byte), newlines made spaces.
fn overlap_error(prefix: &[u8], what: &str, other: &[u8]) -> Bytes {
    let mut text = [
        &b"ERR Prefix '"[..],
        moat_resp::c_str(prefix),
        format!("' overlaps with {what} '").as_bytes(),
        moat_resp::c_str(other),
        b"'. Prefixes for a single client must not overlap.",
    ]
    .concat();
    moat_resp::map_newlines(&mut text);
    Bytes::from(text)
}

/// Redis's `checkPrefixCollisionsOrReply`: two prefixes collide when one
/// starts the other. Each new prefix is checked against the client's
/// prefixes, then against the new ones after it; a clash among the new
/// ones found past the first is, as in Redis, reported without failing.
fn prefix_collision(existing: &[Bytes], new: &[Bytes]) -> Collision {
    let overlap = |a: &[u8], b: &[u8]| {
        let n = a.len().min(b.len());
        a[..n] == b[..n]
    };
    for (i, prefix) in new.iter().enumerate() {
        if let Some(old) = existing.iter().find(|old| overlap(old, prefix)) {
            return Collision::Refused(overlap_error(prefix, "an existing prefix", old));
        }
        if let Some(other) = new[i + 1..].iter().find(|other| overlap(prefix, other)) {
            let error = overlap_error(prefix, "another provided prefix", other);
            return if i == 0 {
                Collision::Refused(error)
            } else {
                Collision::Reported(error)
            };
        }
    }
    Collision::None
}

/// `CLIENT CACHING YES|NO`: the next command's reads are (OPTIN) or are
/// not (OPTOUT) remembered.
fn caching(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    let state = session.tracking;
    if !state.on {
        return Frame::error("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled");
    }
    let option = &argv[2];
    if option.eq_ignore_ascii_case(b"yes") {
        if !state.options.optin {
            return Frame::error(
                "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
            );
        }
    } else if option.eq_ignore_ascii_case(b"no") {
        if !state.options.optout {
            return Frame::error(
                "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
            );
        }
    } else {
        return Frame::error("ERR syntax error");
    }
    session.tracking.caching = true;
    Frame::ok()
}

fn getredir(session: &mut Session, ks: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    if !session.tracking.on {
        return Frame::Integer(-1);
    }
    let info = ks.get().tracking.info(session.client.id);
    Frame::Integer(info.map_or(-1, |i| i.redirect as i64))
}

fn trackinginfo(session: &mut Session, ks: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    let field = |k: &'static str| Frame::Bulk(Bytes::from_static(k.as_bytes()));
    let info = if session.tracking.on {
        ks.get().tracking.info(session.client.id)
    } else {
        None
    };
    let mut flags = Vec::new();
    let (redirect, prefixes) = match info {
        None => {
            flags.push(field("off"));
            (-1, Vec::new())
        }
        Some(info) => {
            let caching = session.tracking.caching;
            flags.push(field("on"));
            let o = info.options;
            for (set, name) in [
                (o.bcast, "bcast"),
                (o.optin, "optin"),
                (o.optin && caching, "caching-yes"),
                (o.optout, "optout"),
                (o.optout && caching, "caching-no"),
                (o.noloop, "noloop"),
                (info.broken_redirect, "broken_redirect"),
            ] {
                if set {
                    flags.push(field(name));
                }
            }
            (
                info.redirect as i64,
                info.prefixes.into_iter().map(Frame::Bulk).collect(),
            )
        }
    };
    Frame::Map(vec![
        (field("flags"), Frame::Set(flags)),
        (field("redirect"), Frame::Integer(redirect)),
        (field("prefixes"), Frame::Array(prefixes)),
    ])
}
