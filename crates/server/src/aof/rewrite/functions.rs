//! Function libraries in a rewritten base: `FUNCTION LOAD <code>` per
//! library, before any key, as Redis's `rewriteFunctions` writes them (so
//! the libraries exist again before anything after them is replayed).

use crate::aof::encode;
use bytes::Bytes;

pub fn emit(out: &mut Vec<u8>, libraries: &[Bytes]) {
    for code in libraries {
        encode::command(out, &[&b"FUNCTION"[..], b"LOAD", code]);
    }
}
