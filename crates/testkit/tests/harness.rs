//! Proves the harness on real reference servers, so that when a moat test
//! fails the harness is not the suspect: processes start and stop, the
//! client sees frames as sent, golden files and differential scripts catch
//! mismatches and pass when the servers agree.

use moat_resp::Frame;
use moat_testkit::differential::DifferentialScript;
use moat_testkit::golden::{self, GoldenFile, ReferenceServer};
use moat_testkit::{differential, reference, render, Client, ServerBuilder, ServerProcess};
use std::fs;
use std::path::Path;

fn bulk(text: &str) -> Frame {
    Frame::Bulk(bytes::Bytes::copy_from_slice(text.as_bytes()))
}

fn redis() -> Option<ServerBuilder> {
    reference::redis_server().map(ServerBuilder::new)
}

#[test]
fn server_answers_and_is_gone_after_drop() {
    let Some(builder) = redis() else { return };
    let server = builder.start().unwrap();
    let mut client = server.client().unwrap();
    assert_eq!(client.call(&["PING"]).unwrap(), Frame::simple("PONG"));
    let addr = server.addr();
    drop(server);
    assert!(
        Client::connect(addr).is_err(),
        "server still listening after drop"
    );
}

#[test]
fn restart_keeps_the_directory_and_its_files() {
    let Some(builder) = redis() else { return };
    let mut server = builder.keep_persistence().start().unwrap();
    let mut client = server.client().unwrap();
    assert_eq!(client.call(&["SET", "k", "v"]).unwrap(), Frame::ok());
    assert_eq!(client.call(&["SAVE"]).unwrap(), Frame::ok());
    assert!(server.dir().join("dump.rdb").is_file());
    server.restart().unwrap();
    let mut client = server.client().unwrap();
    assert_eq!(client.call(&["GET", "k"]).unwrap(), bulk("v"));
}

#[test]
fn a_server_that_cannot_start_reports_its_own_words() {
    let Some(builder) = redis() else { return };
    let err = builder
        .args(["--no-such-directive", "1"])
        .start()
        .unwrap_err()
        .to_string();
    assert!(err.contains("did not start"), "{err}");
    assert!(
        err.contains("no-such-directive"),
        "server output missing: {err}"
    );
}

#[test]
fn client_pipelines_and_sends_raw_bytes() {
    let Some(builder) = redis() else { return };
    let server = builder.start().unwrap();
    let mut client = server.client().unwrap();
    for i in 0..100 {
        client.send(&["SET", &format!("key{i}"), "v"]).unwrap();
    }
    for _ in 0..100 {
        assert_eq!(client.read_frame().unwrap(), Frame::ok());
    }
    client.send_raw(b"PING\r\n").unwrap();
    assert_eq!(client.read_raw().unwrap(), b"+PONG\r\n");
    client.send_raw(b"*1\r\n$4\r\nQUIT\r\n").unwrap();
    assert_eq!(client.read_frame().unwrap(), Frame::ok());
    client.wait_closed().unwrap();
}

#[test]
fn client_speaks_resp3_and_reads_pushes() {
    let Some(builder) = redis() else { return };
    let server = builder.start().unwrap();
    let mut subscriber = server.client().unwrap();
    assert!(matches!(subscriber.hello3().unwrap(), Frame::Map(_)));
    let confirmation = subscriber.call(&["SUBSCRIBE", "news"]).unwrap();
    assert_eq!(
        render(&confirmation),
        "1) \"subscribe\"\n2) \"news\"\n3) (integer) 1\n"
    );
    let mut publisher = server.client().unwrap();
    assert_eq!(
        publisher.call(&["PUBLISH", "news", "hi"]).unwrap(),
        Frame::Integer(1)
    );
    assert_eq!(
        subscriber.read_push().unwrap(),
        [bulk("message"), bulk("news"), bulk("hi")]
    );
}

#[test]
fn redis_cli_runs_the_seed_scenario() {
    let (Some(builder), Some(_)) = (redis(), reference::redis_cli()) else {
        return;
    };
    let server = builder.start().unwrap();
    let port = server.port();
    let setuser = moat_testkit::redis_cli(
        port,
        &[
            "ACL",
            "SETUSER",
            "cachereader",
            "on",
            ">CacheReaderPassword",
            "%R~cache:*",
            "+@read",
        ],
    )
    .unwrap();
    assert_eq!(setuser, "OK\n");
    let url = format!("redis://cachereader:CacheReaderPassword@127.0.0.1:{port}");
    let denied =
        moat_testkit::redis_cli(port, &["-u", &url, "SET", "cache:test", "value"]).unwrap();
    // 7.0 and 7.2 word the denial differently; both start like this.
    assert!(denied.starts_with("NOPERM "), "{denied}");
}

#[test]
fn golden_files_marked_for_redis_hold_on_redis() {
    let Some(builder) = redis() else { return };
    let report = golden::check_dir_against_reference(
        &moat_testkit::golden_dir(),
        ReferenceServer::Redis,
        &builder,
    )
    .unwrap();
    assert!(
        !report.scripts.is_empty(),
        "no golden file is marked `# reference: redis`"
    );
    report.assert_clean();
}

#[test]
fn golden_files_marked_for_valkey_hold_on_valkey() {
    let Some(valkey) = reference::valkey_server() else {
        return;
    };
    let report = golden::check_dir_against_reference(
        &moat_testkit::golden_dir(),
        ReferenceServer::Valkey,
        &ServerBuilder::new(valkey),
    )
    .unwrap();
    report.assert_clean();
}

#[test]
fn golden_mismatches_name_file_and_line_and_update_fixes_them() {
    let Some(builder) = redis() else { return };
    let server = builder.start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wrong.txt");
    let text = "# c\n> SET k v\nOK\n> GET k\n\"w\"\n\n> CLIENT ID\n...\n> MGET k x\n> PING\nPONG\n";
    fs::write(&path, text).unwrap();

    let mismatches = GoldenFile::load(&path)
        .unwrap()
        .check(server.addr())
        .unwrap();
    let described: Vec<String> = mismatches.iter().map(|m| m.to_string()).collect();
    assert_eq!(described.len(), 2, "{described:#?}");
    assert!(described[0].starts_with(&format!("{}:4: > GET k", path.display())));
    assert!(described[0].contains("expected:\n    \"w\"\n  actual:\n    \"v\"\n"));
    assert!(described[1].contains(":9: > MGET k x"));

    GoldenFile::load(&path)
        .unwrap()
        .update(server.addr())
        .unwrap();
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "# c\n> SET k v\nOK\n> GET k\n\"v\"\n\n> CLIENT ID\n...\n> MGET k x\n1) \"v\"\n2) (nil)\n> PING\nPONG\n"
    );
    assert!(GoldenFile::load(&path)
        .unwrap()
        .check(server.addr())
        .unwrap()
        .is_empty());
}

#[test]
fn differential_scripts_agree_between_two_redis_servers() {
    let Some(builder) = redis() else { return };
    let builder = builder.args(differential::SCRIPT_SERVER_ARGS);
    // Both sides write their own pushes in 7.0's order: nothing to move.
    let report = differential::check_dir_with(
        &moat_testkit::differential_dir(),
        &builder,
        &builder,
        differential::ReferencePushes::AsSent,
    )
    .unwrap();
    assert!(!report.scripts.is_empty());
    report.assert_clean();
}

#[test]
fn differential_mismatches_show_script_line_and_both_replies() {
    let Some(builder) = redis() else { return };
    let subject = builder
        .clone()
        .args(["--maxmemory-samples", "7"])
        .start()
        .unwrap();
    let reference_server = ServerProcess::start(
        reference::redis_server().unwrap(),
        ["--maxmemory-samples", "5"],
    )
    .unwrap();
    let script = DifferentialScript::parse(
        Path::new("probe.txt"),
        "# probe\nPING\nCONFIG GET maxmemory-samples\nCLIENT ID\n",
    )
    .unwrap();
    let mismatches = script
        .compare(
            subject.addr(),
            reference_server.addr(),
            differential::ReferencePushes::AsSent,
        )
        .unwrap();
    assert_eq!(mismatches.len(), 1, "{mismatches:#?}");
    assert_eq!(
        mismatches[0].to_string(),
        "probe.txt:3: CONFIG GET maxmemory-samples\n  server under test:\n    1) \"maxmemory-samples\"\n    2) \"7\"\n  reference:\n    1) \"maxmemory-samples\"\n    2) \"5\"\n"
    );
}

/// Against itself with only the reference's stream rewritten, Redis 7.0
/// differs exactly where it writes a client's own push before the reply;
/// a push another client caused, already waiting, keeps its place.
#[test]
fn the_reference_reads_its_own_pushes_after_the_reply() {
    let Some(builder) = redis() else { return };
    let subject = builder.clone().start().unwrap();
    let reference_server = builder.start().unwrap();
    let script = DifferentialScript::parse(
        Path::new("order.txt"),
        "[me]\n[resp3]\nSUBSCRIBE ch\n@other PUBLISH ch theirs\nPUBLISH ch mine\n[read]\n[read]\nPING\n",
    )
    .unwrap();
    let mismatches = script
        .compare(
            subject.addr(),
            reference_server.addr(),
            differential::ReferencePushes::Redis70,
        )
        .unwrap();
    let lines: Vec<usize> = mismatches.iter().map(|m| m.line).collect();
    // Line 5 (PUBLISH ch mine) reads "theirs" on both; then 7.0 sends
    // "mine" before `(integer) 1`, which the rewritten reference swaps.
    assert_eq!(lines, vec![6, 7], "{mismatches:#?}");
    assert!(
        mismatches[0].subject.contains("\"mine\""),
        "{mismatches:#?}"
    );
    assert!(
        mismatches[0].reference.contains("(integer) 1"),
        "{mismatches:#?}"
    );
}
