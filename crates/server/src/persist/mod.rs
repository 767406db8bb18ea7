//! RDB persistence: snapshots of the keyspace in Redis's own file format,
//! so that data moves between Redis and moat in both directions.
//!
//! - `rdb/`: the format, no I/O.
//! - `types/`: each data type's records (JSON documents as RedisJSON's
//!   `ReJSON-RL` module values).
//! - `save.rs`: a keyspace (or a copy of one) to RDB bytes.
//! - `load.rs`: RDB bytes to a new keyspace, installed only when whole.
//! - `dump.rs`: DUMP/RESTORE payloads of single values.
//! - `file.rs`: atomic file writes and reads.
//! - `state.rs`: what INFO persistence reports and the BGSAVE bookkeeping.
//! - `jobs.rs`: SAVE, BGSAVE, the save points, shutdown saves.

pub mod dump;
pub mod file;
pub mod jobs;
pub mod load;
pub mod rdb;
pub mod save;
pub mod state;
mod types;

pub use state::PersistState;

/// Redis's `rdbSavedObjectLen`: the bytes the value takes in an RDB file,
/// without its key and type byte (`DEBUG OBJECT`'s `serializedlength`);
/// a module value's counts its id and EOF mark, as Redis's does. `None`
/// only if writing to memory failed.
pub fn serialized_length(key: &[u8], value: &crate::db::Value, compression: bool) -> Option<usize> {
    use rdb::writer::{RdbWriter, RecordMeta, WriteOptions};
    let options = WriteOptions {
        compression,
        checksum: false,
    };
    let mut record = RdbWriter::new(Vec::new(), options).ok()?;
    types::write_record(&mut record, key, &RecordMeta::default(), value).ok()?;
    let mut header = RdbWriter::new(Vec::new(), options).ok()?;
    header.u8(0).ok()?;
    header.string(key).ok()?;
    record
        .into_inner()
        .len()
        .checked_sub(header.into_inner().len())
}
