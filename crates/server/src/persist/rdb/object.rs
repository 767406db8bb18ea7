//! Decoding one value of a given type code into a plain collection,
//! whatever encoding the file used for it. The keyspace side then builds
//! its own representation (see `persist::types`).

use super::error::RdbError;
use super::module::{self, ModuleValue};
use super::opcodes::*;
use super::reader::Reader;
use super::{intset, listpack, quicklist, stream, ziplist, zipmap};

/// Field/value pairs of a hash.
pub type Pairs = Vec<(Vec<u8>, Vec<u8>)>;
/// An embedded-encoding decoder (listpack, ziplist).
type BlobDecoder = fn(&[u8]) -> Result<Vec<Vec<u8>>, RdbError>;

/// A value as the file holds it, encoding aside.
#[derive(Debug, Clone, PartialEq)]
pub enum RdbObject {
    String(Vec<u8>),
    List(Vec<Vec<u8>>),
    /// The members, and the encoding the payload had (Redis 7.2 loads a
    /// set differently for each).
    Set(Vec<Vec<u8>>, SetPayload),
    Hash(Pairs),
    ZSet(Vec<(Vec<u8>, f64)>),
    Stream(Box<stream::RdbStream>),
    /// A module type's value (`RDB_TYPE_MODULE_2`), of a type moat knows.
    Module(ModuleValue),
}

/// How an RDB set payload was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetPayload {
    /// `RDB_TYPE_SET`: members one by one.
    Members,
    /// `RDB_TYPE_SET_INTSET`.
    Intset,
    /// `RDB_TYPE_SET_LISTPACK`.
    Listpack,
}

impl RdbObject {
    /// The `TYPE` name of the value.
    pub fn type_name(&self) -> &'static str {
        match self {
            RdbObject::String(_) => "string",
            RdbObject::List(_) => "list",
            RdbObject::Set(..) => "set",
            RdbObject::Hash(_) => "hash",
            RdbObject::ZSet(_) => "zset",
            RdbObject::Stream(_) => "stream",
            // `TYPE` answers a module value with its type's name.
            RdbObject::Module(m) => m.type_name,
        }
    }
}

/// Whether `code` is a value type (as opposed to an opcode).
pub fn is_value_type(code: u8) -> bool {
    code <= TYPE_STREAM_LISTPACKS_3 && code != 8
}

/// `rdbLoadObject` for type `code`.
pub fn decode(code: u8, r: &mut Reader<'_>) -> Result<RdbObject, RdbError> {
    let at = r.pos();
    Ok(match code {
        TYPE_STRING => RdbObject::String(r.string()?),
        TYPE_LIST => {
            let n = r.count("list element")?;
            RdbObject::List((0..n).map(|_| r.string()).collect::<Result<_, _>>()?)
        }
        TYPE_SET => {
            let n = r.count("set member")?;
            RdbObject::Set(
                (0..n).map(|_| r.string()).collect::<Result<_, _>>()?,
                SetPayload::Members,
            )
        }
        TYPE_ZSET | TYPE_ZSET_2 => {
            let n = r.count("sorted set member")?;
            let mut members = Vec::with_capacity(n);
            for _ in 0..n {
                let member = r.string()?;
                let score = if code == TYPE_ZSET_2 {
                    r.binary_double()?
                } else {
                    r.text_double()?
                };
                if score.is_nan() {
                    return Err(RdbError::new(at, "sorted set score is NaN"));
                }
                members.push((member, score));
            }
            RdbObject::ZSet(members)
        }
        TYPE_HASH => {
            let n = r.count("hash field")?;
            let mut pairs = Vec::with_capacity(n);
            for _ in 0..n {
                pairs.push((r.string()?, r.string()?));
            }
            RdbObject::Hash(pairs)
        }
        TYPE_HASH_ZIPMAP => {
            let blob = r.string()?;
            RdbObject::Hash(zipmap::decode(&blob).map_err(|e| e.within(at, "zipmap"))?)
        }
        TYPE_LIST_ZIPLIST => RdbObject::List(blob_elements(r, ziplist::decode, "ziplist")?),
        TYPE_SET_INTSET => {
            let blob = r.string()?;
            let ints = intset::decode(&blob).map_err(|e| e.within(at, "intset"))?;
            RdbObject::Set(
                ints.iter().map(|n| n.to_string().into_bytes()).collect(),
                SetPayload::Intset,
            )
        }
        TYPE_SET_LISTPACK => RdbObject::Set(
            blob_elements(r, listpack::decode, "listpack")?,
            SetPayload::Listpack,
        ),
        TYPE_ZSET_ZIPLIST => {
            RdbObject::ZSet(scored(blob_elements(r, ziplist::decode, "ziplist")?, at)?)
        }
        TYPE_ZSET_LISTPACK => {
            RdbObject::ZSet(scored(blob_elements(r, listpack::decode, "listpack")?, at)?)
        }
        TYPE_HASH_ZIPLIST => {
            RdbObject::Hash(paired(blob_elements(r, ziplist::decode, "ziplist")?, at)?)
        }
        TYPE_HASH_LISTPACK => {
            RdbObject::Hash(paired(blob_elements(r, listpack::decode, "listpack")?, at)?)
        }
        TYPE_LIST_QUICKLIST => RdbObject::List(quicklist::decode_v1(r)?),
        TYPE_LIST_QUICKLIST_2 => RdbObject::List(quicklist::decode_v2(r)?),
        TYPE_STREAM_LISTPACKS | TYPE_STREAM_LISTPACKS_2 | TYPE_STREAM_LISTPACKS_3 => {
            RdbObject::Stream(Box::new(stream::decode(code, r)?))
        }
        TYPE_MODULE_2 => RdbObject::Module(module::decode(r)?),
        // Redis's words: that format has no opcodes to walk.
        TYPE_MODULE_PRE_GA => {
            return Err(RdbError::new(at, "Pre-release module format not supported"))
        }
        other => return Err(RdbError::new(at, format!("unknown value type {other}"))),
    })
}

/// A string holding an embedded encoding, decoded with `decode`.
fn blob_elements(
    r: &mut Reader<'_>,
    decode: BlobDecoder,
    name: &str,
) -> Result<Vec<Vec<u8>>, RdbError> {
    let at = r.pos();
    let blob = r.string()?;
    let elements = decode(&blob).map_err(|e| e.within(at, name))?;
    if elements.is_empty() {
        return Err(RdbError::new(at, format!("empty {name}")));
    }
    Ok(elements)
}

fn paired(elements: Vec<Vec<u8>>, at: usize) -> Result<Pairs, RdbError> {
    if !elements.len().is_multiple_of(2) {
        return Err(RdbError::new(
            at,
            "odd number of elements in a hash encoding",
        ));
    }
    let mut it = elements.into_iter();
    let mut out = Vec::new();
    while let (Some(f), Some(v)) = (it.next(), it.next()) {
        out.push((f, v));
    }
    Ok(out)
}

fn scored(elements: Vec<Vec<u8>>, at: usize) -> Result<Vec<(Vec<u8>, f64)>, RdbError> {
    paired(elements, at)?
        .into_iter()
        .map(
            |(member, score)| match super::reader::parse_double(&score) {
                Some(s) if !s.is_nan() => Ok((member, s)),
                _ => Err(RdbError::new(at, "invalid sorted set score")),
            },
        )
        .collect()
}
