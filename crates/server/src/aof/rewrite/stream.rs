//! Streams in a rewritten base, as Redis's `rewriteStreamObject` writes
//! them: every entry with its explicit id (`XADD key id field value ...`),
//! the stream's counters (`XSETID key last-id ENTRIESADDED n MAXDELETEDID
//! id`; an empty stream is first created with `XADD key MAXLEN 0 id x y`),
//! then each group (`XGROUP CREATE key group id ENTRIESREAD n`), its
//! pending entries (`XCLAIM key group consumer 0 id TIME ms RETRYCOUNT n
//! JUSTID FORCE`) and consumers without pending entries (`XGROUP
//! CREATECONSUMER`).

use crate::aof::encode;
use crate::cmd::stream::Stream;

pub fn emit(out: &mut Vec<u8>, key: &[u8], stream: &Stream) {
    if stream.entries.is_empty() {
        let id = stream.last_id.to_string();
        encode::command(
            out,
            &[
                &b"XADD"[..],
                key,
                b"MAXLEN",
                b"0",
                id.as_bytes(),
                b"x",
                b"y",
            ],
        );
    }
    for (id, fields) in &stream.entries {
        let id = id.to_string();
        let mut argv: Vec<&[u8]> = vec![b"XADD", key, id.as_bytes()];
        for (field, value) in fields {
            argv.push(field);
            argv.push(value);
        }
        encode::command(out, &argv);
    }
    let last = stream.last_id.to_string();
    let added = stream.entries_added.to_string();
    let max_deleted = stream.max_deleted_id.to_string();
    encode::command(
        out,
        &[
            &b"XSETID"[..],
            key,
            last.as_bytes(),
            b"ENTRIESADDED",
            added.as_bytes(),
            b"MAXDELETEDID",
            max_deleted.as_bytes(),
        ],
    );
    for (name, group) in &stream.groups {
        let group_last = group.last_id.to_string();
        let mut create: Vec<Vec<u8>> = vec![
            b"XGROUP".to_vec(),
            b"CREATE".to_vec(),
            key.to_vec(),
            name.to_vec(),
            group_last.into_bytes(),
        ];
        if let Some(read) = group.entries_read {
            create.push(b"ENTRIESREAD".to_vec());
            create.push(read.to_string().into_bytes());
        }
        let create: Vec<&[u8]> = create.iter().map(Vec::as_slice).collect();
        encode::command(out, &create);
        for (id, pending) in &group.pel {
            let (id, time, count) = (
                id.to_string(),
                pending.delivery_time.to_string(),
                pending.delivery_count.to_string(),
            );
            encode::command(
                out,
                &[
                    &b"XCLAIM"[..],
                    key,
                    name,
                    &pending.consumer,
                    b"0",
                    id.as_bytes(),
                    b"TIME",
                    time.as_bytes(),
                    b"RETRYCOUNT",
                    count.as_bytes(),
                    b"JUSTID",
                    b"FORCE",
                ],
            );
        }
        for (consumer, state) in &group.consumers {
            if state.pel.is_empty() {
                encode::command(
                    out,
                    &[&b"XGROUP"[..], b"CREATECONSUMER", key, name, consumer],
                );
            }
        }
    }
}
