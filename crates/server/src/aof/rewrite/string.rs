//! Strings in a rewritten base: `SET key value`.

use crate::aof::encode;
use crate::db::StrValue;

pub fn emit(out: &mut Vec<u8>, key: &[u8], value: &StrValue) {
    value.with_bytes(|bytes| encode::command(out, &[&b"SET"[..], key, bytes]));
}
