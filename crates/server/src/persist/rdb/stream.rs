//! Streams as Redis 5+ writes them (`RDB_TYPE_STREAM_LISTPACKS`, `_2` of
//! Redis 7.0, `_3` of 7.2): listpack nodes keyed by their master id, the
//! stream's counters, then consumer groups with their PEL and consumers.
//! Decoding yields plain data (ids as `(ms, seq)` pairs); encoding writes
//! version 2, what Redis 7.0 reads.

use super::error::RdbError;
use super::listpack;
use super::opcodes::{TYPE_STREAM_LISTPACKS, TYPE_STREAM_LISTPACKS_3};
use super::reader::Reader;
use super::writer::RdbWriter;
use std::io::{self, Write};

pub type Id = (u64, u64);
/// An entry as decoded: its id and field-value pairs.
pub type Entry = (Id, Vec<(Vec<u8>, Vec<u8>)>);
/// An entry to write, borrowed from the stream.
pub type EntryOut<'a> = (Id, Vec<(&'a [u8], &'a [u8])>);

/// Entry flags in a node (`STREAM_ITEM_FLAG_*`).
const FLAG_DELETED: i64 = 1;
const FLAG_SAMEFIELDS: i64 = 2;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct RdbStream {
    /// Live entries in id order.
    pub entries: Vec<Entry>,
    /// Where each node of the file starts in `entries` (nodes left with
    /// no live entry are not listed).
    pub node_starts: Vec<usize>,
    pub last_id: Id,
    /// Version 2+ only (older files: derived by the loader).
    pub first_id: Option<Id>,
    pub max_deleted_id: Id,
    pub entries_added: Option<u64>,
    pub groups: Vec<RdbGroup>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RdbGroup {
    pub name: Vec<u8>,
    pub last_id: Id,
    /// `None`: unknown (`SCG_INVALID_ENTRIES_READ`, or a version 1 file).
    pub entries_read: Option<u64>,
    /// Id, delivery time, delivery count.
    pub pel: Vec<(Id, i64, u64)>,
    pub consumers: Vec<RdbConsumer>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RdbConsumer {
    pub name: Vec<u8>,
    pub seen_time: i64,
    /// Version 3 only.
    pub active_time: Option<i64>,
    pub pel: Vec<Id>,
}

/// `streamID` as stored: two big-endian 64-bit halves.
fn raw_id(bytes: &[u8], at: usize) -> Result<Id, RdbError> {
    let bytes: [u8; 16] = bytes
        .try_into()
        .map_err(|_| RdbError::new(at, "stream id is not 16 bytes"))?;
    let (ms, seq) = bytes.split_at(8);
    Ok((
        u64::from_be_bytes(ms.try_into().unwrap_or_default()),
        u64::from_be_bytes(seq.try_into().unwrap_or_default()),
    ))
}

fn encode_id(id: Id) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&id.0.to_be_bytes());
    out[8..].copy_from_slice(&id.1.to_be_bytes());
    out
}

fn length_id(r: &mut Reader<'_>) -> Result<Id, RdbError> {
    Ok((r.length()?, r.length()?))
}

pub fn decode(code: u8, r: &mut Reader<'_>) -> Result<RdbStream, RdbError> {
    let version = match code {
        TYPE_STREAM_LISTPACKS => 1,
        TYPE_STREAM_LISTPACKS_3 => 3,
        _ => 2,
    };
    let mut s = RdbStream::default();
    let nodes = r.count("stream node")?;
    for _ in 0..nodes {
        let at = r.pos();
        let master = raw_id(&r.string()?, at)?;
        let at = r.pos();
        let blob = r.string()?;
        let elements = listpack::decode(&blob).map_err(|e| e.within(at, "stream listpack node"))?;
        let start = s.entries.len();
        node_entries(master, &elements, &mut s.entries)
            .map_err(|what| RdbError::new(at, format!("invalid stream node: {what}")))?;
        if s.entries.len() > start {
            s.node_starts.push(start);
        }
    }
    let at = r.pos();
    let length = r.length()?;
    if length != s.entries.len() as u64 {
        return Err(RdbError::new(
            at,
            format!(
                "stream length {length} but its nodes hold {} entries",
                s.entries.len()
            ),
        ));
    }
    if s.entries.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err(RdbError::new(at, "stream entries out of order"));
    }
    s.last_id = length_id(r)?;
    if version >= 2 {
        s.first_id = Some(length_id(r)?);
        s.max_deleted_id = length_id(r)?;
        s.entries_added = Some(r.length()?);
    }
    let groups = r.count("consumer group")?;
    for _ in 0..groups {
        let name = r.string()?;
        let last_id = length_id(r)?;
        let entries_read = if version >= 2 {
            Some(r.length()?).filter(|&n| n != u64::MAX)
        } else {
            None
        };
        let mut pel = Vec::new();
        for _ in 0..r.count("pending entry")? {
            let at = r.pos();
            let id = raw_id(r.take(16, "a pending entry id")?, at)?;
            let time = r.i64_le("a delivery time")?;
            let count = r.length()?;
            pel.push((id, time, count));
        }
        let mut consumers = Vec::new();
        for _ in 0..r.count("consumer")? {
            let name = r.string()?;
            let seen_time = r.i64_le("a consumer seen time")?;
            let active_time = if version >= 3 {
                Some(r.i64_le("a consumer active time")?)
            } else {
                None
            };
            let mut owned = Vec::new();
            for _ in 0..r.count("consumer pending entry")? {
                let at = r.pos();
                owned.push(raw_id(r.take(16, "a pending entry id")?, at)?);
            }
            consumers.push(RdbConsumer {
                name,
                seen_time,
                active_time,
                pel: owned,
            });
        }
        s.groups.push(RdbGroup {
            name,
            last_id,
            entries_read,
            pel,
            consumers,
        });
    }
    Ok(s)
}

fn int(element: Option<&Vec<u8>>) -> Result<i64, String> {
    element
        .and_then(|e| moat_resp::string2ll(e))
        .ok_or_else(|| "expected an integer".to_owned())
}

/// The live entries of one node: the master entry (count, deleted,
/// field names, 0), then per entry flags, id deltas, fields or values,
/// and the entry's element count.
fn node_entries(master: Id, elements: &[Vec<u8>], out: &mut Vec<Entry>) -> Result<(), String> {
    let mut it = elements.iter();
    let live = int(it.next())?;
    let deleted = int(it.next())?;
    let master_count = usize::try_from(int(it.next())?).map_err(|_| "negative field count")?;
    let mut master_fields = Vec::with_capacity(master_count.min(elements.len()));
    for _ in 0..master_count {
        master_fields.push(it.next().ok_or("master entry cut short")?.clone());
    }
    if int(it.next())? != 0 {
        return Err("master entry without its terminator".into());
    }
    let (mut seen_live, mut seen_deleted) = (0i64, 0i64);
    while let Some(flags) = it.next() {
        let flags = int(Some(flags))?;
        let ms = master.0.wrapping_add(int(it.next())? as u64);
        let seq = master.1.wrapping_add(int(it.next())? as u64);
        let mut fields = Vec::new();
        if flags & FLAG_SAMEFIELDS != 0 {
            for field in &master_fields {
                let value = it.next().ok_or("entry cut short")?;
                fields.push((field.clone(), value.clone()));
            }
        } else {
            let n = usize::try_from(int(it.next())?).map_err(|_| "negative field count")?;
            for _ in 0..n {
                let field = it.next().ok_or("entry cut short")?;
                let value = it.next().ok_or("entry cut short")?;
                fields.push((field.clone(), value.clone()));
            }
        }
        int(it.next())?;
        if flags & FLAG_DELETED != 0 {
            seen_deleted += 1;
        } else {
            seen_live += 1;
            out.push(((ms, seq), fields));
        }
    }
    if (seen_live, seen_deleted) != (live, deleted) {
        return Err("entry counts do not match the master entry".into());
    }
    Ok(())
}

/// One node to write: its master id and field names, and its live
/// entries in order.
pub struct NodeOut<'a> {
    pub master: Id,
    pub master_fields: Vec<&'a [u8]>,
    pub entries: Vec<EntryOut<'a>>,
}

/// Everything after the nodes, as version 2 writes it.
pub struct StreamMeta<'a> {
    pub length: u64,
    pub last_id: Id,
    pub first_id: Id,
    pub max_deleted_id: Id,
    pub entries_added: u64,
    pub groups: Vec<GroupOut<'a>>,
}

pub struct GroupOut<'a> {
    pub name: &'a [u8],
    pub last_id: Id,
    pub entries_read: Option<u64>,
    pub pel: Vec<(Id, i64, u64)>,
    pub consumers: Vec<(&'a [u8], i64, Vec<Id>)>,
}

/// The listpack of one node, as `streamAppendItem` builds it (deleted
/// entries are not kept, so the deleted count is 0).
fn node_listpack(node: &NodeOut<'_>) -> Vec<u8> {
    let mut items: Vec<Vec<u8>> = Vec::new();
    let num = |n: i64| n.to_string().into_bytes();
    items.push(num(node.entries.len() as i64));
    items.push(num(0));
    items.push(num(node.master_fields.len() as i64));
    items.extend(node.master_fields.iter().map(|f| f.to_vec()));
    items.push(num(0));
    for (id, fields) in &node.entries {
        let same = fields.len() == node.master_fields.len()
            && fields
                .iter()
                .zip(&node.master_fields)
                .all(|((f, _), m)| f == m);
        items.push(num(if same { FLAG_SAMEFIELDS } else { 0 }));
        items.push(num(id.0.wrapping_sub(node.master.0) as i64));
        items.push(num(id.1.wrapping_sub(node.master.1) as i64));
        if same {
            items.extend(fields.iter().map(|(_, v)| v.to_vec()));
            items.push(num(fields.len() as i64 + 3));
        } else {
            items.push(num(fields.len() as i64));
            for (f, v) in fields {
                items.push(f.to_vec());
                items.push(v.to_vec());
            }
            items.push(num(fields.len() as i64 * 2 + 4));
        }
    }
    listpack::encode(items.iter().map(Vec::as_slice))
}

/// `RDB_TYPE_STREAM_LISTPACKS_2`'s value.
pub fn encode<W: Write>(
    w: &mut RdbWriter<W>,
    nodes: &[NodeOut<'_>],
    meta: &StreamMeta<'_>,
) -> io::Result<()> {
    let nodes: Vec<&NodeOut<'_>> = nodes.iter().filter(|n| !n.entries.is_empty()).collect();
    w.length(nodes.len() as u64)?;
    for node in nodes {
        w.string(&encode_id(node.master))?;
        w.string(&node_listpack(node))?;
    }
    w.length(meta.length)?;
    for id in [meta.last_id, meta.first_id, meta.max_deleted_id] {
        w.length(id.0)?;
        w.length(id.1)?;
    }
    w.length(meta.entries_added)?;
    w.length(meta.groups.len() as u64)?;
    for g in &meta.groups {
        w.string(g.name)?;
        w.length(g.last_id.0)?;
        w.length(g.last_id.1)?;
        w.length(g.entries_read.unwrap_or(u64::MAX))?;
        w.length(g.pel.len() as u64)?;
        for (id, time, count) in &g.pel {
            w.raw(&encode_id(*id))?;
            w.raw(&time.to_le_bytes())?;
            w.length(*count)?;
        }
        w.length(g.consumers.len() as u64)?;
        for (name, seen, pel) in &g.consumers {
            w.string(name)?;
            w.raw(&seen.to_le_bytes())?;
            w.length(pel.len() as u64)?;
            for id in pel {
                w.raw(&encode_id(*id))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::opcodes::TYPE_STREAM_LISTPACKS_2;
    use super::super::writer::WriteOptions;
    use super::*;

    fn lp(items: &[&str]) -> Vec<u8> {
        listpack::encode(items.iter().map(|s| s.as_bytes()))
    }

    /// A node as Redis leaves it after XDEL: a deleted entry still in the
    /// listpack, an entry with other fields than the master's.
    fn node_with_tombstone() -> Vec<u8> {
        lp(&[
            "2", "1", "1", "a", "0", // master: 2 live, 1 deleted, fields [a]
            "2", "0", "0", "v1", "4", // 1-0, same fields
            "3", "0", "1", "v2", "4", // 1-1, deleted
            "0", "1", "0", "1", "b", "v3", "6", // 2-0, own fields
        ])
    }

    /// Writes a record body with `body` and decodes it as `code`.
    fn decode_body(
        code: u8,
        body: impl FnOnce(&mut RdbWriter<Vec<u8>>),
    ) -> Result<RdbStream, RdbError> {
        let mut w = RdbWriter::new(Vec::new(), WriteOptions::default()).unwrap();
        body(&mut w);
        let bytes = w.finish().unwrap();
        decode(code, &mut Reader::new(&bytes[9..]))
    }

    #[test]
    fn version_1_records_and_tombstones_decode() {
        let s = decode_body(TYPE_STREAM_LISTPACKS, |w| {
            w.length(1).unwrap();
            w.string(&encode_id((1, 0))).unwrap();
            w.string(&node_with_tombstone()).unwrap();
            w.length(2).unwrap(); // length
            w.length(2).unwrap(); // last id
            w.length(0).unwrap();
            w.length(1).unwrap(); // one group, no entries-read in v1
            w.string(b"g").unwrap();
            w.length(1).unwrap();
            w.length(0).unwrap();
            w.length(1).unwrap(); // PEL: 1-0
            w.raw(&encode_id((1, 0))).unwrap();
            w.raw(&1234i64.to_le_bytes()).unwrap();
            w.length(3).unwrap();
            w.length(1).unwrap(); // one consumer, no active time in v1
            w.string(b"alice").unwrap();
            w.raw(&999i64.to_le_bytes()).unwrap();
            w.length(1).unwrap();
            w.raw(&encode_id((1, 0))).unwrap();
        })
        .unwrap();
        assert_eq!(
            s.entries,
            vec![
                ((1, 0), vec![(b"a".to_vec(), b"v1".to_vec())]),
                ((2, 0), vec![(b"b".to_vec(), b"v3".to_vec())]),
            ]
        );
        assert_eq!((s.first_id, s.entries_added), (None, None));
        let g = &s.groups[0];
        assert_eq!((g.last_id, g.entries_read), ((1, 0), None));
        assert_eq!(g.pel, vec![((1, 0), 1234, 3)]);
        assert_eq!(g.consumers[0].name, b"alice");
        assert_eq!(
            (g.consumers[0].seen_time, g.consumers[0].active_time),
            (999, None)
        );
    }

    #[test]
    fn version_2_round_trips_and_bad_counts_fail() {
        let node = NodeOut {
            master: (5, 0),
            master_fields: vec![b"f"],
            entries: vec![
                ((5, 0), vec![(b"f", b"1")]),
                ((5, 7), vec![(b"f", b"2"), (b"g", b"3")]),
                ((9, 0), vec![(b"f", b"4")]),
            ],
        };
        let meta = StreamMeta {
            length: 3,
            last_id: (10, 0),
            first_id: (5, 0),
            max_deleted_id: (4, 0),
            entries_added: 6,
            groups: vec![GroupOut {
                name: b"g",
                last_id: (5, 7),
                entries_read: None,
                pel: vec![((5, 7), 77, 2)],
                consumers: vec![(b"c", 66, vec![(5, 7)])],
            }],
        };
        let s = decode_body(TYPE_STREAM_LISTPACKS_2, |w| {
            encode(w, &[node], &meta).unwrap()
        })
        .unwrap();
        assert_eq!(s.entries.len(), 3);
        assert_eq!(s.entries[1].1.len(), 2);
        assert_eq!(
            (s.first_id, s.max_deleted_id, s.entries_added),
            (Some((5, 0)), (4, 0), Some(6))
        );
        assert_eq!(s.groups[0].entries_read, None);
        assert_eq!(s.groups[0].consumers[0].pel, vec![(5, 7)]);

        // A length that disagrees with the nodes is refused.
        let err = decode_body(TYPE_STREAM_LISTPACKS_2, |w| {
            w.length(1).unwrap();
            w.string(&encode_id((1, 0))).unwrap();
            w.string(&node_with_tombstone()).unwrap();
            w.length(3).unwrap();
        })
        .unwrap_err();
        assert!(err.what.contains("stream length 3"), "{err}");
        // So is a master entry whose counts lie.
        let mut lying = node_with_tombstone();
        lying[6] = 0x03; // live count 2 -> 3 (the first entry, after the header)
        let err = decode_body(TYPE_STREAM_LISTPACKS_2, |w| {
            w.length(1).unwrap();
            w.string(&encode_id((1, 0))).unwrap();
            w.string(&lying).unwrap();
        })
        .unwrap_err();
        assert!(err.what.contains("invalid stream node"), "{err}");
    }
}
