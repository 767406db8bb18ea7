//! The commands consumer-group operations propagate in place of their
//! own argv (`streamPropagateXCLAIM`, `streamPropagateGroupID`,
//! `streamPropagateConsumerCreation`), and the exact trim XADD and XTRIM
//! restate for `~` (`streamRewriteApproxSpecifier`,
//! `streamRewriteTrimArgument`).

use super::groups::{Group, Pending};
use super::id::StreamId;
use super::store::{Strategy, Stream};
use crate::db::{number, word};
use bytes::Bytes;

/// `XCLAIM <key> <group> <consumer> 0 <id> TIME <ms> RETRYCOUNT <n> FORCE
/// JUSTID LASTID <group last id>`: the idempotent statement of one pending
/// entry as it is now.
pub fn xclaim(
    key: &Bytes,
    group_name: &Bytes,
    group: &Group,
    id: Bytes,
    p: &Pending,
) -> Vec<Bytes> {
    vec![
        word("XCLAIM"),
        key.clone(),
        group_name.clone(),
        p.consumer.clone(),
        word("0"),
        id,
        word("TIME"),
        number(p.delivery_time),
        word("RETRYCOUNT"),
        Bytes::from(p.delivery_count.to_string()),
        word("FORCE"),
        word("JUSTID"),
        word("LASTID"),
        id_arg(group.last_id),
    ]
}

/// `XGROUP SETID <key> <group> <last id> ENTRIESREAD <n>` (-1 when unknown).
pub fn setid(key: &Bytes, group_name: &Bytes, group: &Group) -> Vec<Bytes> {
    let read = group
        .entries_read
        .map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
    vec![
        word("XGROUP"),
        word("SETID"),
        key.clone(),
        group_name.clone(),
        id_arg(group.last_id),
        word("ENTRIESREAD"),
        number(read),
    ]
}

/// `XGROUP CREATECONSUMER <key> <group> <consumer>`.
pub fn create_consumer(key: &Bytes, group_name: &Bytes, consumer: &Bytes) -> Vec<Bytes> {
    vec![
        word("XGROUP"),
        word("CREATECONSUMER"),
        key.clone(),
        group_name.clone(),
        consumer.clone(),
    ]
}

/// An id as an argument.
pub fn id_arg(id: StreamId) -> Bytes {
    Bytes::from(id.to_string())
}

/// `argv` with the approximate trim at `value_at` (the `~` just before
/// it) restated as exact: `= <length>` for MAXLEN, `= <first id>` for
/// MINID, the first id counting deleted entries still in the first node
/// (`streamGetEdgeID` without skipping tombstones; an empty stream's is
/// the largest id).
pub fn exact_trim(argv: &mut [Bytes], value_at: usize, s: &Stream, strategy: Strategy) {
    argv[value_at - 1] = word("=");
    argv[value_at] = match strategy {
        Strategy::MaxLen(_) => Bytes::from(s.len().to_string()),
        Strategy::MinId(_) => id_arg(s.node_keys().next().unwrap_or(StreamId::MAX)),
    };
}
