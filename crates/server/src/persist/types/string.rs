//! Strings: `RDB_TYPE_STRING`, integers in the integer encodings.

use crate::db::{StrValue, Value};
use crate::persist::rdb::opcodes::TYPE_STRING;
use crate::persist::rdb::{RdbWriter, RecordMeta};
use std::io::{self, Write};

pub fn write<W: Write>(
    w: &mut RdbWriter<W>,
    key: &[u8],
    meta: &RecordMeta,
    s: &StrValue,
) -> io::Result<()> {
    w.record_header(meta, TYPE_STRING, key)?;
    match s {
        StrValue::Int(n) => w.integer_string(*n, n.to_string().as_bytes()),
        other => other.with_bytes(|bytes| w.string(bytes)),
    }
}

/// `tryObjectEncoding` on the loaded string, as `rdbLoadObject` does.
pub fn build(bytes: &[u8]) -> Value {
    Value::string(bytes)
}
