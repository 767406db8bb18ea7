//! Writing a keyspace as an RDB file: AUX fields as Redis writes them,
//! the function libraries (one `FUNCTION2` record each, before the data
//! as in Redis's `rdbSaveRio`), then each non-empty database (SELECTDB,
//! RESIZEDB, its keys), EOF and the checksum.

use super::rdb::{RdbWriter, RecordMeta, WriteOptions};
use super::types;
use crate::db::{Db, Entry, LfuParams};
use bytes::Bytes;
use std::io::{self, Write};

/// What the AUX fields report about the writer, and what decides the
/// per-key access records.
pub struct AuxInfo {
    pub redis_version: &'static str,
    pub ctime_ms: i64,
    pub used_mem: u64,
    /// `maxmemory-policy`: LRU policies record idle times, LFU ones
    /// counters.
    pub policy: crate::db::Policy,
    pub lfu: LfuParams,
    /// The `aof-base` AUX field: 1 when the file is an AOF's base
    /// (Redis's `RDBFLAGS_AOF_PREAMBLE`).
    pub aof_base: bool,
}

/// The entries of one database, borrowed from the live keyspace (SAVE)
/// or from a copy of it (BGSAVE).
pub struct DbEntries<'a> {
    pub index: usize,
    pub entries: Vec<&'a Entry>,
    pub expires: usize,
}

impl<'a> DbEntries<'a> {
    pub fn of(index: usize, db: &'a Db) -> DbEntries<'a> {
        DbEntries {
            index,
            entries: db.entries().collect(),
            expires: db.volatile_len(),
        }
    }
}

/// Writes the whole file to `out` and returns it: `libraries` holds each
/// function library's code.
pub fn write_rdb<W: Write>(
    out: W,
    options: WriteOptions,
    aux: &AuxInfo,
    libraries: &[Bytes],
    dbs: &[DbEntries<'_>],
) -> io::Result<W> {
    let mut w = RdbWriter::new(out, options)?;
    w.aux("redis-ver", aux.redis_version.as_bytes())?;
    w.aux("redis-bits", usize::BITS.to_string().as_bytes())?;
    w.aux("ctime", (aux.ctime_ms / 1000).to_string().as_bytes())?;
    w.aux("used-mem", aux.used_mem.to_string().as_bytes())?;
    w.aux("aof-base", if aux.aof_base { b"1" } else { b"0" })?;
    for code in libraries {
        w.function(code)?;
    }
    for db in dbs.iter().filter(|db| !db.entries.is_empty()) {
        w.select_db(db.index, db.entries.len(), db.expires)?;
        for entry in &db.entries {
            let (idle_secs, freq) = entry.access_record(aux.policy, aux.lfu, aux.ctime_ms);
            let meta = RecordMeta {
                expire_ms: entry.expire_at(),
                idle_secs,
                freq,
            };
            types::write_record(&mut w, entry.key(), &meta, &entry.value)?;
        }
    }
    w.finish()
}

/// A copy of every database and of the libraries' codes, taken under the
/// keyspace lock so that a background save can serialize it without
/// holding the lock.
pub struct Snapshot {
    dbs: Vec<(usize, Vec<Entry>, usize)>,
    pub libraries: Vec<Bytes>,
}

impl Snapshot {
    pub fn take<'a>(dbs: impl Iterator<Item = (usize, &'a Db)>, libraries: Vec<Bytes>) -> Snapshot {
        Snapshot {
            dbs: dbs
                .filter(|(_, db)| !db.is_empty())
                .map(|(index, db)| (index, db.entries().cloned().collect(), db.volatile_len()))
                .collect(),
            libraries,
        }
    }

    pub fn borrow(&self) -> Vec<DbEntries<'_>> {
        self.dbs
            .iter()
            .map(|(index, entries, expires)| DbEntries {
                index: *index,
                entries: entries.iter().collect(),
                expires: *expires,
            })
            .collect()
    }
}
