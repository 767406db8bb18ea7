//! Sorted sets: `RDB_TYPE_ZSET_LISTPACK` while a listpack (Redis 7.0
//! knows it), `RDB_TYPE_ZSET_2` (binary doubles, greatest first as Redis
//! writes them) when a skiplist; loaded from any sorted set encoding
//! into the encoding the member count and lengths call for.

use crate::db::{AddFlags, Outcome, Thresholds, Value, ZSetValue};
use crate::persist::rdb::opcodes::{TYPE_ZSET_2, TYPE_ZSET_LISTPACK};
use crate::persist::rdb::{listpack, RdbWriter};
use std::io::{self, Write};

pub fn type_code(z: &ZSetValue) -> u8 {
    match z {
        ZSetValue::Packed(_) => TYPE_ZSET_LISTPACK,
        ZSetValue::Skip(_) => TYPE_ZSET_2,
    }
}

pub fn write<W: Write>(w: &mut RdbWriter<W>, z: &ZSetValue) -> io::Result<()> {
    match z {
        // The packed form holds member and score text pairs, the score as
        // Redis's `d2string` writes it: the listpack Redis would have.
        ZSetValue::Packed(p) => w.string(&listpack::encode(p.iter())),
        ZSetValue::Skip(_) => {
            w.length(z.len() as u64)?;
            for (member, score) in z.iter().rev() {
                w.string(member)?;
                w.binary_double(score)?;
            }
            Ok(())
        }
    }
}

pub fn build(members: Vec<(Vec<u8>, f64)>, limits: &Thresholds) -> Result<Value, String> {
    if members.is_empty() {
        return Err("empty sorted set".into());
    }
    let max_len = members.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
    let mut z = ZSetValue::create(members.len(), max_len, limits);
    for (member, score) in &members {
        match z.add(member, *score, AddFlags::default(), limits) {
            Ok((Outcome::Added, _)) => {}
            Ok(_) => return Err("duplicate sorted set members detected".into()),
            Err(_) => return Err("sorted set score is NaN".into()),
        }
    }
    Ok(Value::ZSet(z))
}
