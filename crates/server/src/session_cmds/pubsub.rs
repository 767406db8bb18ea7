//! SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE,
//! SUNSUBSCRIBE, PUBLISH, SPUBLISH, PUBSUB.
//!
//! Channel permissions were checked by dispatch (PUBLISH and SUBSCRIBE by
//! glob, PSUBSCRIBE literally, the UNSUBSCRIBE family never). A
//! (un)subscribe command answers one confirmation per channel; they go to
//! the session's deferred output one by one, each written at the moment
//! its subscription changed, so that a message can never be seen before
//! the confirmation of its subscription nor after the confirmation of its
//! unsubscription. Inside EXEC the confirmations become the command's
//! element of EXEC's reply instead (several of them spliced one after the
//! other, as Redis's byte stream has them).

use super::{help_reply, subcommand_syntax_error};
use crate::dispatch::{KeyspaceLock, SessionHandler};
use crate::pubsub::{Kind, Sender};
use crate::session::Session;
use bytes::Bytes;
use moat_resp::Frame;

pub const HANDLERS: &[(&str, SessionHandler)] = &[
    ("subscribe", subscribe),
    ("psubscribe", psubscribe),
    ("ssubscribe", ssubscribe),
    ("unsubscribe", unsubscribe),
    ("punsubscribe", punsubscribe),
    ("sunsubscribe", sunsubscribe),
    ("publish", publish),
    ("spublish", spublish),
    ("pubsub|channels", channels),
    ("pubsub|shardchannels", shardchannels),
    ("pubsub|numsub", numsub),
    ("pubsub|shardnumsub", shardnumsub),
    ("pubsub|numpat", numpat),
    ("pubsub|help", help),
];

fn word(text: &'static str) -> Frame {
    Frame::Bulk(Bytes::from_static(text.as_bytes()))
}

/// The count a confirmation carries: channels and patterns together for
/// the classic commands, shard channels alone for the sharded ones.
fn confirmation_count(session: &Session, kind: Kind) -> i64 {
    let subs = &session.subscriptions;
    (match kind {
        Kind::Shard => subs.count(Kind::Shard),
        _ => subs.channels_and_patterns(),
    }) as i64
}

/// Collects confirmations: straight into the deferred output, or into a
/// list when EXEC runs the command.
struct Confirmations {
    frames: Vec<Frame>,
}

impl Confirmations {
    fn new() -> Confirmations {
        Confirmations { frames: Vec::new() }
    }

    fn add(&mut self, session: &mut Session, kind_word: &'static str, name: Frame, kind: Kind) {
        let frame = Frame::Push(vec![
            word(kind_word),
            name,
            Frame::Integer(confirmation_count(session, kind)),
        ]);
        if session.in_exec {
            self.frames.push(frame);
        } else {
            frame.encode(session.client.protocol, &mut session.deferred);
        }
    }

    fn finish(mut self, session: &mut Session) -> Frame {
        session.publish_subscriptions();
        if session.in_exec {
            return if self.frames.len() == 1 {
                self.frames.pop().unwrap_or(Frame::Null)
            } else {
                // Redis writes each confirmation on its own: EXEC's array
                // counts the first, the others follow it in the stream.
                session.exec_spliced = true;
                Frame::Array(self.frames)
            };
        }
        session.no_reply = true;
        Frame::Null
    }
}

fn subscribe_kind(
    session: &mut Session,
    argv: &[Bytes],
    kind: Kind,
    kind_word: &'static str,
) -> Frame {
    let mut confirmations = Confirmations::new();
    let id = session.client.id;
    for name in &argv[1..] {
        if session.subscriptions.insert(kind, name) {
            let mailbox = session.mailbox.clone();
            session.shared.pubsub.subscribe(kind, name, id, &mailbox);
        }
        confirmations.add(session, kind_word, Frame::Bulk(name.clone()), kind);
    }
    confirmations.finish(session)
}

fn unsubscribe_kind(
    session: &mut Session,
    argv: &[Bytes],
    kind: Kind,
    kind_word: &'static str,
) -> Frame {
    let mut confirmations = Confirmations::new();
    let id = session.client.id;
    let names: Vec<Bytes> = if argv.len() > 1 {
        argv[1..].to_vec()
    } else {
        session.subscriptions.list(kind).to_vec()
    };
    if names.is_empty() {
        confirmations.add(session, kind_word, Frame::Null, kind);
    }
    for name in names {
        if session.subscriptions.remove(kind, &name) {
            session.shared.pubsub.unsubscribe(kind, &name, id);
            // Messages for this channel queued before it was left come
            // before the confirmation.
            session.drain_mailbox_into_deferred();
        }
        confirmations.add(session, kind_word, Frame::Bulk(name), kind);
    }
    confirmations.finish(session)
}

fn subscribe(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    subscribe_kind(session, argv, Kind::Channel, "subscribe")
}

fn psubscribe(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    subscribe_kind(session, argv, Kind::Pattern, "psubscribe")
}

fn ssubscribe(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    // A client that may not block (Redis's CLIENT_DENY_BLOCKING: EXEC's
    // queue) cannot subscribe to shard channels; SUBSCRIBE and PSUBSCRIBE
    // are let through there for backward compatibility.
    if !session.client.may_block {
        return Frame::error("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
    }
    subscribe_kind(session, argv, Kind::Shard, "ssubscribe")
}

fn unsubscribe(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    unsubscribe_kind(session, argv, Kind::Channel, "unsubscribe")
}

fn punsubscribe(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    unsubscribe_kind(session, argv, Kind::Pattern, "punsubscribe")
}

fn sunsubscribe(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    unsubscribe_kind(session, argv, Kind::Shard, "sunsubscribe")
}

fn publish_kind(session: &mut Session, argv: &[Bytes], shard: bool) -> Frame {
    let shared = session.shared.clone();
    // A copy for the publisher itself follows the reply (Redis 7.2).
    let mut sender = Sender {
        id: session.client.id,
        protocol: session.push_protocol(),
        out: &mut session.own_pushes,
    };
    let receivers = shared
        .pubsub
        .publish(&shared, shard, &argv[1], &argv[2], &mut sender);
    Frame::Integer(receivers as i64)
}

fn publish(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    publish_kind(session, argv, false)
}

fn spublish(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    publish_kind(session, argv, true)
}

fn list_names(session: &Session, argv: &[Bytes], kind: Kind) -> Frame {
    if argv.len() > 3 {
        return subcommand_syntax_error("PUBSUB", &argv[1]);
    }
    let pattern = argv.get(2).map(|p| p.as_ref());
    Frame::Array(
        session
            .shared
            .pubsub
            .names(kind, pattern)
            .into_iter()
            .map(Frame::Bulk)
            .collect(),
    )
}

fn channels(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    list_names(session, argv, Kind::Channel)
}

fn shardchannels(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    list_names(session, argv, Kind::Shard)
}

fn count_subscribers(session: &Session, argv: &[Bytes], kind: Kind) -> Frame {
    let mut out = Vec::with_capacity((argv.len() - 2) * 2);
    for name in &argv[2..] {
        out.push(Frame::Bulk(name.clone()));
        out.push(Frame::Integer(
            session.shared.pubsub.subscriber_count(kind, name) as i64,
        ));
    }
    Frame::Array(out)
}

fn numsub(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    count_subscribers(session, argv, Kind::Channel)
}

fn shardnumsub(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    count_subscribers(session, argv, Kind::Shard)
}

fn numpat(session: &mut Session, _: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    Frame::Integer(session.shared.pubsub.len(Kind::Pattern) as i64)
}

fn help(_: &mut Session, _: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    help_reply(&[
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Print this help.",
    ])
}
