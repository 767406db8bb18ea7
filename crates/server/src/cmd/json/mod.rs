//! JSON documents: the RedisJSON 2.6 commands (`@json`).
//!
//! - `doc`: the document tree and parsing;
//! - `path`: JSONPath and legacy path syntax;
//! - `eval`: path evaluation;
//! - `edit`: changing a document at evaluated paths;
//! - `format`: JSON text (compact and INDENT/NEWLINE/SPACE layouts);
//! - `reply`: RedisJSON's error texts and RESP forms;
//! - `read`, `write`, `array`: the command handlers.
//!
//! Two path flavours give two reply shapes: a JSONPath (`$...`) answers
//! one entry per match, with nil where a match has the wrong type; a
//! legacy path answers for its first match, or an error.
//!
//! Where RedisJSON 2.6 is unspecified or unsafe, moat chooses:
//! - multi-path `JSON.GET` lists paths in argument order (RedisJSON uses
//!   a hash map, so its order varies between runs);
//! - a failed edit changes nothing (RedisJSON keeps the edits it made
//!   before the failing match), integer overflow is `ERR numeric
//!   overflow` rather than a wrapped value, and documents are kept within
//!   the parser's nesting limit (`ERR recursion limit exceeded`);
//! - DEL keeps a member whose name extends a deleted one (`ab` when `a`
//!   is deleted), and array edits on nested matches run deepest first, as
//!   later RedisJSON versions do;
//! - `JSON.SET ... FORMAT BSON` is refused (`ERR wrong format`);
//! - paths nest at most 32 filters/parentheses deep and have at most 256
//!   segments.

mod array;
pub mod doc;
mod edit;
mod eval;
mod format;
mod path;
mod read;
mod reply;
mod write;

#[cfg(test)]
mod tests;

use super::reply::wrong_type;
use super::Handler;
use crate::db::{Access, DbView, Value};
pub use doc::Json;
use moat_config::NotifyFlags;

/// A document as compact JSON text, as `JSON.GET key $` would print it
/// unwrapped (for the AOF rewrite, and RedisJSON's RDB encoding).
pub fn document_text(document: &Json) -> String {
    format::to_text(document)
}
use moat_resp::Frame;

/// This module's commands by lowercase name.
pub fn handlers() -> &'static [(&'static str, Handler)] {
    HANDLERS
}

const HANDLERS: &[(&str, Handler)] = &[
    ("json.get", read::get),
    ("json.mget", read::mget),
    ("json.type", read::type_of),
    ("json.strlen", read::strlen),
    ("json.objkeys", read::objkeys),
    ("json.objlen", read::objlen),
    ("json.arrlen", read::arrlen),
    ("json.arrindex", read::arrindex),
    ("json.resp", read::resp),
    ("json.debug|memory", read::debug_memory),
    ("json.debug|help", read::debug_help),
    ("json.set", write::set),
    ("json.mset", write::mset),
    ("json.merge", write::merge),
    ("json.del", write::del),
    ("json.forget", write::del),
    ("json.toggle", write::toggle),
    ("json.clear", write::clear),
    ("json.numincrby", write::numincrby),
    ("json.nummultby", write::nummultby),
    ("json.strappend", write::strappend),
    ("json.arrappend", array::arrappend),
    ("json.arrinsert", array::arrinsert),
    ("json.arrpop", array::arrpop),
    ("json.arrtrim", array::arrtrim),
];

/// The document at `key` for reading: `Ok(None)` when the key does not
/// exist, WRONGTYPE when it holds another type.
fn read_doc<'v>(db: &'v mut DbView<'_>, key: &[u8]) -> Result<Option<&'v Json>, Frame> {
    match db.lookup(key, Access::Read) {
        None => Ok(None),
        Some(Value::Json(doc)) => Ok(Some(&**doc)),
        Some(_) => Err(wrong_type()),
    }
}

/// The document at `key` for editing in place.
fn write_doc<'v>(db: &'v mut DbView<'_>, key: &[u8]) -> Result<Option<&'v mut Json>, Frame> {
    match db.lookup(key, Access::Write) {
        None => Ok(None),
        Some(Value::Json(doc)) => Ok(Some(&mut **doc)),
        Some(_) => Err(wrong_type()),
    }
}

/// RedisJSON's `apply_changes`: a command that changed a document raises
/// a module keyspace event (class `d`) named after itself (`json.set`,
/// `json.del`, ...). RedisJSON 2.6 raises it once per changed key, after
/// the change; JSON.FORGET raises `json.del`.
fn notify(db: &mut DbView<'_>, event: &'static str, key: &[u8]) {
    db.notify(NotifyFlags::MODULE, event, key);
}

/// Whether `key` holds a document (or nothing), without side effects on
/// statistics: the type check RedisJSON does when it opens a key.
fn check_type(db: &mut DbView<'_>, key: &[u8]) -> Result<bool, Frame> {
    match db.lookup(key, Access::Write) {
        None => Ok(false),
        Some(Value::Json(_)) => Ok(true),
        Some(_) => Err(wrong_type()),
    }
}
