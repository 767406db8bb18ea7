//! Sets: intsets as `RDB_TYPE_SET_INTSET`, others as plain `RDB_TYPE_SET`
//! (never `SET_LISTPACK`, which Redis 7.0 cannot read); loaded into the
//! encoding Redis 7.2 picks for the members and thresholds.

use crate::db::{SetValue, Thresholds, Value};
use crate::persist::rdb::opcodes::{TYPE_SET, TYPE_SET_INTSET};
use crate::persist::rdb::{intset, RdbWriter};
use std::io::{self, Write};

pub fn type_code(s: &SetValue) -> u8 {
    match s.encoding() {
        "intset" => TYPE_SET_INTSET,
        _ => TYPE_SET,
    }
}

pub fn write<W: Write>(w: &mut RdbWriter<W>, s: &SetValue) -> io::Result<()> {
    match type_code(s) {
        TYPE_SET_INTSET => {
            let values: Vec<i64> = s
                .iter()
                .filter_map(|member| crate::db::canonical_i64(&member))
                .collect();
            w.string(&intset::encode(&values))
        }
        _ => {
            w.length(s.len() as u64)?;
            for member in s.iter() {
                w.string(&member)?;
            }
            Ok(())
        }
    }
}

pub fn build(members: Vec<Vec<u8>>, limits: &Thresholds) -> Result<Value, String> {
    if members.is_empty() {
        return Err("empty set".into());
    }
    let first = members.first().map(Vec::as_slice);
    let mut set = SetValue::create(first, members.len(), limits);
    for member in &members {
        if !set.add(member, limits) {
            return Err("duplicate set members detected".into());
        }
    }
    Ok(Value::Set(set))
}
