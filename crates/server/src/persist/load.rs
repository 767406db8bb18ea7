//! Loading an RDB file into a new keyspace and a new set of function
//! libraries. The live keyspace and libraries are replaced only after the
//! whole file parsed, its checksum matched and every library compiled, so
//! a corrupt or truncated file never leaves a half-loaded dataset.

use super::rdb::{self, ParsedRecord, RdbError, Visitor};
use super::types;
use crate::db::{Keyspace, RestoreMeta, Thresholds};
use crate::scripting::Scripting;
use bytes::Bytes;

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

/// A function library's code (`RDB_OPCODE_FUNCTION2`) and where the
/// file holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryCode {
    pub code: Bytes,
    pub offset: usize,
}

/// What a file holds, parsed but not installed.
pub struct Loaded {
    pub keyspace: Keyspace,
    /// In file order, which is the order Redis compiles them in.
    pub libraries: Vec<LibraryCode>,
    pub stats: LoadStats,
}

impl Loaded {
    /// Compiles the libraries with the functions engine, then replaces the
    /// live keyspace `ks` and the libraries. A library that does not
    /// compile, or whose library or function name an earlier one took, is
    /// Redis's load error (`Failed loading library, ...`), and then
    /// nothing changes.
    pub fn install(self, ks: &mut Keyspace, scripting: &Scripting) -> Result<LoadStats, RdbError> {
        let libraries = scripting
            .compile_libraries(self.libraries.iter().map(|l| &l.code))
            .map_err(|(index, reason)| {
                RdbError::new(
                    self.libraries[index].offset,
                    format!("Failed loading library, {reason}"),
                )
            })?;
        ks.install(self.keyspace);
        scripting.install_libraries(libraries);
        Ok(self.stats)
    }
}

struct Builder {
    ks: Keyspace,
    libraries: Vec<LibraryCode>,
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

    fn function(&mut self, code: Vec<u8>, offset: usize) -> Result<(), RdbError> {
        self.libraries.push(LibraryCode {
            code: Bytes::from(code),
            offset,
        });
        Ok(())
    }
}

/// Parses `bytes` into a keyspace shaped like `like` (database count,
/// thresholds, eviction policy) and the libraries' codes; `like` itself
/// is not touched.
pub fn load_rdb(bytes: &[u8], like: &Keyspace, now_ms: i64) -> Result<Loaded, RdbError> {
    load(bytes, like, now_ms, false)
}

/// [`load_rdb`] for the RDB part of an AOF: keys past their time are
/// kept, to expire after the AOF's commands were replayed.
pub fn load_aof_preamble(bytes: &[u8], like: &Keyspace, now_ms: i64) -> Result<Loaded, RdbError> {
    load(bytes, like, now_ms, true)
}

fn load(
    bytes: &[u8],
    like: &Keyspace,
    now_ms: i64,
    keep_expired: bool,
) -> Result<Loaded, RdbError> {
    let mut ks = Keyspace::new(like.len());
    ks.eviction = like.eviction;
    ks.thresholds = like.thresholds;
    ks.lfu = like.lfu;
    let mut builder = Builder {
        ks,
        libraries: Vec::new(),
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
    Ok(Loaded {
        keyspace: builder.ks,
        libraries: builder.libraries,
        stats: builder.stats,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Value;
    use crate::persist::rdb::WriteOptions;
    use crate::persist::save::{write_rdb, DbEntries};

    fn library(name: &str, function: &str) -> Bytes {
        Bytes::from(format!(
            "#!lua name={name}\nredis.register_function('{function}', function() return 1 end)"
        ))
    }

    fn file(libraries: &[Bytes], ks: &Keyspace) -> Vec<u8> {
        file_with(libraries, ks, WriteOptions::default())
    }

    fn file_with(libraries: &[Bytes], ks: &Keyspace, options: WriteOptions) -> Vec<u8> {
        let dbs: Vec<DbEntries<'_>> = ks.databases().map(|(i, db)| DbEntries::of(i, db)).collect();
        let aux = crate::persist::jobs::aux(ks, false);
        write_rdb(Vec::new(), options, &aux, libraries, &dbs).unwrap()
    }

    fn one_key() -> Keyspace {
        let mut ks = Keyspace::new(2);
        ks.view(1, 0).set(b"k", Value::string(b"v"), false);
        ks
    }

    /// In Redis's order: the libraries after the AUX fields, before the
    /// first SELECTDB; each `FUNCTION2` then its code as an RDB string.
    #[test]
    fn libraries_are_written_before_the_data_and_read_back() {
        let long = Bytes::from(format!(
            "#!lua name=long\nredis.register_function('g', function() return '{}' end)",
            "x".repeat(200)
        ));
        let libraries = vec![library("a", "f"), long.clone()];
        let plain = WriteOptions {
            compression: false,
            checksum: true,
        };
        let first = library("a", "f");
        // FUNCTION2, a 14 bit length, the code.
        let mut record = vec![245, 0x40 | (first.len() >> 8) as u8, first.len() as u8];
        record.extend_from_slice(&first);
        let bytes = file_with(&libraries, &one_key(), plain);
        let at = bytes
            .windows(record.len())
            .position(|w| w == record)
            .expect("a FUNCTION2 record");
        let select = bytes.iter().rposition(|&b| b == 254).unwrap();
        assert!(at < select);
        let loaded = load_rdb(&bytes, &Keyspace::new(2), 0).unwrap();
        assert_eq!(loaded.libraries[0].offset, at);
        let codes: Vec<Bytes> = loaded.libraries.iter().map(|l| l.code.clone()).collect();
        assert_eq!(codes, libraries);
        // With rdbcompression the long code goes through LZF, as Redis's
        // rdbSaveRawString does.
        assert!(bytes.windows(long.len()).any(|w| w == long));
        let compressed = file(&libraries, &one_key());
        assert!(!compressed.windows(long.len()).any(|w| w == long));
        let again = load_rdb(&compressed, &Keyspace::new(2), 0).unwrap();
        assert_eq!(again.libraries[1].code, long);
        let scripting = Scripting::new().unwrap();
        let mut ks = Keyspace::new(2);
        let stats = loaded.install(&mut ks, &scripting).unwrap();
        assert_eq!((stats.loaded, ks.total_keys()), (1, 1));
        assert_eq!(scripting.counts(), (2, 2));
        assert_eq!(scripting.library_codes(), libraries);
    }

    /// A library that does not load is Redis's load error, and neither
    /// the keys nor the libraries in place change.
    #[test]
    fn a_library_that_does_not_load_changes_nothing() {
        let cases = [
            (
                vec![library("a", "f"), library("a", "g")],
                "Failed loading library, Library 'a' already exists",
            ),
            (
                vec![library("a", "f"), library("b", "f")],
                "Failed loading library, Function f already exists",
            ),
            (
                vec![Bytes::from_static(b"#!lua name=c\nthis is not lua")],
                "Failed loading library, Error compiling function",
            ),
            (
                vec![Bytes::from_static(b"#!lua name=d\nreturn 1")],
                "Failed loading library, No functions registered",
            ),
            (
                vec![Bytes::from_static(b"no shebang")],
                "Failed loading library, Missing library metadata",
            ),
        ];
        for (libraries, expected) in cases {
            let bytes = file(&libraries, &one_key());
            let scripting = Scripting::new().unwrap();
            let mine = scripting
                .compile_libraries(&[library("mine", "h")])
                .unwrap();
            scripting.install_libraries(mine);
            let mut ks = Keyspace::new(2);
            ks.view(0, 0).set(b"mine", Value::string(b"x"), false);
            let loaded = load_rdb(&bytes, &ks, 0).unwrap();
            let error = loaded.install(&mut ks, &scripting).unwrap_err();
            assert!(error.to_string().contains(expected), "{error} / {expected}");
            assert_eq!(ks.total_keys(), 1);
            assert!(ks.view(0, 0).contains(b"mine"));
            assert_eq!(scripting.library_codes(), vec![library("mine", "h")]);
        }
    }

    #[test]
    fn pre_ga_libraries_are_refused() {
        let mut bytes = b"REDIS0010".to_vec();
        bytes.extend_from_slice(&[246, 1, b'x', 255]);
        bytes.extend_from_slice(&[0; 8]);
        let error = load_rdb(&bytes, &Keyspace::new(1), 0).err().unwrap();
        assert!(error.to_string().contains("pre-release function format"));
    }
}
