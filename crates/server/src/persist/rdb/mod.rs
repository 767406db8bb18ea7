//! Redis's RDB file format, with no I/O: the primitives (lengths,
//! strings, doubles, CRC64), the opcodes and type codes, decoders for the
//! compact encodings Redis embeds in the file (listpack, ziplist, intset,
//! quicklist, zipmap), the framing of module values, the object decoder
//! and the writer.
//!
//! Everything here treats its input as hostile: every length is checked
//! against the bytes that remain before anything is allocated, and a bad
//! file is an [`RdbError`] naming what is wrong, never a panic.

pub mod crc64;
pub mod error;
pub mod intset;
pub mod listpack;
pub mod module;
pub mod object;
pub mod opcodes;
pub mod parse;
pub mod payload;
pub mod quicklist;
pub mod reader;
pub mod stream;
pub mod writer;
pub mod ziplist;
pub mod zipmap;

pub use error::RdbError;
pub use object::RdbObject;
pub use parse::{parse, ParsedRecord, Visitor};
pub use writer::{RdbWriter, RecordMeta, WriteOptions};

/// The version moat writes: Redis 7.0's, which Redis 7.0 and 7.2 both
/// load (7.2 writes 11 but reads 10).
pub const WRITE_VERSION: u32 = 10;
/// The newest version moat reads: Redis 7.2's.
pub const MAX_READ_VERSION: u32 = 11;
