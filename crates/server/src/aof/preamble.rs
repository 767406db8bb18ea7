//! An RDB at the start of an AOF file: a base written under
//! `aof-use-rdb-preamble yes` (`<name>.<seq>.base.rdb`), or a Redis 4-6
//! single-file AOF whose last rewrite put an RDB preamble before its
//! commands.
//!
//! As in Redis's `loadSingleAppendOnlyFile`, the format is told by the
//! `REDIS` magic, not by the name, and commands may follow the RDB's
//! checksum in either kind of file. The RDB part is parsed into a new
//! keyspace (and new function libraries) that replace the (empty) ones
//! only when the whole RDB parsed, its checksum matched and its libraries
//! compiled, so a corrupt preamble never leaves part of a dataset; it stops the load whatever `aof-load-truncated` says,
//! which governs the commands only. Keys past their time are kept, as
//! Redis keeps them in a preamble, for the commands that follow.

use crate::db::Keyspace;
use crate::persist::load::{load_aof_preamble, LoadStats};
use crate::scripting::Scripting;

/// The RDB part did not load; the reason was logged.
#[derive(Debug)]
pub struct BadRdb;

/// Whether `data` starts with an RDB (Redis reads the first 5 bytes).
pub fn is_rdb(data: &[u8]) -> bool {
    data.starts_with(b"REDIS")
}

/// Loads the RDB at the start of `data` into `ks` and the function
/// libraries. `old_style` is a file named `appendfilename` itself (a
/// migrated single-file AOF), which only changes the log lines, as in
/// Redis. On error the reason was logged and nothing changed.
pub fn load(
    ks: &mut Keyspace,
    scripting: &Scripting,
    data: &[u8],
    file_name: &str,
    old_style: bool,
    now_ms: i64,
) -> Result<LoadStats, BadRdb> {
    if old_style {
        tracing::info!("Reading RDB preamble from AOF file...");
    } else {
        tracing::info!("Reading RDB base file on AOF loading...");
    }
    match load_aof_preamble(data, ks, now_ms).and_then(|loaded| loaded.install(ks, scripting)) {
        Ok(stats) => {
            tracing::info!(
                "Done loading RDB, keys loaded: {}, keys expired: {}.",
                stats.loaded,
                stats.expired
            );
            if old_style {
                tracing::info!("Reading the remaining AOF tail...");
            }
            Ok(stats)
        }
        Err(error) => {
            tracing::error!("Bad RDB data in the AOF file {file_name}: {error}");
            if old_style {
                tracing::error!(
                    "Error reading the RDB preamble of the AOF file {file_name}, AOF loading aborted"
                );
            } else {
                tracing::error!("Error reading the RDB base file {file_name}, AOF loading aborted");
            }
            Err(BadRdb)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Value;
    use crate::persist::rdb::WriteOptions;
    use crate::persist::save::{write_rdb, DbEntries};

    fn rdb_of(ks: &Keyspace) -> Vec<u8> {
        let dbs: Vec<DbEntries<'_>> = ks.databases().map(|(i, db)| DbEntries::of(i, db)).collect();
        let aux = crate::persist::jobs::aux(ks, true);
        write_rdb(Vec::new(), WriteOptions::default(), &aux, &[], &dbs).unwrap()
    }

    fn scripting() -> Scripting {
        Scripting::new().unwrap()
    }

    #[test]
    fn the_rdb_loads_and_says_where_commands_start() {
        let mut source = Keyspace::new(2);
        source.view(1, 0).set(b"k", Value::string(b"v"), false);
        let mut data = rdb_of(&source);
        let end = data.len();
        data.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
        let mut ks = Keyspace::new(2);
        let stats = load(&mut ks, &scripting(), &data, "appendonly.aof", true, 0).unwrap();
        assert_eq!((stats.loaded, stats.end), (1, end));
        assert_eq!(ks.total_keys(), 1);
    }

    #[test]
    fn a_corrupt_rdb_changes_nothing() {
        let mut source = Keyspace::new(2);
        for n in 0..20 {
            let key = format!("k{n}");
            source
                .view(0, 0)
                .set(key.as_bytes(), Value::string(b"v"), false);
        }
        let data = rdb_of(&source);
        for cut in [5, data.len() / 2, data.len() - 1] {
            let mut ks = Keyspace::new(2);
            ks.view(0, 0).set(b"mine", Value::string(b"x"), false);
            assert!(load(
                &mut ks,
                &scripting(),
                &data[..cut],
                "a.1.base.rdb",
                false,
                0
            )
            .is_err());
            assert_eq!(ks.total_keys(), 1, "cut at {cut}");
        }
        let mut flipped = data.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x20;
        let mut ks = Keyspace::new(2);
        assert!(load(&mut ks, &scripting(), &flipped, "a.1.base.rdb", false, 0).is_err());
        assert_eq!(ks.total_keys(), 0);
    }

    #[test]
    fn the_rdb_brings_its_libraries() {
        let source = Keyspace::new(2);
        let aux = crate::persist::jobs::aux(&source, true);
        let code = bytes::Bytes::from_static(
            b"#!lua name=lib\nredis.register_function('f', function() return 1 end)",
        );
        let data = write_rdb(
            Vec::new(),
            WriteOptions::default(),
            &aux,
            std::slice::from_ref(&code),
            &[],
        )
        .unwrap();
        let scripting = scripting();
        let mut ks = Keyspace::new(2);
        load(&mut ks, &scripting, &data, "a.1.base.rdb", false, 0).unwrap();
        assert_eq!(scripting.counts(), (1, 1));
        assert_eq!(scripting.library_codes(), vec![code]);
    }
}
