//! What a new base holds and in which format (`aof-use-rdb-preamble`).
//!
//! With the preamble on (Redis's default) the base is an RDB file, named
//! `<appendfilename>.<seq>.base.rdb`, written by the RDB writer of
//! [`crate::persist`] with the `aof-base` AUX field set; off, it is
//! commands (`.base.aof`). Either way the function libraries come first
//! (FUNCTION2 records in the RDB, FUNCTION LOAD commands), as in Redis.
//! The dataset is captured under the keyspace lock ([`Base::capture`])
//! and written on the rewrite thread ([`Base::write`]). JSON documents go
//! into an RDB base as RedisJSON's module values (`ReJSON-RL`), as in a
//! Redis with RedisJSON.

use crate::db::Keyspace;
use crate::persist::rdb::WriteOptions;
use crate::persist::save::{write_rdb, AuxInfo, Snapshot};
use bytes::Bytes;
use std::io::{self, Write};
use std::path::Path;

/// The format a base was written in, which names its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Rdb,
    Commands,
}

/// The dataset as a rewrite captured it.
pub enum Base {
    /// Already encoded as commands (`aof-use-rdb-preamble no`).
    Commands(Vec<u8>),
    /// A copy of the entries, serialized on the rewrite thread.
    Snapshot {
        snapshot: Snapshot,
        aux: AuxInfo,
        options: WriteOptions,
    },
}

impl Base {
    /// Captures `ks` under its lock, with the libraries' codes: with the
    /// preamble a copy of the entries (a memory copy, as BGSAVE takes),
    /// else the commands.
    pub fn capture(
        ks: &Keyspace,
        libraries: Vec<Bytes>,
        rdb_preamble: bool,
        options: WriteOptions,
        now_ms: i64,
    ) -> Base {
        if rdb_preamble {
            Base::Snapshot {
                snapshot: Snapshot::take(ks.databases(), libraries),
                aux: crate::persist::jobs::aux(ks, true),
                options,
            }
        } else {
            Base::Commands(super::encode_base(ks, &libraries, now_ms))
        }
    }

    /// Writes the base to `path` and fsyncs it; returns the format it
    /// took. A failed write leaves no file behind.
    pub fn write(&self, path: &Path) -> io::Result<Format> {
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .ok_or_else(|| io::Error::other("an AOF base needs a file name"))?;
        crate::persist::file::write_temp(path, name, |mut out| match self {
            Base::Commands(bytes) => {
                out.write_all(bytes)?;
                Ok(out)
            }
            Base::Snapshot {
                snapshot,
                aux,
                options,
            } => write_rdb(out, *options, aux, &snapshot.libraries, &snapshot.borrow()),
        })?;
        Ok(match self {
            Base::Commands(_) => Format::Commands,
            Base::Snapshot { .. } => Format::Rdb,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Value;
    use crate::persist::load::load_rdb;

    fn library() -> Bytes {
        Bytes::from_static(b"#!lua name=lib\nredis.register_function('f', function() return 1 end)")
    }

    fn keyspace() -> Keyspace {
        let mut ks = Keyspace::new(4);
        let mut db = ks.view(2, 0);
        db.set(b"s", Value::string(b"v"), false);
        db.set_expire(b"s", i64::MAX / 2);
        ks
    }

    #[test]
    fn preamble_bases_are_rdb_files_marked_as_aof_bases() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("base");
        let ks = keyspace();
        let base = Base::capture(&ks, vec![library()], true, WriteOptions::default(), 0);
        assert_eq!(base.write(&path).unwrap(), Format::Rdb);
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.starts_with(b"REDIS0010"));
        let aof_base = b"\x08aof-base\xc0\x01";
        assert!(bytes.windows(aof_base.len()).any(|w| w == aof_base));
        let loaded = load_rdb(&bytes, &ks, 0).unwrap();
        let stats = loaded.stats;
        assert_eq!((stats.loaded, stats.end), (1, bytes.len()));
        assert_eq!(loaded.keyspace.total_keys(), 1);
        let codes: Vec<Bytes> = loaded.libraries.into_iter().map(|l| l.code).collect();
        assert_eq!(codes, vec![library()]);
    }

    #[test]
    fn json_documents_go_into_rdb_bases() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("base");
        let mut ks = keyspace();
        let doc = crate::cmd::json::doc::parse(br#"{"a":[1,2.5,"\u00e9"]}"#).unwrap();
        ks.view(0, 0)
            .set(b"doc", Value::Json(Box::new(doc.clone())), false);
        let base = Base::capture(&ks, vec![library()], true, WriteOptions::default(), 0);
        assert_eq!(base.write(&path).unwrap(), Format::Rdb);
        let bytes = std::fs::read(&path).unwrap();
        let mut loaded = load_rdb(&bytes, &ks, 0).unwrap();
        assert_eq!(loaded.stats.loaded, 2);
        assert_eq!(loaded.libraries.len(), 1);
        let back = loaded
            .keyspace
            .view(0, 0)
            .lookup(b"doc", crate::db::Access::Peek)
            .cloned();
        assert_eq!(back, Some(Value::Json(Box::new(doc))));
    }

    #[test]
    fn command_bases_load_each_library_before_any_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("base");
        let base = Base::capture(
            &keyspace(),
            vec![library()],
            false,
            WriteOptions::default(),
            0,
        );
        assert_eq!(base.write(&path).unwrap(), Format::Commands);
        let bytes = std::fs::read(&path).unwrap();
        let mut pos = 0;
        let first = crate::aof::reader::next_command(&bytes, &mut pos)
            .unwrap()
            .unwrap();
        assert_eq!(
            first,
            vec![Bytes::from("FUNCTION"), Bytes::from("LOAD"), library()]
        );
        let second = crate::aof::reader::next_command(&bytes, &mut pos)
            .unwrap()
            .unwrap();
        assert_eq!(second[0], "SELECT");
    }
}
