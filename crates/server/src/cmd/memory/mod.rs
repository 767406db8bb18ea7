//! MEMORY USAGE and MEMORY HELP (`memoryCommand`): what one key takes,
//! sized by [`crate::db::memory`] (streams by `cmd::stream::memory`, JSON
//! documents by [`json`]). The server-wide subcommands (STATS, DOCTOR,
//! MALLOC-STATS, PURGE) are session commands: `session_cmds/memory.rs`.

mod json;

use super::args::{is, parse_i64};
use super::reply::{flatten, syntax_error, Reply};
use super::{Ctx, Handler};
use crate::db::memory::{entry_bytes, value_bytes, DEFAULT_SAMPLES};
use crate::db::Value;
use bytes::Bytes;
use moat_resp::Frame;

pub fn handlers() -> &'static [(&'static str, Handler)] {
    HANDLERS
}

const HANDLERS: &[(&str, Handler)] = &[
    ("memory|usage", |ctx, argv| flatten(usage(ctx, argv))),
    ("memory|help", |_, _| help()),
];

const HELP: &[&str] = &[
    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
    "HELP",
    "    Print this help.",
];

fn help() -> Frame {
    Frame::Array(HELP.iter().map(|line| Frame::simple(line)).collect())
}

/// `SAMPLES n` (repeatable, the last one counts; 0 means every element).
fn parse_samples(args: &[Bytes]) -> Result<usize, Frame> {
    let mut samples = DEFAULT_SAMPLES;
    let mut i = 0;
    while i < args.len() {
        if !(is(&args[i], "samples") && i + 1 < args.len()) {
            return Err(syntax_error());
        }
        samples = match parse_i64(&args[i + 1])? {
            n if n < 0 => return Err(syntax_error()),
            0 => usize::MAX,
            n => usize::try_from(n).unwrap_or(usize::MAX),
        };
        i += 2;
    }
    Ok(samples)
}

/// Streams and JSON documents, whose insides their own modules know.
fn module_sized(value: &Value, samples: usize) -> usize {
    match value {
        Value::Stream(s) => crate::cmd::stream::memory::heap_bytes(s, samples),
        Value::Json(doc) => json::heap_bytes(doc),
        _ => 0,
    }
}

fn usage(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let samples = parse_samples(&argv[3..])?;
    // Redis's `dbFind`: no lazy expiry, no statistics, no access data.
    let db = ctx.ks.db(ctx.client.db);
    let Some(entry) = db.find(&argv[2]).and_then(|slot| db.entry(slot)) else {
        return Ok(Frame::Null);
    };
    let bytes = entry_bytes(entry) + value_bytes(&entry.value, samples, &module_sized);
    Ok(Frame::Integer(i64::try_from(bytes).unwrap_or(i64::MAX)))
}

#[cfg(test)]
mod tests;
