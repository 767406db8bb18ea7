//! A stream to and from the plain data of an RDB record
//! ([`crate::persist::rdb::stream`]): nodes as moat models them, counters,
//! groups with their PEL and consumers, checked for consistency at load as
//! `rdbLoadObject` checks them.

use super::groups::{self, Consumer, Group, Pending};
use super::id::StreamId;
use super::store::{NodeLimits, Stream};
use crate::persist::rdb::stream::{self as rdb, GroupOut, Id, NodeOut, RdbStream, StreamMeta};
use crate::persist::rdb::RdbWriter;
use bytes::Bytes;
use std::io::{self, Write};

fn pair(id: StreamId) -> Id {
    (id.ms, id.seq)
}

fn id((ms, seq): Id) -> StreamId {
    StreamId::new(ms, seq)
}

/// Writes the value of a `RDB_TYPE_STREAM_LISTPACKS_2` record.
pub fn write_rdb<W: Write>(w: &mut RdbWriter<W>, s: &Stream) -> io::Result<()> {
    let nodes: Vec<NodeOut<'_>> = s
        .node_contents()
        .into_iter()
        .map(|(master, fields, entries)| NodeOut {
            master: pair(master),
            master_fields: fields.iter().map(|f| &f[..]).collect(),
            entries: entries
                .into_iter()
                .map(|(entry, fields)| {
                    (
                        pair(entry),
                        fields.iter().map(|(f, v)| (&f[..], &v[..])).collect(),
                    )
                })
                .collect(),
        })
        .collect();
    let meta = StreamMeta {
        length: s.len() as u64,
        last_id: pair(s.last_id),
        first_id: pair(s.first_id),
        max_deleted_id: pair(s.max_deleted_id),
        entries_added: s.entries_added,
        groups: s
            .groups
            .iter()
            .map(|(name, g)| GroupOut {
                name,
                last_id: pair(g.last_id),
                entries_read: g.entries_read,
                pel: g
                    .pel
                    .iter()
                    .map(|(entry, p)| (pair(*entry), p.delivery_time, p.delivery_count))
                    .collect(),
                consumers: g
                    .consumers
                    .iter()
                    .map(|(name, c)| {
                        (
                            &name[..],
                            c.seen_time,
                            c.pel.iter().copied().map(pair).collect(),
                        )
                    })
                    .collect(),
            })
            .collect(),
    };
    rdb::encode(w, &nodes, &meta)
}

/// The stream a decoded record describes, or why it is inconsistent.
pub fn from_rdb(r: RdbStream) -> Result<Stream, String> {
    let mut s = Stream::default();
    // The file's nodes are kept as they were, as Redis keeps them: a node
    // starts exactly where one started in the file (limits of one entry),
    // and nothing else opens one (no limits).
    let (starts_node, fills_node) = (NodeLimits::new(1, 0), NodeLimits::new(0, 0));
    let mut starts = r.node_starts.iter().peekable();
    for (i, (entry, fields)) in r.entries.into_iter().enumerate() {
        let fields = fields
            .into_iter()
            .map(|(f, v)| (Bytes::from(f), Bytes::from(v)))
            .collect();
        let limits = if starts.next_if_eq(&&i).is_some() {
            starts_node
        } else {
            fills_node
        };
        s.append(id(entry), fields, limits);
    }
    let length = s.len() as u64;
    s.last_id = id(r.last_id);
    if s.last_valid_id() > s.last_id {
        return Err("stream entry id above the stream's last id".into());
    }
    // Version 1 files lack the counters: Redis derives them this way.
    s.first_id = match r.first_id {
        Some(first) => id(first),
        None => s.entries.keys().next().copied().unwrap_or(StreamId::MIN),
    };
    s.max_deleted_id = id(r.max_deleted_id);
    s.entries_added = r.entries_added.unwrap_or(length);
    for g in r.groups {
        let last_id = id(g.last_id);
        let entries_read = match r.entries_added {
            Some(_) => g.entries_read,
            None => groups::estimate_entries_read(&s, last_id),
        };
        let mut group = Group::new(last_id, entries_read);
        for (entry, time, count) in g.pel {
            let pending = Pending {
                consumer: Bytes::new(),
                delivery_time: time,
                delivery_count: count,
            };
            if group.pel.insert(id(entry), pending).is_some() {
                return Err("duplicated global PEL entry".into());
            }
        }
        for c in g.consumers {
            let name = Bytes::from(c.name);
            let mut consumer = Consumer::new(c.seen_time);
            consumer.active_time = c.active_time.unwrap_or(c.seen_time);
            for entry in c.pel {
                let entry = id(entry);
                let Some(pending) = group.pel.get_mut(&entry) else {
                    return Err("consumer entry not found in group global PEL".into());
                };
                if !pending.consumer.is_empty() || !consumer.pel.insert(entry) {
                    return Err("pending entry owned twice".into());
                }
                pending.consumer = name.clone();
            }
            if group.consumers.insert(name, consumer).is_some() {
                return Err("duplicated consumer name".into());
            }
        }
        if group.pel.values().any(|p| p.consumer.is_empty()) {
            return Err("group PEL entry without a consumer".into());
        }
        if s.groups.insert(Bytes::from(g.name), group).is_some() {
            return Err("duplicated consumer group name".into());
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persist::rdb::stream::{RdbConsumer, RdbGroup};

    fn record(consumer_pel: Vec<Id>) -> RdbStream {
        RdbStream {
            entries: vec![((1, 0), vec![(b"f".to_vec(), b"v".to_vec())])],
            node_starts: vec![0],
            last_id: (1, 0),
            first_id: None,
            max_deleted_id: (0, 0),
            entries_added: None,
            groups: vec![RdbGroup {
                name: b"g".to_vec(),
                last_id: (1, 0),
                entries_read: None,
                pel: vec![((1, 0), 10, 1)],
                consumers: vec![RdbConsumer {
                    name: b"c".to_vec(),
                    seen_time: 5,
                    active_time: None,
                    pel: consumer_pel,
                }],
            }],
        }
    }

    #[test]
    fn version_1_counters_are_derived_and_owners_linked() {
        let s = from_rdb(record(vec![(1, 0)])).unwrap();
        assert_eq!((s.first_id, s.entries_added), (StreamId::new(1, 0), 1));
        let g = &s.groups[&Bytes::from_static(b"g")];
        // The group read the whole stream: Redis's estimate is exact here.
        assert_eq!(g.entries_read, Some(1));
        assert_eq!(g.pel[&StreamId::new(1, 0)].consumer, "c");
        assert_eq!(g.consumers[&Bytes::from_static(b"c")].active_time, 5);
    }

    /// A stream with several nodes, a group, a consumer and pending
    /// entries, written as a record value.
    fn written() -> (Stream, Vec<u8>) {
        let mut s = Stream::default();
        let limits = NodeLimits::new(3, 4096);
        for i in 1..=10u64 {
            let fields = if i % 4 == 0 {
                vec![(Bytes::from("other"), Bytes::from(i.to_string()))]
            } else {
                vec![(Bytes::from("f"), Bytes::from(i.to_string()))]
            };
            s.append(StreamId::new(i, i % 3), fields, limits);
        }
        let mut g = Group::new(StreamId::new(5, 2), Some(5));
        let name = Bytes::from("alice");
        g.consumers.insert(name.clone(), Consumer::new(42));
        for i in [2u64, 4] {
            let entry = StreamId::new(i, i % 3);
            g.pel.insert(
                entry,
                Pending {
                    consumer: name.clone(),
                    delivery_time: 7,
                    delivery_count: i,
                },
            );
            g.assign(entry, &name);
        }
        s.groups.insert(Bytes::from("g"), g);
        let mut w = RdbWriter::new(Vec::new(), Default::default()).unwrap();
        write_rdb(&mut w, &s).unwrap();
        let mut bytes = w.finish().unwrap();
        bytes.truncate(bytes.len() - 9);
        (s, bytes[9..].to_vec())
    }

    fn read(bytes: &[u8]) -> Result<Stream, String> {
        let mut r = crate::persist::rdb::reader::Reader::new(bytes);
        let decoded = rdb::decode(
            crate::persist::rdb::opcodes::TYPE_STREAM_LISTPACKS_2,
            &mut r,
        )
        .map_err(|e| e.to_string())?;
        from_rdb(decoded)
    }

    #[test]
    fn a_written_stream_reads_back() {
        let (s, bytes) = written();
        let back = read(&bytes).unwrap();
        assert_eq!(back.entries, s.entries);
        assert_eq!(back.node_count(), 4);
        assert_eq!(
            back.node_keys().collect::<Vec<_>>(),
            s.node_keys().collect::<Vec<_>>()
        );
        assert_eq!(
            (back.last_id, back.first_id, back.entries_added),
            (s.last_id, s.first_id, s.entries_added)
        );
        let (g, h) = (
            &back.groups[&Bytes::from("g")],
            &s.groups[&Bytes::from("g")],
        );
        assert_eq!(
            (&g.pel, g.last_id, g.entries_read),
            (&h.pel, h.last_id, h.entries_read)
        );
        assert_eq!(
            g.consumers[&Bytes::from("alice")].pel,
            h.consumers[&Bytes::from("alice")].pel
        );
    }

    proptest::proptest! {
        #[test]
        fn damaged_records_never_panic(at in 0usize..10_000, xor in 1u8..=255, cut in 0usize..10_000) {
            let (_, mut bytes) = written();
            let at = at % bytes.len();
            bytes[at] ^= xor;
            let _ = read(&bytes);
            let _ = read(&bytes[..cut % bytes.len()]);
        }
    }

    #[test]
    fn inconsistent_pels_are_refused() {
        assert!(from_rdb(record(vec![(2, 0)]))
            .unwrap_err()
            .contains("not found"));
        assert!(from_rdb(record(vec![]))
            .unwrap_err()
            .contains("without a consumer"));
        assert!(from_rdb(record(vec![(1, 0), (1, 0)])).is_err());
    }
}
