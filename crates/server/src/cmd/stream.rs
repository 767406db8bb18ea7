//! Streams: XADD, XRANGE, XREAD, consumer groups and XINFO.
//!
//! [`store`] is the stream value (entries plus the listpack node model
//! that makes approximate trimming match Redis), [`id`] the id grammar,
//! [`groups`] consumer groups and their pending entries; the command
//! files hold Redis's argument parsing and replies.

mod basic;
mod group_cmds;
mod groups;
mod id;
mod info;
mod listpack;
pub mod memory;
mod propagate;
mod rdb;
mod read;
mod store;
mod trim;

pub use rdb::{from_rdb, write_rdb};
pub use store::Stream;

use super::reply::{flatten, wrong_type};
use super::Handler;
use crate::db::{Access, DbView, Value};
use bytes::Bytes;
use id::StreamId;
use moat_resp::Frame;
use store::Fields;

pub fn handlers() -> &'static [(&'static str, Handler)] {
    HANDLERS
}

const HANDLERS: &[(&str, Handler)] = &[
    ("xadd", |ctx, argv| flatten(basic::xadd(ctx, argv))),
    ("xlen", |ctx, argv| flatten(basic::xlen(ctx, argv))),
    ("xrange", |ctx, argv| {
        flatten(basic::xrange(ctx, argv, false))
    }),
    ("xrevrange", |ctx, argv| {
        flatten(basic::xrange(ctx, argv, true))
    }),
    ("xdel", |ctx, argv| flatten(basic::xdel(ctx, argv))),
    ("xtrim", |ctx, argv| flatten(basic::xtrim(ctx, argv))),
    ("xsetid", |ctx, argv| flatten(basic::xsetid(ctx, argv))),
    ("xread", |ctx, argv| flatten(read::xread(ctx, argv, false))),
    ("xreadgroup", |ctx, argv| {
        flatten(read::xread(ctx, argv, true))
    }),
    ("xgroup|create", |ctx, argv| {
        flatten(group_cmds::xgroup(ctx, argv))
    }),
    ("xgroup|setid", |ctx, argv| {
        flatten(group_cmds::xgroup(ctx, argv))
    }),
    ("xgroup|destroy", |ctx, argv| {
        flatten(group_cmds::xgroup(ctx, argv))
    }),
    ("xgroup|createconsumer", |ctx, argv| {
        flatten(group_cmds::xgroup(ctx, argv))
    }),
    ("xgroup|delconsumer", |ctx, argv| {
        flatten(group_cmds::xgroup(ctx, argv))
    }),
    ("xack", |ctx, argv| flatten(group_cmds::xack(ctx, argv))),
    ("xpending", |ctx, argv| {
        flatten(group_cmds::xpending(ctx, argv))
    }),
    ("xclaim", |ctx, argv| flatten(group_cmds::xclaim(ctx, argv))),
    ("xautoclaim", |ctx, argv| {
        flatten(group_cmds::xautoclaim(ctx, argv))
    }),
    ("xgroup|help", |_, _| help(XGROUP_HELP)),
    ("xinfo|help", |_, _| help(XINFO_HELP)),
    ("xinfo|stream", |ctx, argv| flatten(info::stream(ctx, argv))),
    ("xinfo|groups", |ctx, argv| flatten(info::groups(ctx, argv))),
    ("xinfo|consumers", |ctx, argv| {
        flatten(info::consumers(ctx, argv))
    }),
];

const XGROUP_HELP: &[&str] = &[
    "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
    "HELP",
    "    Print this help.",
];

const XINFO_HELP: &[&str] = &[
    "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
    "HELP",
    "    Print this help.",
];

/// Redis's help reply: one status string per line.
fn help(lines: &[&str]) -> Frame {
    Frame::Array(
        lines
            .iter()
            .map(|l| Frame::Simple(Bytes::copy_from_slice(l.as_bytes())))
            .collect(),
    )
}

/// The stream at `key`: `Ok(None)` when absent, WRONGTYPE for other types.
fn lookup<'v>(
    db: &'v mut DbView<'_>,
    key: &[u8],
    mode: Access,
) -> Result<Option<&'v mut Stream>, Frame> {
    match db.lookup(key, mode) {
        None => Ok(None),
        Some(Value::Stream(stream)) => Ok(Some(stream)),
        Some(_) => Err(wrong_type()),
    }
}

/// `[id, [field, value, ...]]`, one entry as XRANGE replies it.
fn entry_reply(id: StreamId, fields: &Fields) -> Frame {
    let flat = fields
        .iter()
        .flat_map(|(f, v)| [Frame::Bulk(f.clone()), Frame::Bulk(v.clone())])
        .collect();
    Frame::Array(vec![id.reply(), Frame::Array(flat)])
}

/// A private copy of an argument that is stored in a stream: arguments
/// are views into the connection's read buffer, which must not stay
/// alive as long as the stream.
fn owned(arg: &[u8]) -> Bytes {
    Bytes::copy_from_slice(arg)
}

/// A bulk string from static text.
fn text(s: &'static str) -> Frame {
    Frame::Bulk(Bytes::from_static(s.as_bytes()))
}

/// The `-NOGROUP` error of XPENDING, XCLAIM and XAUTOCLAIM.
fn no_group(key: &[u8], group: &[u8]) -> Frame {
    super::reply::quoting_error(
        "NOGROUP No such key '{}' or consumer group '{}'",
        &[key, group],
    )
}

#[cfg(test)]
mod tests;
