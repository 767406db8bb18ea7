//! XGROUP, XACK, XPENDING, XCLAIM and XAUTOCLAIM.

use super::groups::{Group, Pending};
use super::id::{self, StreamId};
use super::store::Stream;
use super::{entry_reply, lookup, no_group, owned, propagate};
use crate::cmd::args::{is, parse_i64};
use crate::cmd::reply::{count, selected_db, syntax_error, Reply};
use crate::cmd::Ctx;
use crate::db::{Access, Value};
use bytes::Bytes;
use moat_config::NotifyFlags;
use moat_resp::Frame;

fn subcommand_error(sub: &[u8]) -> Frame {
    crate::cmd::reply::subcommand_syntax_error("XGROUP", sub)
}

/// Every XGROUP subcommand but HELP, in `xgroupCommand`'s order of checks.
pub fn xgroup(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let sub = String::from_utf8_lossy(&argv[1]).to_ascii_lowercase();
    let (key, group_name) = (&argv[2], &argv[3]);
    let mut mkstream = false;
    let mut entries_read: Option<u64> = None;
    if sub == "create" || sub == "setid" {
        let mut i = 5;
        while i < argv.len() {
            if sub == "create" && is(&argv[i], "mkstream") {
                mkstream = true;
                i += 1;
            } else if is(&argv[i], "entriesread") && i + 1 < argv.len() {
                let n = parse_i64(&argv[i + 1])?;
                if n < -1 {
                    return Err(Frame::error(
                        "ERR value for ENTRIESREAD must be positive or -1",
                    ));
                }
                entries_read = u64::try_from(n).ok();
                i += 2;
            } else {
                return Err(subcommand_error(&argv[1]));
            }
        }
    }
    let now_ms = ctx.now_ms;
    let mut db = selected_db(ctx);
    let exists = lookup(&mut db, key, Access::Write)?.is_some();
    if !mkstream {
        let Some(s) = lookup(&mut db, key, Access::Peek)? else {
            return Err(Frame::error(
                "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
            ));
        };
        let needs_group = matches!(sub.as_str(), "setid" | "createconsumer" | "delconsumer");
        if needs_group && !s.groups.contains_key(group_name) {
            return Err(crate::cmd::reply::quoting_error(
                "NOGROUP No such consumer group '{}' for key name '{}'",
                &[group_name, key],
            ));
        }
    }
    // The event Redis raises: none when DESTROY, CREATECONSUMER or
    // DELCONSUMER found nothing to change.
    let (reply, event) = match sub.as_str() {
        "create" if (5..=8).contains(&argv.len()) => {
            let s = lookup(&mut db, key, Access::Peek)?;
            let last = if &argv[4][..] == b"$" {
                s.map_or(StreamId::MIN, |s| s.last_id)
            } else {
                id::parse_strict(&argv[4])?
            };
            if !exists {
                db.set(key, Value::Stream(Box::default()), false);
            }
            let s = lookup(&mut db, key, Access::Peek)?.expect("present: created above");
            if s.groups.contains_key(group_name) {
                return Err(Frame::error("BUSYGROUP Consumer Group name already exists"));
            }
            s.groups
                .insert(owned(group_name), Group::new(last, entries_read));
            (Frame::ok(), Some("xgroup-create"))
        }
        "setid" if argv.len() == 5 || argv.len() == 7 => {
            let s = lookup(&mut db, key, Access::Peek)?.expect("checked above");
            let last = if &argv[4][..] == b"$" {
                s.last_id
            } else {
                id::parse(&argv[4], 0, id::Form::Loose)?
            };
            let group = s.groups.get_mut(group_name).expect("checked above");
            group.last_id = last;
            group.entries_read = entries_read;
            (Frame::ok(), Some("xgroup-setid"))
        }
        "destroy" if argv.len() == 4 => {
            let s = lookup(&mut db, key, Access::Peek)?.expect("checked above");
            let destroyed = s.groups.remove(group_name).is_some();
            if destroyed {
                // XREADGROUP clients blocked on the group re-run: NOGROUP.
                db.signal_ready(key);
            }
            let event = destroyed.then_some("xgroup-destroy");
            (Frame::Integer(i64::from(destroyed)), event)
        }
        "createconsumer" if argv.len() == 5 => {
            let s = lookup(&mut db, key, Access::Peek)?.expect("checked above");
            let group = s.groups.get_mut(group_name).expect("checked above");
            let (_, created) = group.consumer_or_create(&argv[4], now_ms);
            let event = created.then_some("xgroup-createconsumer");
            (Frame::Integer(i64::from(created)), event)
        }
        "delconsumer" if argv.len() == 5 => {
            let s = lookup(&mut db, key, Access::Peek)?.expect("checked above");
            let group = s.groups.get_mut(group_name).expect("checked above");
            let pending = group.delete_consumer(&argv[4]);
            let event = pending.is_some().then_some("xgroup-delconsumer");
            (count(pending.unwrap_or(0)), event)
        }
        _ => return Err(subcommand_error(&argv[1])),
    };
    // No signalModifiedKey: a consumer group's change breaks no WATCH and
    // invalidates no tracked key (MKSTREAM's new stream does, above).
    if let Some(event) = event {
        db.notify(NotifyFlags::STREAM, event, key);
    }
    // A subcommand that changed something counts one change (a stream
    // MKSTREAM created included), one that found nothing to change none.
    db.count_changes(usize::from(event.is_some()));
    Ok(reply)
}

/// The stream and group a group command works on, or the NOGROUP error.
fn stream_and_group<'v>(
    db: &'v mut crate::db::DbView<'_>,
    key: &Bytes,
    group: &Bytes,
) -> Result<&'v mut Stream, Frame> {
    match lookup(db, key, Access::Read)? {
        Some(s) if s.groups.contains_key(group) => Ok(s),
        _ => Err(no_group(key, group)),
    }
}

pub fn xack(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let (key, group_name) = (&argv[1], &argv[2]);
    let mut db = selected_db(ctx);
    let Some(s) = lookup(&mut db, key, Access::Read)? else {
        return Ok(Frame::Integer(0));
    };
    let Some(group) = s.groups.get_mut(group_name) else {
        return Ok(Frame::Integer(0));
    };
    let ids = argv[3..]
        .iter()
        .map(|a| id::parse_strict(a))
        .collect::<Result<Vec<_>, _>>()?;
    let acked = ids.into_iter().filter(|&id| group.acknowledge(id)).count();
    // Counted, but signalled to no WATCH, as in Redis.
    db.count_changes(acked);
    Ok(count(acked))
}

pub fn xpending(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let (key, group_name) = (&argv[1], &argv[2]);
    let summary = argv.len() == 3;
    if !summary && !(6..=9).contains(&argv.len()) {
        return Err(syntax_error());
    }
    let mut range = None;
    if !summary {
        let mut at = 3;
        let mut min_idle = 0;
        if is(&argv[3], "idle") {
            min_idle = parse_i64(&argv[4])?;
            if argv.len() < 8 {
                return Err(syntax_error());
            }
            at += 2;
        }
        let limit = usize::try_from(parse_i64(&argv[at + 2])?.max(0)).unwrap_or(usize::MAX);
        let start = id::range_start(&argv[at])?;
        let end = id::range_end(&argv[at + 1])?;
        // Redis ignores anything after the consumer.
        let consumer = argv.get(at + 3);
        range = Some((start, end, limit, consumer, min_idle));
    }
    let now_ms = ctx.now_ms;
    let mut db = selected_db(ctx);
    let s = stream_and_group(&mut db, key, group_name)?;
    let group = &s.groups[group_name];
    let Some((start, end, limit, consumer, min_idle)) = range else {
        let (Some(first), Some(last)) = (group.pel.keys().next(), group.pel.keys().next_back())
        else {
            return Ok(Frame::Array(vec![
                Frame::Integer(0),
                Frame::Null,
                Frame::Null,
                Frame::NullArray,
            ]));
        };
        let owners = group
            .consumers
            .iter()
            .filter(|(_, c)| !c.pel.is_empty())
            .map(|(name, c)| {
                Frame::Array(vec![
                    Frame::Bulk(name.clone()),
                    Frame::Bulk(Bytes::from(c.pel.len().to_string())),
                ])
            })
            .collect();
        return Ok(Frame::Array(vec![
            count(group.pel.len()),
            first.reply(),
            last.reply(),
            Frame::Array(owners),
        ]));
    };
    let ids: Vec<StreamId> = match consumer {
        Some(name) => match group.consumers.get(name) {
            Some(c) if start <= end => c.pel.range(start..=end).copied().collect(),
            Some(_) => Vec::new(),
            None => return Ok(Frame::Array(Vec::new())),
        },
        None if start <= end => group.pel.range(start..=end).map(|(id, _)| *id).collect(),
        None => Vec::new(),
    };
    let mut out = Vec::new();
    for id in ids {
        if out.len() >= limit {
            break;
        }
        let p = &group.pel[&id];
        let idle = now_ms - p.delivery_time;
        if min_idle != 0 && idle < min_idle {
            continue;
        }
        out.push(Frame::Array(vec![
            id.reply(),
            Frame::Bulk(p.consumer.clone()),
            Frame::Integer(idle.max(0)),
            Frame::Integer(p.delivery_count as i64),
        ]));
    }
    Ok(Frame::Array(out))
}

/// The entry `id` as XCLAIM replies it.
fn claimed_reply(s: &Stream, id: StreamId, justid: bool) -> Frame {
    match (justid, s.entries.get(&id)) {
        (false, Some(fields)) => entry_reply(id, fields),
        _ => id.reply(),
    }
}

pub fn xclaim(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let (key, group_name, consumer_name) = (&argv[1], &argv[2], &argv[3]);
    let now_ms = ctx.now_ms;
    let mut db = selected_db(ctx);
    // What XCLAIM propagates in place of itself (`streamPropagateXCLAIM`
    // per entry claimed or dropped, else the group's new last id).
    let mut ops = db.propagating().then(Vec::new);
    let s = stream_and_group(&mut db, key, group_name)?;
    let min_idle = parse_i64(&argv[4])
        .map_err(|_| Frame::error("ERR Invalid min-idle-time argument for XCLAIM"))?
        .max(0);
    let mut ids = Vec::new();
    let mut j = 5;
    while j < argv.len() {
        match id::parse_strict(&argv[j]) {
            Ok(id) => ids.push(id),
            Err(_) => break,
        }
        j += 1;
    }
    let mut delivery_time: Option<i64> = None;
    let mut retry_count: Option<i64> = None;
    let mut force = false;
    let mut justid = false;
    let mut last_id = StreamId::MIN;
    while j < argv.len() {
        let more = j + 1 < argv.len();
        let opt = &argv[j];
        let number = |arg: &[u8], what: &str| {
            parse_i64(arg)
                .map_err(|_| Frame::error(format!("ERR Invalid {what} option argument for XCLAIM")))
        };
        if is(opt, "force") {
            force = true;
        } else if is(opt, "justid") {
            justid = true;
        } else if is(opt, "idle") && more {
            j += 1;
            delivery_time = Some(now_ms.saturating_sub(number(&argv[j], "IDLE")?));
        } else if is(opt, "time") && more {
            j += 1;
            delivery_time = Some(number(&argv[j], "TIME")?);
        } else if is(opt, "retrycount") && more {
            j += 1;
            retry_count = Some(number(&argv[j], "RETRYCOUNT")?);
        } else if is(opt, "lastid") && more {
            j += 1;
            last_id = id::parse_strict(&argv[j])?;
        } else {
            return Err(crate::cmd::reply::quoting_error(
                "ERR Unrecognized XCLAIM option '{}'",
                &[opt],
            ));
        }
        j += 1;
    }
    let (stored_name, mut group) = s.groups.remove_entry(group_name).expect("checked above");
    // The consumer exists from the attempt on, claimed entries or not.
    let (consumer, created_consumer) = group.consumer_or_create(consumer_name, now_ms);
    consumer.seen_time = now_ms;
    let last_id_moved = last_id > group.last_id;
    let mut propagate_last_id = last_id_moved;
    if last_id_moved {
        group.last_id = last_id;
    }
    // A bogus time is replaced by now rather than refused: clients compute
    // it from their own clocks.
    let delivery_time = match delivery_time {
        Some(t) if (0..=now_ms).contains(&t) => t,
        _ => now_ms,
    };
    let mut out = Vec::new();
    // Redis counts the consumer it created, each record claimed or
    // dropped, and else a group's last id moved by LASTID.
    let mut changes = usize::from(created_consumer);
    let mut restated = false;
    for (id, id_arg) in ids.into_iter().zip(&argv[5..]) {
        if !s.entries.contains_key(&id) {
            // The entry is gone: its pending record goes too, which
            // propagates as the claim of the record as it was.
            if let (Some(ops), Some(p)) = (ops.as_mut(), group.pel.get(&id)) {
                ops.push(propagate::xclaim(
                    key,
                    group_name,
                    &group,
                    id_arg.clone(),
                    p,
                ));
                propagate_last_id = false;
            }
            if group.acknowledge(id) {
                changes += 1;
                restated = true;
            }
            continue;
        }
        match group.pel.get(&id) {
            // FORCE creates the pending record; idle times do not apply.
            None if !force => continue,
            None => {}
            Some(p) if min_idle != 0 && now_ms - p.delivery_time < min_idle => continue,
            Some(_) => {}
        }
        claim(&mut group, id, consumer_name, now_ms);
        let p = group.pel.get_mut(&id).expect("claimed above");
        p.delivery_time = delivery_time;
        match retry_count {
            Some(n) if n >= 0 => p.delivery_count = n as u64,
            _ if !justid => p.delivery_count += 1,
            _ => {}
        }
        if let Some(ops) = ops.as_mut() {
            ops.push(propagate::xclaim(
                key,
                group_name,
                &group,
                id_arg.clone(),
                &group.pel[&id],
            ));
            propagate_last_id = false;
        }
        changes += 1;
        restated = true;
        out.push(claimed_reply(s, id, justid));
    }
    if let Some(ops) = ops.as_mut().filter(|_| propagate_last_id) {
        ops.push(propagate::setid(key, group_name, &group));
    }
    if last_id_moved && !restated {
        changes += 1;
    }
    s.groups.insert(stored_name, group);
    propagate_ops(&mut db, ops);
    if created_consumer {
        db.notify(NotifyFlags::STREAM, "xgroup-createconsumer", key);
    }
    // Counted, but signalled to no WATCH, as in Redis.
    db.count_changes(changes);
    Ok(Frame::Array(out))
}

/// Moves (or, with FORCE, creates) the pending record of `id` to the
/// consumer, creating the consumer when needed.
fn claim(group: &mut Group, id: StreamId, consumer_name: &Bytes, now_ms: i64) {
    let (consumer, _) = group.consumer_or_create(consumer_name, now_ms);
    consumer.seen_time = now_ms;
    consumer.active_time = now_ms;
    // `streamCreateNACK` counts the creation as a first delivery.
    group.pel.entry(id).or_insert_with(|| Pending {
        consumer: owned(consumer_name),
        delivery_time: now_ms,
        delivery_count: 1,
    });
    group.assign(id, consumer_name);
}

pub fn xautoclaim(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let (key, group_name, consumer_name) = (&argv[1], &argv[2], &argv[3]);
    let now_ms = ctx.now_ms;
    let mut db = selected_db(ctx);
    // What XAUTOCLAIM propagates in place of itself: an XCLAIM per entry
    // claimed, or dropped from the PEL as deleted (stating it as it was).
    let mut ops = db.propagating().then(Vec::new);
    // xautoclaimCommand looks its key up (a hit or a miss, `keymiss`)
    // before it parses its arguments.
    db.lookup_slot(key, Access::Read);
    let min_idle = parse_i64(&argv[4])
        .map_err(|_| Frame::error("ERR Invalid min-idle-time argument for XAUTOCLAIM"))?
        .max(0);
    let start = id::range_start(&argv[5])?;
    let mut limit: usize = 100;
    let mut justid = false;
    let mut j = 6;
    while j < argv.len() {
        if is(&argv[j], "count") && j + 1 < argv.len() {
            let max = i64::MAX / 16;
            let n = parse_i64(&argv[j + 1])
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| Frame::error("ERR COUNT must be > 0"))?;
            limit = usize::try_from(n).unwrap_or(usize::MAX);
            j += 1;
        } else if is(&argv[j], "justid") {
            justid = true;
        } else {
            return Err(syntax_error());
        }
        j += 1;
    }
    let s = match lookup(&mut db, key, Access::Peek)? {
        Some(s) if s.groups.contains_key(group_name) => s,
        _ => return Err(no_group(key, group_name)),
    };
    let (stored_name, mut group) = s.groups.remove_entry(group_name).expect("checked above");
    // The consumer exists from the attempt on, claimed entries or not.
    let (consumer, created_consumer) = group.consumer_or_create(consumer_name, now_ms);
    consumer.seen_time = now_ms;
    let mut attempts = limit.saturating_mul(10);
    let mut remaining = limit;
    let mut claimed = Vec::new();
    let mut deleted = Vec::new();
    let mut cursor = start;
    let mut next_cursor = StreamId::MIN;
    loop {
        let next = group.pel.range(cursor..).next().map(|(id, _)| *id);
        let Some(id) = next else {
            break;
        };
        if attempts == 0 || remaining == 0 {
            next_cursor = id;
            break;
        }
        attempts -= 1;
        cursor = match id.next() {
            Some(n) => n,
            None => {
                // The last possible id: nothing can follow it.
                StreamId::MAX
            }
        };
        if !s.entries.contains_key(&id) {
            push_xclaim(&mut ops, key, group_name, &group, id);
            group.acknowledge(id);
            deleted.push(id.reply());
            remaining -= 1;
        } else if min_idle == 0 || now_ms - group.pel[&id].delivery_time >= min_idle {
            claim(&mut group, id, consumer_name, now_ms);
            let p = group.pel.get_mut(&id).expect("claimed above");
            p.delivery_time = now_ms;
            if !justid {
                p.delivery_count += 1;
            }
            push_xclaim(&mut ops, key, group_name, &group, id);
            claimed.push(claimed_reply(s, id, justid));
            remaining -= 1;
        }
        if id == StreamId::MAX {
            break;
        }
    }
    s.groups.insert(stored_name, group);
    propagate_ops(&mut db, ops);
    if created_consumer {
        db.notify(NotifyFlags::STREAM, "xgroup-createconsumer", key);
    }
    // The consumer created, and each record claimed or dropped: counted,
    // but signalled to no WATCH, as in Redis.
    db.count_changes(usize::from(created_consumer) + claimed.len() + deleted.len());
    Ok(Frame::Array(vec![
        next_cursor.reply(),
        Frame::Array(claimed),
        Frame::Array(deleted),
    ]))
}

/// XCLAIM and XAUTOCLAIM never propagate themselves, only `ops` (when
/// anything consumes them).
/// XAUTOCLAIM's propagation of one entry, claimed or dropped as deleted:
/// the XCLAIM that restates its pending state (when anything propagates).
fn push_xclaim(
    ops: &mut Option<Vec<Vec<Bytes>>>,
    key: &Bytes,
    group_name: &Bytes,
    group: &Group,
    id: StreamId,
) {
    if let Some(ops) = ops.as_mut() {
        let p = &group.pel[&id];
        ops.push(propagate::xclaim(
            key,
            group_name,
            group,
            propagate::id_arg(id),
            p,
        ));
    }
}

fn propagate_ops(db: &mut crate::db::DbView<'_>, ops: Option<Vec<Vec<Bytes>>>) {
    if let Some(ops) = ops {
        db.propagate_nothing();
        for op in ops {
            db.propagate_as(op);
        }
    }
}
