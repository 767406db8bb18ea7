//! Streams: written as `RDB_TYPE_STREAM_LISTPACKS_2` (what Redis 7.0
//! reads, 7.2 too), loaded from versions 1 to 3 (types 15, 19, 21). The
//! stream side of the conversion is `cmd::stream::rdb`.

use crate::cmd::stream::{from_rdb, write_rdb, Stream};
use crate::db::Value;
use crate::persist::rdb::opcodes::TYPE_STREAM_LISTPACKS_2;
use crate::persist::rdb::stream::RdbStream;
use crate::persist::rdb::RdbWriter;
use std::io::{self, Write};

pub fn type_code(_: &Stream) -> u8 {
    TYPE_STREAM_LISTPACKS_2
}

pub fn write<W: Write>(w: &mut RdbWriter<W>, s: &Stream) -> io::Result<()> {
    write_rdb(w, s)
}

/// An empty stream is a valid value (XGROUP CREATE MKSTREAM, XDEL).
pub fn build(s: RdbStream) -> Result<Value, String> {
    Ok(Value::Stream(Box::new(from_rdb(s)?)))
}
