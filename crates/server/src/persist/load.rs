//! Loading an RDB file into a new keyspace. The live keyspace is
//! replaced only after the whole file parsed and its checksum matched, so
//! a corrupt or truncated file never leaves a half-loaded keyspace.

use super::rdb::{self, ParsedRecord, RdbError, Visitor};
use super::types;
use crate::db::{Keyspace, RestoreMeta, Thresholds};

/// What a successful load found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadStats {
    pub loaded: u64,
    /// Keys whose TTL had already passed: skipped, as Redis does.
    pub expired: u64,
    pub version: u32,
    /// Where the RDB ended in the bytes given (an AOF tail may follow).
    pub end: usize,
}

struct Builder {
    ks: Keyspace,
    limits: Thresholds,
    now_ms: i64,
    /// An AOF's RDB part keeps keys past their time (Redis's
    /// `RDBFLAGS_AOF_PREAMBLE`): the commands after it may touch them.
    keep_expired: bool,
    stats: LoadStats,
}

impl Visitor for Builder {
    fn select_db(&mut self, db: u64, offset: usize) -> Result<(), RdbError> {
        if db >= self.ks.len() as u64 {
            return Err(RdbError::new(
                offset,
                format!(
                    "data file was created with a server configured to handle more than {} databases",
                    self.ks.len()
                ),
            ));
        }
        Ok(())
    }

    fn record(&mut self, record: ParsedRecord) -> Result<(), RdbError> {
        let ParsedRecord {
            db,
            key,
            expire_ms,
            idle_secs,
            freq,
            object,
            offset,
        } = record;
        let value = types::build_value(object, &self.limits).map_err(|what| {
            RdbError::new(
                offset,
                format!("key '{}': {what}", String::from_utf8_lossy(&key)),
            )
        })?;
        if !self.keep_expired && expire_ms.is_some_and(|at| at < self.now_ms) {
            self.stats.expired += 1;
            return Ok(());
        }
        let meta = RestoreMeta {
            expire_at: expire_ms,
            idle_secs,
            freq,
            now_ms: self.now_ms,
        };
        if !self.ks.restore(db as usize, &key, value, meta) {
            return Err(RdbError::new(
                offset,
                format!("duplicate key '{}'", String::from_utf8_lossy(&key)),
            ));
        }
        self.stats.loaded += 1;
        Ok(())
    }

    fn function(&mut self, _code: Vec<u8>, offset: usize) -> Result<(), RdbError> {
        Err(RdbError::new(
            offset,
            "the file holds function libraries, which this server does not support",
        ))
    }
}

/// Parses `bytes` into a keyspace shaped like `like` (database count,
/// thresholds, eviction policy); `like` itself is not touched.
pub fn load_rdb(
    bytes: &[u8],
    like: &Keyspace,
    now_ms: i64,
) -> Result<(Keyspace, LoadStats), RdbError> {
    load(bytes, like, now_ms, false)
}

/// [`load_rdb`] for the RDB part of an AOF: keys past their time are
/// kept, to expire after the AOF's commands were replayed.
pub fn load_aof_preamble(
    bytes: &[u8],
    like: &Keyspace,
    now_ms: i64,
) -> Result<(Keyspace, LoadStats), RdbError> {
    load(bytes, like, now_ms, true)
}

fn load(
    bytes: &[u8],
    like: &Keyspace,
    now_ms: i64,
    keep_expired: bool,
) -> Result<(Keyspace, LoadStats), RdbError> {
    let mut ks = Keyspace::new(like.len());
    ks.maxmemory_policy = like.maxmemory_policy.clone();
    ks.thresholds = like.thresholds;
    ks.lfu = like.lfu;
    let mut builder = Builder {
        ks,
        limits: like.thresholds,
        now_ms,
        keep_expired,
        stats: LoadStats {
            loaded: 0,
            expired: 0,
            version: 0,
            end: 0,
        },
    };
    let summary = rdb::parse(bytes, &mut builder)?;
    builder.stats.version = summary.version;
    builder.stats.end = summary.end;
    Ok((builder.ks, builder.stats))
}
