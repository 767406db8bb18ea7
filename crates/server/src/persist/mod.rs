//! RDB persistence: snapshots of the keyspace in Redis's own file format,
//! so that data moves between Redis and moat in both directions.
//!
//! - `rdb/`: the format, no I/O.
//! - `types/`: each data type's records.
//! - `save.rs`: a keyspace (or a copy of one) to RDB bytes.
//! - `load.rs`: RDB bytes to a new keyspace, installed only when whole.
//! - `file.rs`: atomic file writes and reads.
//! - `state.rs`: what INFO persistence reports and the BGSAVE bookkeeping.
//! - `jobs.rs`: SAVE, BGSAVE, the save points, shutdown saves.

pub mod file;
pub mod jobs;
pub mod load;
pub mod rdb;
pub mod save;
pub mod state;
mod types;

pub use state::PersistState;
