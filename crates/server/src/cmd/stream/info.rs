//! XINFO STREAM (with FULL [COUNT]), XINFO GROUPS and XINFO CONSUMERS,
//! with Redis 7.2's fields.

use super::groups::{self, Group};
use super::id::StreamId;
use super::store::Stream;
use super::{entry_reply, lookup, text};
use crate::cmd::args::{is, parse_i64};
use crate::cmd::reply::{count, no_such_key, selected_db, Reply};
use crate::cmd::Ctx;
use crate::db::Access;
use bytes::Bytes;
use moat_resp::Frame;

fn stream_at<'v>(db: &'v mut crate::db::DbView<'_>, key: &[u8]) -> Result<&'v mut Stream, Frame> {
    lookup(db, key, Access::Read)?.ok_or_else(no_such_key)
}

fn entries_read(group: &Group) -> Frame {
    group
        .entries_read
        .map_or(Frame::Null, |n| Frame::Integer(n as i64))
}

fn lag(s: &Stream, group: &Group) -> Frame {
    groups::lag(s, group).map_or(Frame::Null, Frame::Integer)
}

pub fn stream(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    // Redis looks the key up before it reads the options: a missing key or
    // one of another type is reported whatever follows it.
    let mut db = selected_db(ctx);
    let s = stream_at(&mut db, &argv[2])?;
    let options = &argv[3..];
    let full = !options.is_empty();
    let syntax_error = || crate::cmd::reply::subcommand_syntax_error("XINFO", &argv[1]);
    let mut limit: usize = 10;
    if full {
        if !is(&options[0], "full") {
            return Err(syntax_error());
        }
        if options.len() > 1 {
            if options.len() != 3 || !is(&options[1], "count") {
                return Err(syntax_error());
            }
            let n = parse_i64(&options[2])?;
            limit = if n < 0 {
                10
            } else {
                usize::try_from(n).unwrap_or(usize::MAX)
            };
        }
    }
    let mut fields = vec![
        (text("length"), count(s.len())),
        (text("radix-tree-keys"), count(s.node_count())),
        (text("radix-tree-nodes"), count(rax_nodes(s))),
        (text("last-generated-id"), s.last_id.reply()),
        (text("max-deleted-entry-id"), s.max_deleted_id.reply()),
        (
            text("entries-added"),
            Frame::Integer(s.entries_added as i64),
        ),
        (text("recorded-first-entry-id"), s.first_id.reply()),
    ];
    if !full {
        let first = s.entries.first_key_value();
        let last = s.entries.last_key_value();
        let edge = |e: Option<(&StreamId, &super::store::Fields)>| {
            e.map_or(Frame::Null, |(id, f)| entry_reply(*id, f))
        };
        fields.push((text("groups"), count(s.groups.len())));
        fields.push((text("first-entry"), edge(first)));
        fields.push((text("last-entry"), edge(last)));
        return Ok(Frame::Map(fields));
    }
    let take = if limit == 0 { usize::MAX } else { limit };
    let entries = s
        .entries
        .iter()
        .take(take)
        .map(|(id, f)| entry_reply(*id, f))
        .collect();
    fields.push((text("entries"), Frame::Array(entries)));
    let groups = s
        .groups
        .iter()
        .map(|(name, group)| full_group(s, name, group, take))
        .collect();
    fields.push((text("groups"), Frame::Array(groups)));
    Ok(Frame::Map(fields))
}

fn full_group(s: &Stream, name: &Bytes, group: &Group, take: usize) -> Frame {
    let pending = group
        .pel
        .iter()
        .take(take)
        .map(|(id, p)| {
            Frame::Array(vec![
                id.reply(),
                Frame::Bulk(p.consumer.clone()),
                Frame::Integer(p.delivery_time),
                Frame::Integer(p.delivery_count as i64),
            ])
        })
        .collect();
    let consumers = group
        .consumers
        .iter()
        .map(|(cname, c)| {
            let pel = c
                .pel
                .iter()
                .take(take)
                .map(|id| {
                    let p = &group.pel[id];
                    Frame::Array(vec![
                        id.reply(),
                        Frame::Integer(p.delivery_time),
                        Frame::Integer(p.delivery_count as i64),
                    ])
                })
                .collect();
            Frame::Map(vec![
                (text("name"), Frame::Bulk(cname.clone())),
                (text("seen-time"), Frame::Integer(c.seen_time)),
                (text("active-time"), Frame::Integer(c.active_time)),
                (text("pel-count"), count(c.pel.len())),
                (text("pending"), Frame::Array(pel)),
            ])
        })
        .collect();
    Frame::Map(vec![
        (text("name"), Frame::Bulk(name.clone())),
        (text("last-delivered-id"), group.last_id.reply()),
        (text("entries-read"), entries_read(group)),
        (text("lag"), lag(s, group)),
        (text("pel-count"), count(group.pel.len())),
        (text("pending"), Frame::Array(pending)),
        (text("consumers"), Frame::Array(consumers)),
    ])
}

pub fn groups(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = selected_db(ctx);
    let s = stream_at(&mut db, &argv[2])?;
    let list = s
        .groups
        .iter()
        .map(|(name, group)| {
            Frame::Map(vec![
                (text("name"), Frame::Bulk(name.clone())),
                (text("consumers"), count(group.consumers.len())),
                (text("pending"), count(group.pel.len())),
                (text("last-delivered-id"), group.last_id.reply()),
                (text("entries-read"), entries_read(group)),
                (text("lag"), lag(s, group)),
            ])
        })
        .collect();
    Ok(Frame::Array(list))
}

pub fn consumers(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let now_ms = ctx.now_ms;
    let (key, group_name) = (&argv[2], &argv[3]);
    let mut db = selected_db(ctx);
    let s = stream_at(&mut db, key)?;
    let Some(group) = s.groups.get(group_name) else {
        return Err(crate::cmd::reply::quoting_error(
            "NOGROUP No such consumer group '{}' for key name '{}'",
            &[group_name, key],
        ));
    };
    let list = group
        .consumers
        .iter()
        .map(|(name, c)| {
            let inactive = if c.active_time == -1 {
                -1
            } else {
                now_ms - c.active_time
            };
            Frame::Map(vec![
                (text("name"), Frame::Bulk(name.clone())),
                (text("pending"), count(c.pel.len())),
                (text("idle"), Frame::Integer((now_ms - c.seen_time).max(0))),
                (text("inactive"), Frame::Integer(inactive)),
            ])
        })
        .collect();
    Ok(Frame::Array(list))
}

/// The node count of the radix tree Redis keeps the listpacks in
/// (`radix-tree-nodes`): 16-byte big-endian master ids, common runs
/// compressed into one node, one node per branch point and per leaf.
fn rax_nodes(s: &Stream) -> usize {
    let keys: Vec<[u8; 16]> = s.node_keys().map(StreamId::key_bytes).collect();
    if keys.is_empty() {
        return 1;
    }
    subtree(&keys, 0)
}

/// Nodes of the subtree of `keys` (sorted, sharing `depth` bytes) that
/// starts at a fresh node.
fn subtree(keys: &[[u8; 16]], depth: usize) -> usize {
    if depth == 16 {
        return 1;
    }
    let first = &keys[0];
    let last = &keys[keys.len() - 1];
    let common = (depth..16).take_while(|&i| first[i] == last[i]).count();
    if common > 0 {
        // A compressed node, then whatever starts after the common run.
        return 1 + branch_or_leaf(keys, depth + common);
    }
    branch_or_leaf(keys, depth)
}

/// A leaf at the end of the keys, or a branching node at `depth`.
fn branch_or_leaf(keys: &[[u8; 16]], depth: usize) -> usize {
    if depth == 16 {
        return 1;
    }
    let mut total = 1;
    let mut start = 0;
    while start < keys.len() {
        let byte = keys[start][depth];
        let end = start
            + keys[start..]
                .iter()
                .take_while(|k| k[depth] == byte)
                .count();
        total += subtree(&keys[start..end], depth + 1);
        start = end;
    }
    total
}
