//! Differential check against the reference `redis-server` 7.0.15: for
//! every command whose declaration has no 7.2 delta, `COMMAND INFO` and
//! `COMMAND DOCS` rendered from the table must equal the server's raw
//! reply bytes in RESP2 and RESP3, and `COMMAND GETKEYS(ANDFLAGS)` must
//! agree on a list of sample requests.
//!
//! Redis emits subcommands in hash-table order, which is randomised per
//! process, so replies of containers are compared after sorting their
//! subcommands; every other reply is compared byte for byte.
//!
//! Skipped (with a notice) when /usr/bin/redis-server is absent, unless
//! `MOAT_REQUIRE_REFERENCE=1`.

use bytes::{Bytes, BytesMut};
use moat_commands::{
    command_docs_reply, command_info_reply, command_reply, CommandFlags, CommandTable,
};
use moat_resp::{decode_frame, Frame, Protocol};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};

const REDIS_SERVER: &str = "/usr/bin/redis-server";

use moat_testkit::accepted_differences::COMMAND_TABLE_DELTAS as SEVEN_TWO_DELTAS;

/// Requests for GETKEYS/GETKEYSANDFLAGS, errors included. GEORADIUS with a
/// repeated STORE is left out on purpose: moat checks every occurrence.
const GETKEYS_SAMPLES: &[&[&str]] = &[
    &["get", "k"],
    &["GET", "a", "b"],
    &["set", "k", "v"],
    &["set", "k", "v", "GET"],
    &["set", "k", "v", "ex", "1", "get"],
    &["mset", "a", "1", "b", "2"],
    &["mget", "a", "b", "c"],
    &["del", "a", "b"],
    &["copy", "s", "d", "REPLACE"],
    &["rename", "a", "b"],
    &["smove", "a", "b", "m"],
    &["sinterstore", "d", "a", "b"],
    &["blmove", "a", "b", "LEFT", "RIGHT", "0"],
    &["bitfield", "k", "GET", "u8", "0"],
    &["bitfield", "k", "SET", "u8", "0", "1"],
    &["bitfield", "k", "GET", "u8"],
    &["bitfield_ro", "k", "GET", "u8", "0"],
    &["sort", "k"],
    &["sort", "k", "STORE", "d"],
    &[
        "sort", "k", "BY", "w*", "GET", "#", "STORE", "a", "STORE", "b",
    ],
    &["sort", "k", "LIMIT", "0", "1", "STORE", "d"],
    &["sort_ro", "k", "BY", "w*"],
    &["migrate", "h", "1", "k", "0", "500"],
    &["migrate", "h", "1", "", "0", "500", "KEYS", "a", "b"],
    &[
        "migrate", "h", "1", "", "0", "500", "AUTH", "p", "KEYS", "a",
    ],
    &[
        "migrate", "h", "1", "", "0", "500", "AUTH2", "u", "p", "KEYS", "a",
    ],
    &["migrate", "h", "1", "k", "0", "500", "KEYS", "a"],
    &["eval", "s", "0"],
    &["eval", "s", "1", "k"],
    &["eval", "s", "2", "a", "b", "arg"],
    &["eval", "s", "3", "a", "b"],
    &["eval", "s", "-1", "a"],
    &["eval", "s", "x", "a"],
    &["eval_ro", "s", "1", "k"],
    &["evalsha", "s", "1", "k"],
    &["fcall", "f", "1", "k"],
    &["fcall_ro", "f", "2", "a", "b"],
    &["georadius", "k", "0", "0", "1", "m"],
    &["georadius", "k", "0", "0", "1", "m", "STORE", "d"],
    &["georadius", "k", "0", "0", "1", "m", "STOREDIST", "d"],
    &["georadiusbymember", "k", "m", "1", "km", "STORE", "d"],
    &["xread", "STREAMS", "a", "b", "0", "0"],
    &["xread", "COUNT", "1", "BLOCK", "0", "STREAMS", "a", "0"],
    &["xread", "STREAMS", "a", "b", "0"],
    &["xreadgroup", "GROUP", "g", "c", "STREAMS", "s", ">"],
    &["zunionstore", "d", "2", "a", "b"],
    &["zunionstore", "d", "5", "a"],
    &["zinterstore", "d", "1", "a", "WEIGHTS", "2"],
    &["zdiffstore", "d", "2", "a", "b"],
    &["zunion", "2", "a", "b"],
    &["zinter", "1", "a"],
    &["zdiff", "2", "a", "b"],
    &["zintercard", "2", "a", "b", "LIMIT", "1"],
    &["sintercard", "2", "a", "b"],
    &["sintercard", "0", "a"],
    &["lmpop", "2", "a", "b", "LEFT"],
    &["blmpop", "0", "1", "a", "LEFT", "COUNT", "2"],
    &["zmpop", "1", "a", "MIN"],
    &["bzmpop", "0", "2", "a", "b", "MAX"],
    &["object", "encoding", "k"],
    &["memory", "usage", "k"],
    &["xinfo", "stream", "s"],
    &["pfcount", "a", "b"],
    &["lcs", "a", "b"],
    &["spublish", "ch", "m"],
    &["publish", "ch", "m"],
    &["ping", "x"],
    &["client", "kill", "x"],
    &["client", "nope"],
    &["nosuch", "a"],
    &["config", "get", "x"],
    &["lmpop", "0", "a"],
    &["touch", "a", "b"],
    &["exists", "a"],
    &["getex", "k", "PERSIST"],
    &["restore", "k", "0", "x"],
    &["xadd", "s", "*", "f", "v"],
];

struct Reference {
    child: Child,
    port: u16,
}

impl Reference {
    fn start() -> Option<Reference> {
        if !Path::new(REDIS_SERVER).exists() {
            if std::env::var("MOAT_REQUIRE_REFERENCE").as_deref() == Ok("1") {
                panic!("MOAT_REQUIRE_REFERENCE=1 but {REDIS_SERVER} is missing");
            }
            eprintln!("skipping: {REDIS_SERVER} not found");
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let child = Command::new(REDIS_SERVER)
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        Some(Reference { child, port })
    }

    fn connect(&self, protocol: Protocol) -> Conn {
        // The server needs a moment to listen; poll a bounded number of times.
        let stream = (0..500)
            .find_map(|_| {
                TcpStream::connect(("127.0.0.1", self.port))
                    .ok()
                    .or_else(|| {
                        std::thread::sleep(std::time::Duration::from_millis(10));
                        None
                    })
            })
            .expect("redis-server did not start listening");
        let mut conn = Conn {
            stream,
            buf: BytesMut::new(),
        };
        if protocol == Protocol::Resp3 {
            conn.raw(&["HELLO", "3"]);
        }
        conn
    }
}

impl Drop for Reference {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Conn {
    stream: TcpStream,
    buf: BytesMut,
}

impl Conn {
    /// Sends a command and returns the raw bytes of its reply.
    fn raw(&mut self, args: &[&str]) -> Vec<u8> {
        let mut req = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            req.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            req.extend_from_slice(a.as_bytes());
            req.extend_from_slice(b"\r\n");
        }
        self.stream.write_all(&req).expect("write");
        loop {
            let mut probe = self.buf.clone();
            if decode_frame(&mut probe).expect("valid reply").is_some() {
                let len = self.buf.len() - probe.len();
                return self.buf.split_to(len).to_vec();
            }
            let mut chunk = [0u8; 65536];
            let n = self.stream.read(&mut chunk).expect("read");
            assert!(n > 0, "server closed the connection");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

fn encode(frame: &Frame, protocol: Protocol) -> Vec<u8> {
    let mut out = BytesMut::new();
    frame.encode(protocol, &mut out);
    out.to_vec()
}

fn decode(raw: &[u8]) -> Frame {
    decode_frame(&mut BytesMut::from(raw))
        .expect("valid")
        .expect("complete")
}

/// Sorts what Redis emits in hash order: subcommand entries of COMMAND
/// INFO (element 10) and the `subcommands` map of COMMAND DOCS.
fn normalise(frame: Frame) -> Frame {
    match frame {
        Frame::Array(items) if items.len() == 10 && matches!(items[0], Frame::Bulk(_)) => {
            let mut items: Vec<Frame> = items.into_iter().map(normalise).collect();
            if let Frame::Set(subs) | Frame::Array(subs) = &mut items[9] {
                subs.sort_by_key(|s| format!("{s:?}"));
            }
            Frame::Array(items)
        }
        Frame::Array(items) => {
            // RESP2 flattens maps: sort the pairs following a "subcommands" key.
            let mut items: Vec<Frame> = items.into_iter().map(normalise).collect();
            let key = Frame::Bulk(Bytes::from_static(b"subcommands"));
            if let Some(at) = items.iter().position(|f| *f == key) {
                if let Some(Frame::Array(flat)) = items.get_mut(at + 1) {
                    let mut pairs: Vec<Vec<Frame>> =
                        flat.chunks(2).map(<[Frame]>::to_vec).collect();
                    pairs.sort_by_key(|p| format!("{:?}", p[0]));
                    *flat = pairs.concat();
                }
            }
            Frame::Array(items)
        }
        Frame::Set(items) => Frame::Set(items.into_iter().map(normalise).collect()),
        Frame::Map(entries) => {
            let mut entries: Vec<(Frame, Frame)> = entries
                .into_iter()
                .map(|(k, v)| (k, normalise(v)))
                .collect();
            for (key, value) in entries.iter_mut() {
                if *key == Frame::Bulk(Bytes::from_static(b"subcommands")) {
                    if let Frame::Map(subs) = value {
                        subs.sort_by_key(|(k, _)| format!("{k:?}"));
                    }
                }
            }
            Frame::Map(entries)
        }
        other => other,
    }
}

fn is_delta(fullname: &str) -> bool {
    SEVEN_TWO_DELTAS.iter().any(|(name, _)| *name == fullname)
}

/// Compares `mine` with the server's `raw` reply; containers after sorting.
fn differs(mine: &Frame, raw: &[u8], protocol: Protocol, container: bool) -> bool {
    if container {
        let mine = decode(&encode(mine, protocol));
        encode(&normalise(mine), protocol) != encode(&normalise(decode(raw)), protocol)
    } else {
        encode(mine, protocol) != raw
    }
}

fn checked_commands(table: &CommandTable) -> impl Iterator<Item = &moat_commands::Command> {
    table
        .iter()
        .filter(|c| !c.flags.contains(CommandFlags::MODULE) && !is_delta(&c.fullname))
}

#[test]
fn command_info_and_docs_match_reference() {
    let Some(server) = Reference::start() else {
        return;
    };
    let table = CommandTable::global();
    let mut mismatches = Vec::new();
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let mut conn = server.connect(protocol);
        for cmd in checked_commands(table) {
            let raw = conn.raw(&["COMMAND", "INFO", &cmd.fullname]);
            let mine = Frame::Array(vec![command_info_reply(cmd)]);
            if differs(&mine, &raw, protocol, cmd.is_container()) {
                mismatches.push(format!(
                    "INFO {} {protocol:?}\n  redis: {}\n  moat:  {}",
                    cmd.fullname,
                    String::from_utf8_lossy(&raw),
                    String::from_utf8_lossy(&encode(&mine, protocol))
                ));
            }
            let raw = conn.raw(&["COMMAND", "DOCS", &cmd.fullname]);
            let mine = Frame::Map(vec![(
                Frame::Bulk(Bytes::from(cmd.fullname.clone())),
                command_docs_reply(cmd),
            )]);
            if differs(&mine, &raw, protocol, cmd.is_container()) {
                mismatches.push(format!(
                    "DOCS {} {protocol:?}\n  redis: {}\n  moat:  {}",
                    cmd.fullname,
                    String::from_utf8_lossy(&raw),
                    String::from_utf8_lossy(&encode(&mine, protocol))
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// A raw reply as the differential tests compare it: after the accepted
/// differences (COMMAND HELP's footer is 7.2's `Print this help.`).
fn accepted(argv: &[&str], raw: &[u8]) -> Frame {
    let args: Vec<Vec<u8>> = argv.iter().map(|a| a.as_bytes().to_vec()).collect();
    let mut buf = BytesMut::from(raw);
    let frame = decode_frame(&mut buf).ok().flatten().unwrap_or(Frame::Null);
    moat_testkit::accepted_differences::normalise(&args, frame)
}

#[test]
fn getkeys_and_help_match_reference() {
    let Some(server) = Reference::start() else {
        return;
    };
    let table = CommandTable::global();
    let mut mismatches = Vec::new();
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let mut conn = server.connect(protocol);
        let mut requests: Vec<Vec<&str>> = vec![
            vec!["COMMAND", "HELP"],
            vec!["COMMAND", "INFO", "get", "nosuch"],
        ];
        for sample in GETKEYS_SAMPLES {
            for sub in ["GETKEYS", "GETKEYSANDFLAGS"] {
                let mut argv = vec!["COMMAND", sub];
                argv.extend_from_slice(sample);
                requests.push(argv);
            }
        }
        for argv in requests {
            let raw = conn.raw(&argv);
            let bytes: Vec<Bytes> = argv
                .iter()
                .map(|a| Bytes::copy_from_slice(a.as_bytes()))
                .collect();
            let mine = encode(&command_reply(table, &bytes), protocol);
            if accepted(&argv, &mine) != accepted(&argv, &raw) {
                mismatches.push(format!(
                    "{argv:?} {protocol:?}\n  redis: {}\n  moat:  {}",
                    String::from_utf8_lossy(&raw),
                    String::from_utf8_lossy(&mine)
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
