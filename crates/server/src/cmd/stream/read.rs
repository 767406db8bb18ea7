//! XREAD and XREADGROUP (`xreadCommand`).
//!
//! BLOCK waits (see [`crate::blocking`]) when nothing can be served at
//! once: the command is re-run when a write (XADD, ...) makes one of its
//! streams ready, with each `$` rewritten to the last id it stood for, as
//! Redis rewrites it, so that the re-run reads what arrived since. Where
//! blocking is not allowed (MULTI, scripts) the reply is the timeout's.

use super::groups::{self, Pending};
use super::id::{self, StreamId};
use super::store::Stream;
use super::{entry_reply, lookup, owned, propagate};
use crate::blocking::BlockKind;
use crate::cmd::args::{is, parse_i64};
use crate::cmd::reply::{selected_db, syntax_error, Reply};
use crate::cmd::Ctx;
use crate::db::Access;
use bytes::Bytes;
use moat_config::NotifyFlags;
use moat_resp::{Frame, Protocol};

/// What to read from one stream.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Start {
    /// Entries after this id.
    After(StreamId),
    /// XREADGROUP `>`: entries never delivered to the group.
    New,
}

pub fn xread(ctx: &mut Ctx<'_>, argv: &[Bytes], group_form: bool) -> Reply {
    let name = if group_form { "XREADGROUP" } else { "XREAD" };
    let mut count: usize = 0;
    let mut streams_at = 0;
    let mut group: Option<(&Bytes, &Bytes)> = None;
    let mut noack = false;
    let mut block: Option<i64> = None;
    let mut i = 1;
    while i < argv.len() {
        let more = argv.len() - i - 1;
        let opt = &argv[i][..];
        if is(opt, "block") && more > 0 {
            i += 1;
            let timeout = parse_i64(&argv[i])
                .map_err(|_| Frame::error("ERR timeout is not an integer or out of range"))?;
            if timeout < 0 {
                return Err(Frame::error("ERR timeout is negative"));
            }
            if timeout > 0 && timeout > i64::MAX - ctx.now_ms {
                return Err(Frame::error("ERR timeout is out of range"));
            }
            block = Some(timeout);
        } else if is(opt, "count") && more > 0 {
            i += 1;
            count = usize::try_from(parse_i64(&argv[i])?.max(0)).unwrap_or(usize::MAX);
        } else if is(opt, "streams") && more > 0 {
            streams_at = i + 1;
            if !(argv.len() - streams_at).is_multiple_of(2) {
                let symbol = if group_form { '>' } else { '$' };
                return Err(Frame::error(format!(
                    "ERR Unbalanced '{}' list of streams: for each stream key an ID or '{symbol}' must be specified.",
                    name.to_ascii_lowercase()
                )));
            }
            break;
        } else if is(opt, "group") && more >= 2 {
            if !group_form {
                return Err(Frame::error(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            group = Some((&argv[i + 1], &argv[i + 2]));
            i += 2;
        } else if is(opt, "noack") {
            if !group_form {
                return Err(Frame::error(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            noack = true;
        } else {
            return Err(syntax_error());
        }
        i += 1;
    }
    if streams_at == 0 {
        return Err(syntax_error());
    }
    if group_form && group.is_none() {
        return Err(Frame::error("ERR Missing GROUP option for XREADGROUP"));
    }
    let n = (argv.len() - streams_at) / 2;
    let keys = &argv[streams_at..streams_at + n];
    let id_args = &argv[streams_at + n..];
    let now_ms = ctx.now_ms;
    let resp3 = ctx.client.protocol == Protocol::Resp3;
    let mut db = selected_db(ctx);
    // What XREADGROUP propagates in place of itself, when anything
    // consumes it.
    let mut ops = db.propagating().then(Vec::new);
    let mut starts = Vec::with_capacity(n);
    for (key, arg) in keys.iter().zip(id_args) {
        let s = lookup(&mut db, key, Access::Read)?;
        if let Some((group_name, _)) = group {
            if !s
                .as_ref()
                .is_some_and(|s| s.groups.contains_key(group_name))
            {
                return Err(crate::cmd::reply::quoting_error(
                    "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                    &[key, group_name],
                ));
            }
        }
        let start = match &arg[..] {
            b"$" if group_form => {
                return Err(Frame::error(
                    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
                ))
            }
            b"$" => Start::After(s.map_or(StreamId::MIN, |s| s.last_id)),
            b">" if !group_form => {
                return Err(Frame::error(
                    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
                ))
            }
            b">" => Start::New,
            _ => Start::After(id::parse_strict(arg)?),
        };
        starts.push(start);
    }
    let mut served = Vec::new();
    // XREADGROUP counts each consumer it created and each stream it served
    // (its history, even empty, or new entries), as Redis 7.2 does.
    let mut changes = 0;
    for (key, start) in keys.iter().zip(&starts) {
        // Redis looks every stream up again to serve it (a second
        // `lookupKeyRead`, counted like the first).
        let Some(s) = lookup(&mut db, key, Access::Read)? else {
            continue;
        };
        let reply = match group {
            None => match *start {
                Start::After(after) if !s.is_empty() && s.last_valid_id() > after => {
                    Some(after_id(s, after, count))
                }
                _ => None,
            },
            Some((group_name, consumer)) => {
                let read = Read {
                    start: *start,
                    count,
                    noack,
                    now_ms,
                };
                let (reply, created) = read_group(s, key, group_name, consumer, read, ops.as_mut());
                // Counted below, but signalled to no WATCH and no blocked
                // reader, as in Redis.
                if created {
                    db.notify(NotifyFlags::STREAM, "xgroup-createconsumer", key);
                }
                changes += usize::from(created) + usize::from(reply.is_some());
                reply
            }
        };
        if let Some(entries) = reply {
            served.push((Frame::Bulk(key.clone()), Frame::Array(entries)));
        }
    }
    if group.is_some() {
        db.count_changes(changes);
        // Redis never propagates XREADGROUP itself, only what it did.
        db.propagate_nothing();
        for op in ops.into_iter().flatten() {
            db.propagate_as(op);
        }
    }
    if served.is_empty() {
        return Ok(match block {
            Some(timeout) => {
                let rerun = rewrite_dollars(argv, streams_at + n, &starts);
                ctx.block_rerunning(
                    BlockKind::Stream,
                    keys,
                    timeout,
                    Frame::NullArray,
                    rerun,
                    group.is_some(),
                )
            }
            None => Frame::NullArray,
        });
    }
    // RESP3 gets a map; RESP2 an array of [key, entries] pairs.
    if resp3 {
        Ok(Frame::Map(served))
    } else {
        Ok(Frame::Array(
            served
                .into_iter()
                .map(|(k, v)| Frame::Array(vec![k, v]))
                .collect(),
        ))
    }
}

/// The command with each `$` id replaced by the id it resolved to
/// (`None` when there is none).
fn rewrite_dollars(argv: &[Bytes], ids_at: usize, starts: &[Start]) -> Option<Vec<Bytes>> {
    if !argv[ids_at..].iter().any(|a| &a[..] == b"$") {
        return None;
    }
    let mut out = argv.to_vec();
    for (arg, start) in out[ids_at..].iter_mut().zip(starts) {
        if let (b"$", Start::After(id)) = (&arg[..], start) {
            *arg = Bytes::from(id.to_string());
        }
    }
    Some(out)
}

fn after_id(s: &Stream, after: StreamId, count: usize) -> Vec<Frame> {
    let Some(start) = after.next() else {
        return Vec::new();
    };
    super::basic::range(s, start, StreamId::MAX, count, false)
}

/// What one XREADGROUP reads from each stream.
#[derive(Debug, Clone, Copy)]
struct Read {
    start: Start,
    count: usize,
    noack: bool,
    now_ms: i64,
}

/// One stream of an XREADGROUP; `None` when there is nothing to serve.
/// Adds what the read propagates to `ops`: the consumer's creation under
/// NOACK, then an XCLAIM per delivered entry, or under NOACK the group's
/// new last id (history reads propagate nothing).
fn read_group(
    s: &mut Stream,
    key: &Bytes,
    group_name: &Bytes,
    consumer_name: &Bytes,
    read: Read,
    mut ops: Option<&mut Vec<Vec<Bytes>>>,
) -> (Option<Vec<Frame>>, bool) {
    let Read {
        start,
        count,
        noack,
        now_ms,
    } = read;
    let Some((stored_name, mut group)) = s.groups.remove_entry(group_name) else {
        return (None, false);
    };
    let (reply, created) = {
        let (consumer, created) = group.consumer_or_create(consumer_name, now_ms);
        consumer.seen_time = now_ms;
        if let Some(ops) = ops.as_deref_mut().filter(|_| created && noack) {
            ops.push(propagate::create_consumer(key, group_name, consumer_name));
        }
        let reply = match start {
            Start::After(after) => {
                Some(history(s, &mut group, consumer_name, after, count, now_ms))
            }
            Start::New if !s.is_empty() && s.last_valid_id() > group.last_id => {
                let before = group.last_id;
                let mut claims = ops.as_deref_mut().map(|ops| (key, group_name, ops));
                let entries = deliver_new(s, &mut group, consumer_name, read, claims.as_mut());
                if let Some(ops) = ops.filter(|_| noack && group.last_id != before) {
                    ops.push(propagate::setid(key, group_name, &group));
                }
                Some(entries)
            }
            Start::New => None,
        };
        (reply, created)
    };
    s.groups.insert(stored_name, group);
    (reply, created)
}

/// Where [`deliver_new`] states each delivery as an XCLAIM.
type Claims<'a, 'o> = (&'a Bytes, &'a Bytes, &'o mut Vec<Vec<Bytes>>);

/// Entries after the group's last id, added to the PEL unless NOACK.
fn deliver_new(
    s: &Stream,
    group: &mut groups::Group,
    consumer_name: &Bytes,
    read: Read,
    mut claims: Option<&mut Claims<'_, '_>>,
) -> Vec<Frame> {
    let Read {
        count,
        noack,
        now_ms,
        ..
    } = read;
    let Some(start) = group.last_id.next() else {
        return Vec::new();
    };
    let take = if count == 0 { usize::MAX } else { count };
    let ids: Vec<StreamId> = s
        .entries
        .range(start..)
        .take(take)
        .map(|(id, _)| *id)
        .collect();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        groups::advance(s, group, id);
        out.push(entry_reply(id, &s.entries[&id]));
        if !noack {
            group.pel.insert(
                id,
                Pending {
                    consumer: owned(consumer_name),
                    delivery_time: now_ms,
                    delivery_count: 1,
                },
            );
            // An entry re-delivered after XGROUP SETID changes owner.
            for (name, other) in group.consumers.iter_mut() {
                if name != consumer_name {
                    other.pel.remove(&id);
                }
            }
            group.assign(id, consumer_name);
            if let Some(c) = group.consumers.get_mut(consumer_name) {
                c.active_time = now_ms;
            }
            if let Some((key, group_name, ops)) = claims.as_deref_mut() {
                let claim = propagate::xclaim(
                    key,
                    group_name,
                    group,
                    propagate::id_arg(id),
                    &group.pel[&id],
                );
                ops.push(claim);
            }
        }
    }
    out
}

/// The consumer's own pending entries after `after`
/// (`streamReplyWithRangeFromConsumerPEL`); deleted entries come back
/// as `[id, nil]`.
fn history(
    s: &Stream,
    group: &mut groups::Group,
    consumer_name: &Bytes,
    after: StreamId,
    count: usize,
    now_ms: i64,
) -> Vec<Frame> {
    let Some(start) = after.next() else {
        return Vec::new();
    };
    let take = if count == 0 { usize::MAX } else { count };
    let ids: Vec<StreamId> = group
        .consumers
        .get(consumer_name)
        .map(|c| c.pel.range(start..).take(take).copied().collect())
        .unwrap_or_default();
    ids.into_iter()
        .map(|id| match s.entries.get(&id) {
            Some(fields) => {
                if let Some(p) = group.pel.get_mut(&id) {
                    p.delivery_time = now_ms;
                    p.delivery_count += 1;
                }
                entry_reply(id, fields)
            }
            None => Frame::Array(vec![id.reply(), Frame::NullArray]),
        })
        .collect()
}
