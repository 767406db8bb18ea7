//! Hashes: written as `RDB_TYPE_HASH_LISTPACK` while small (Redis 7.0
//! knows it) and `RDB_TYPE_HASH` when big; loaded from any hash encoding
//! into listpack or hashtable by the configured thresholds.

use crate::db::{HashValue, Thresholds, Value};
use crate::persist::rdb::opcodes::{TYPE_HASH, TYPE_HASH_LISTPACK};
use crate::persist::rdb::{listpack, RdbWriter};
use std::io::{self, Write};

pub fn type_code(h: &HashValue) -> u8 {
    match h {
        HashValue::Packed(_) => TYPE_HASH_LISTPACK,
        HashValue::Table(_) => TYPE_HASH,
    }
}

pub fn write<W: Write>(w: &mut RdbWriter<W>, h: &HashValue) -> io::Result<()> {
    match h {
        HashValue::Packed(p) => w.string(&listpack::encode(p.iter())),
        HashValue::Table(_) => {
            w.length(h.len() as u64)?;
            for (field, value) in h.iter() {
                w.string(field)?;
                w.string(value)?;
            }
            Ok(())
        }
    }
}

pub fn build(pairs: Vec<(Vec<u8>, Vec<u8>)>, limits: &Thresholds) -> Result<Value, String> {
    if pairs.is_empty() {
        return Err("empty hash".into());
    }
    let mut h = HashValue::default();
    for (field, value) in &pairs {
        if !h.insert(field, value, limits) {
            return Err("duplicate hash fields detected".into());
        }
    }
    Ok(Value::Hash(h))
}
