//! MIGRATE between moat and the reference redis-server, both ways: every
//! type of the shared dataset arrives whole (TTLs included) and leaves
//! the source; then the options (COPY, REPLACE, AUTH2, KEYS), the target's
//! errors and an unreachable target, and the AOF's view of a migration.

mod dataset;

use dataset::{call, dump, populate, sorted_items, Encodings};
use moat_resp::Frame;
use moat_testkit::{moat_server, reference, Client, ServerProcess};

const MOAT: Option<&str> = option_env!("CARGO_BIN_EXE_moat-server");

/// Moves every key of databases 0 and 3 of `from` to the same database of
/// the server at `port`, with one MIGRATE ... KEYS per database.
fn migrate_all(from: &mut Client, port: u16) {
    for db in ["0", "3"] {
        call(from, &["SELECT", db]);
        let keys = sorted_items(call(from, &["KEYS", "*"]));
        assert!(!keys.is_empty());
        let port = port.to_string();
        let mut args = vec!["MIGRATE", "127.0.0.1", &port, "", db, "5000", "KEYS"];
        args.extend(keys.iter().map(String::as_str));
        assert_eq!(call(from, &args), Frame::ok(), "MIGRATE of db {db}");
        assert_eq!(call(from, &["DBSIZE"]), Frame::Integer(0));
    }
    call(from, &["SELECT", "0"]);
}

fn reference_server() -> Option<ServerProcess> {
    let redis = reference::redis_server()?;
    Some(ServerProcess::start(redis, Vec::<String>::new()).unwrap())
}

#[test]
fn redis_migrates_to_moat_and_moat_migrates_back() {
    let Some(reference) = reference_server() else {
        return;
    };
    let moat = moat_server(MOAT).start().unwrap();
    let (mut rc, mut mc) = (reference.client().unwrap(), moat.client().unwrap());
    populate(&mut rc);
    let expected = dump(&mut rc, Encodings::Shared);
    migrate_all(&mut rc, moat.port());
    assert_eq!(dump(&mut mc, Encodings::Shared), expected);
    migrate_all(&mut mc, reference.port());
    assert_eq!(dump(&mut rc, Encodings::Shared), expected);
}

/// JSON documents (RedisJSON module values in their payloads) migrate
/// between moat servers with the rest of the dataset, TTLs included.
#[test]
fn json_documents_migrate_between_moat_servers() {
    let source = moat_server(MOAT).start().unwrap();
    let target = moat_server(MOAT).start().unwrap();
    let (mut s, mut t) = (source.client().unwrap(), target.client().unwrap());
    populate(&mut s);
    dataset::run_all(&mut s, &dataset::json_documents());
    let expected = dump(&mut s, Encodings::WithSets);
    migrate_all(&mut s, target.port());
    assert_eq!(dump(&mut t, Encodings::WithSets), expected);
}

#[test]
fn options_and_failures() {
    let source = moat_server(MOAT).start().unwrap();
    let target = moat_server(MOAT).start().unwrap();
    let (mut s, mut t) = (source.client().unwrap(), target.client().unwrap());
    let port = target.port().to_string();
    let migrate = |s: &mut Client, rest: &[&str]| {
        let mut args = vec!["MIGRATE", "127.0.0.1", port.as_str()];
        args.extend_from_slice(rest);
        call(s, &args)
    };
    call(&mut s, &["SET", "a", "1", "PX", "100000"]);
    call(&mut s, &["SET", "b", "2"]);
    assert_eq!(
        migrate(&mut s, &["nokey", "0", "1000"]),
        Frame::Simple("NOKEY".into())
    );
    // COPY leaves the key here; the TTL travels.
    assert_eq!(migrate(&mut s, &["a", "0", "1000", "COPY"]), Frame::ok());
    assert_eq!(call(&mut s, &["EXISTS", "a"]), Frame::Integer(1));
    let Frame::Integer(ttl) = call(&mut t, &["PTTL", "a"]) else {
        panic!()
    };
    assert!((90_000..=100_000).contains(&ttl), "{ttl}");
    // Without REPLACE the target refuses an existing key, and the source
    // keeps it.
    assert_eq!(
        migrate(&mut s, &["a", "0", "1000"]),
        Frame::Error(
            "ERR Target instance replied with error: BUSYKEY Target key name already exists."
                .into()
        )
    );
    assert_eq!(call(&mut s, &["EXISTS", "a"]), Frame::Integer(1));
    assert_eq!(migrate(&mut s, &["a", "0", "1000", "REPLACE"]), Frame::ok());
    assert_eq!(call(&mut s, &["EXISTS", "a"]), Frame::Integer(0));
    // Into another database, with AUTH2 on a target that requires it.
    call(
        &mut t,
        &["ACL", "SETUSER", "mover", "on", ">pw", "+@all", "~*"],
    );
    call(&mut t, &["ACL", "SETUSER", "default", "off"]);
    assert_eq!(
        migrate(&mut s, &["", "5", "1000", "AUTH2", "mover", "wrong", "KEYS", "b"]),
        Frame::Error("ERR Target instance replied with error: WRONGPASS invalid username-password pair or user is disabled.".into())
    );
    assert_eq!(
        migrate(
            &mut s,
            &["", "5", "1000", "AUTH2", "mover", "pw", "KEYS", "b", "missing"]
        ),
        Frame::ok()
    );
    let mut mover = target.client().unwrap();
    call(&mut mover, &["AUTH", "mover", "pw"]);
    call(&mut mover, &["SELECT", "5"]);
    assert_eq!(call(&mut mover, &["GET", "b"]), Frame::Bulk("2".into()));
    // Nobody listens on the target port any more.
    drop(t);
    drop(mover);
    drop(target);
    call(&mut s, &["SET", "c", "3"]);
    assert_eq!(
        migrate(&mut s, &["c", "0", "200"]),
        Frame::Error("IOERR error or timeout writing to target instance".into())
    );
    assert_eq!(call(&mut s, &["EXISTS", "c"]), Frame::Integer(1));
}

#[test]
fn a_migration_reaches_the_aof_as_del() {
    let target = moat_server(MOAT).start().unwrap();
    let mut source = moat_server(MOAT)
        .args(["--appendonly", "yes"])
        .start()
        .unwrap();
    let mut s = source.client().unwrap();
    call(&mut s, &["SET", "moved", "1"]);
    call(&mut s, &["SET", "copied", "1"]);
    call(&mut s, &["SET", "stays", "1"]);
    let port = target.port().to_string();
    let base = ["MIGRATE", "127.0.0.1", port.as_str()];
    let mut args = base.to_vec();
    args.extend(["moved", "0", "1000"]);
    assert_eq!(call(&mut s, &args), Frame::ok());
    let mut args = base.to_vec();
    args.extend(["copied", "0", "1000", "COPY"]);
    assert_eq!(call(&mut s, &args), Frame::ok());
    drop(s);
    source.restart().unwrap();
    let mut s = source.client().unwrap();
    assert_eq!(
        sorted_items(call(&mut s, &["KEYS", "*"])),
        ["copied", "stays"]
    );
}
