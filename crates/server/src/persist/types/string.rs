//! Strings: `RDB_TYPE_STRING`, integers in the integer encodings.

use crate::db::{StrValue, Value};
use crate::persist::rdb::opcodes::TYPE_STRING;
use crate::persist::rdb::RdbWriter;
use std::io::{self, Write};

pub fn type_code(_: &StrValue) -> u8 {
    TYPE_STRING
}

pub fn write<W: Write>(w: &mut RdbWriter<W>, s: &StrValue) -> io::Result<()> {
    match s {
        StrValue::Int(n) => w.integer_string(*n, n.to_string().as_bytes()),
        other => other.with_bytes(|bytes| w.string(bytes)),
    }
}

/// `tryObjectEncoding` on the loaded string, as `rdbLoadObject` does.
pub fn build(bytes: &[u8]) -> Value {
    Value::string(bytes)
}
