//! A queued command that marks its own client to close (ACL DELUSER of
//! the client's user, CLIENT KILL of itself): Redis adds no reply after
//! it, so EXEC's array header counts every queued command but only the
//! replies up to that command's are written, and the connection closes.
//! The bytes are Redis 7.0's and Valkey 8.1's.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use support::{call, moat, ok};

/// Sends `requests` in one write and reads until the server hangs up.
fn exchange_until_closed(server: &moat_testkit::ServerProcess, requests: &[&[&str]]) -> String {
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let input: Vec<u8> = requests
        .iter()
        .flat_map(|r| moat_testkit::encode_command(r))
        .collect();
    stream.write_all(&input).unwrap();
    let mut output = Vec::new();
    stream.read_to_end(&mut output).unwrap();
    String::from_utf8_lossy(&output).into_owned()
}

fn create_alice(control: &mut moat_testkit::Client) {
    ok(
        control,
        &[
            "ACL", "SETUSER", "alice", "reset", "on", ">pw", "+@all", "~*", "&*",
        ],
    );
}

#[test]
fn exec_stops_replying_after_deleting_its_own_user() {
    let server = moat().start().unwrap();
    let mut control = server.client().unwrap();
    create_alice(&mut control);
    let output = exchange_until_closed(
        &server,
        &[
            &["AUTH", "alice", "pw"],
            &["MULTI"],
            &["ACL", "DELUSER", "alice"],
            &["PING"],
            &["SET", "after", "1"],
            &["EXEC"],
            &["PING"],
        ],
    );
    assert_eq!(
        output,
        "+OK\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n:1\r\n"
    );
    // The rest of the queue ran, as the default user.
    assert_eq!(
        call(&mut control, &["GET", "after"]),
        moat_resp::Frame::Bulk("1".into())
    );
}

#[test]
fn exec_stops_replying_after_killing_its_own_client() {
    let server = moat().start().unwrap();
    let mut control = server.client().unwrap();
    create_alice(&mut control);
    let output = exchange_until_closed(
        &server,
        &[
            &["AUTH", "alice", "pw"],
            &["MULTI"],
            &["CLIENT", "KILL", "USER", "alice", "SKIPME", "no"],
            &["PING"],
            &["EXEC"],
        ],
    );
    assert_eq!(output, "+OK\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n:1\r\n");
}

#[test]
fn exec_whose_last_command_deletes_its_user_replies_in_full() {
    let server = moat().start().unwrap();
    let mut control = server.client().unwrap();
    create_alice(&mut control);
    let output = exchange_until_closed(
        &server,
        &[
            &["AUTH", "alice", "pw"],
            &["MULTI"],
            &["ACL", "DELUSER", "alice"],
            &["EXEC"],
        ],
    );
    assert_eq!(output, "+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n:1\r\n");
}
