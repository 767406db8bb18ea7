//! The connection loop's request handling on a raw socket: requests split
//! across reads anywhere, big pipelines in one write, MULTI keeping the
//! arguments of queued commands while the connection reuses its argument
//! vector, and replies in request order.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use support::moat;

fn request(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn connect(server: &moat_testkit::ServerProcess) -> TcpStream {
    let stream = TcpStream::connect(server.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream.set_nodelay(true).unwrap();
    stream
}

/// Reads until exactly `expected` arrived (and fails on anything else).
fn expect_reply(stream: &mut TcpStream, expected: &[u8]) {
    let mut got = vec![0; expected.len()];
    stream.read_exact(&mut got).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(expected)
    );
}

#[test]
fn requests_split_at_every_byte_are_served_like_whole_ones() {
    let server = moat().start().unwrap();
    let mut stream = connect(&server);
    let mut input = request(&[b"SET", b"k", b"hello"]);
    input.extend(request(&[b"GET", b"k"]));
    input.extend(b"PING\r\n");
    input.extend(request(&[b"APPEND", b"k", b"!"]));
    for byte in &input {
        stream.write_all(std::slice::from_ref(byte)).unwrap();
        std::thread::sleep(Duration::from_micros(200));
    }
    expect_reply(&mut stream, b"+OK\r\n$5\r\nhello\r\n+PONG\r\n:6\r\n");
}

#[test]
fn a_large_value_arriving_in_many_reads_is_stored_whole() {
    let server = moat().start().unwrap();
    let mut stream = connect(&server);
    let value: Vec<u8> = (0..3_000_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let input = request(&[b"SET", b"big", &value]);
    for chunk in input.chunks(4099) {
        stream.write_all(chunk).unwrap();
    }
    expect_reply(&mut stream, b"+OK\r\n");
    stream.write_all(&request(&[b"STRLEN", b"big"])).unwrap();
    expect_reply(&mut stream, b":3000000\r\n");
    stream
        .write_all(&request(&[b"GETRANGE", b"big", b"2999990", b"-1"]))
        .unwrap();
    let tail = &value[2_999_990..];
    expect_reply(
        &mut stream,
        format!("$10\r\n{}\r\n", String::from_utf8_lossy(tail)).as_bytes(),
    );
}

#[test]
fn a_big_pipeline_in_one_write_answers_in_order() {
    let server = moat().start().unwrap();
    let mut stream = connect(&server);
    let mut input = Vec::new();
    let mut expected = Vec::new();
    for i in 0..5000 {
        let key = format!("key:{}", i % 7);
        let value = format!("value-{i}");
        input.extend(request(&[b"SET", key.as_bytes(), value.as_bytes()]));
        expected.extend_from_slice(b"+OK\r\n");
        input.extend(request(&[b"get", key.as_bytes()]));
        expected.extend_from_slice(format!("${}\r\n{value}\r\n", value.len()).as_bytes());
        if i % 1000 == 0 {
            // Another spelling and an unknown command between known ones.
            input.extend(request(&[b"GeT", key.as_bytes()]));
            expected.extend_from_slice(format!("${}\r\n{value}\r\n", value.len()).as_bytes());
            input.extend(request(&[b"GETS", key.as_bytes()]));
            expected.extend_from_slice(
                format!("-ERR unknown command 'GETS', with args beginning with: '{key}' \r\n")
                    .as_bytes(),
            );
        }
    }
    let writer = {
        let mut stream = stream.try_clone().unwrap();
        std::thread::spawn(move || stream.write_all(&input).unwrap())
    };
    expect_reply(&mut stream, &expected);
    writer.join().unwrap();
}

#[test]
fn queued_commands_keep_their_arguments() {
    let server = moat().start().unwrap();
    let mut stream = connect(&server);
    let mut input = request(&[b"MULTI"]);
    input.extend(request(&[b"SET", b"a", b"first"]));
    input.extend(request(&[b"SET", b"b", b"second"]));
    input.extend(request(&[b"GET", b"a"]));
    input.extend(request(&[b"GET", b"b"]));
    input.extend(request(&[b"EXEC"]));
    stream.write_all(&input).unwrap();
    expect_reply(
        &mut stream,
        b"+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*4\r\n+OK\r\n+OK\r\n$5\r\nfirst\r\n$6\r\nsecond\r\n",
    );
}
