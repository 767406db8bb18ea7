//! Each data type's side of persistence: how a [`Value`] is written as an
//! RDB record and how a decoded [`RdbObject`] becomes a value with the
//! encoding Redis would give it after loading. One file per type; lists,
//! sorted sets and streams join here when their values exist.

mod hash;
mod set;
mod string;

use super::rdb::{RdbObject, RdbWriter, RecordMeta};
use crate::db::{Thresholds, Value};
use std::io::{self, Write};

/// Writes one key: expiry and access data, type code, key, value.
pub fn write_record<W: Write>(
    w: &mut RdbWriter<W>,
    key: &[u8],
    meta: &RecordMeta,
    value: &Value,
) -> io::Result<()> {
    match value {
        Value::Str(s) => string::write(w, key, meta, s),
        Value::Hash(h) => hash::write(w, key, meta, h),
        Value::Set(s) => set::write(w, key, meta, s),
        other => Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!("{} values cannot be saved to RDB yet", other.type_name()),
        )),
    }
}

/// The value a decoded object becomes, or why it cannot be loaded.
pub fn build_value(object: RdbObject, limits: &Thresholds) -> Result<Value, String> {
    match object {
        RdbObject::String(bytes) => Ok(string::build(&bytes)),
        RdbObject::Hash(pairs) => hash::build(pairs, limits),
        RdbObject::Set(members) => set::build(members, limits),
        other => Err(format!(
            "{} values are not supported by this server yet",
            other.type_name()
        )),
    }
}
