//! JSON documents in a rewritten base: `JSON.SET key $ <document>`.

use crate::aof::encode;
use crate::cmd::json::Json;

pub fn emit(out: &mut Vec<u8>, key: &[u8], document: &Json) {
    let text = crate::cmd::json::document_text(document);
    encode::command(out, &[&b"JSON.SET"[..], key, b"$", text.as_bytes()]);
}
