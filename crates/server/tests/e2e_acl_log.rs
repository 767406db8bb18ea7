//! The ACL log's client info through the network: the log keeps the
//! client's fields as captured at the denial and writes the line when
//! `ACL LOG` is read. The line must be the client's `CLIENT INFO` line of
//! that moment, and a repeated denial must refresh it (Redis replaces the
//! grouped entry's client info each time).

use moat_resp::Frame;
use moat_testkit::{moat_server, Client, ServerProcess};

fn moat() -> ServerProcess {
    moat_server(option_env!("CARGO_BIN_EXE_moat-server"))
        .start()
        .unwrap()
}

fn call(client: &mut Client, args: &[&str]) -> Frame {
    client.call(args).unwrap()
}

fn text(frame: &Frame) -> String {
    match frame {
        Frame::Bulk(b) | Frame::Simple(b) | Frame::Error(b) => {
            String::from_utf8_lossy(b).into_owned()
        }
        Frame::Verbatim { text, .. } => String::from_utf8_lossy(text).into_owned(),
        other => panic!("not text: {other:?}"),
    }
}

/// The newest ACL LOG entries as (field name, value) lists.
fn log_entries(admin: &mut Client) -> Vec<Vec<(String, Frame)>> {
    let Frame::Array(entries) = call(admin, &["ACL", "LOG"]) else {
        panic!("ACL LOG is an array")
    };
    entries
        .into_iter()
        .map(|entry| {
            let pairs: Vec<(Frame, Frame)> = match entry {
                Frame::Map(pairs) => pairs,
                Frame::Array(items) => {
                    let mut items = items.into_iter();
                    std::iter::from_fn(|| Some((items.next()?, items.next()?))).collect()
                }
                other => panic!("entry: {other:?}"),
            };
            pairs.into_iter().map(|(k, v)| (text(&k), v)).collect()
        })
        .collect()
}

fn field<'a>(entry: &'a [(String, Frame)], name: &str) -> &'a Frame {
    &entry.iter().find(|(k, _)| k == name).expect(name).1
}

/// A client line as (key, value) pairs, in order.
fn fields(line: &str) -> Vec<(String, String)> {
    line.trim_end()
        .split(' ')
        .map(|pair| {
            let (k, v) = pair.split_once('=').expect("key=value");
            (k.to_string(), v.to_string())
        })
        .collect()
}

#[test]
fn a_denial_logs_the_clients_line_and_repeats_refresh_it() {
    let server = moat();
    let mut admin = Client::connect_port(server.port()).unwrap();
    assert_eq!(
        call(
            &mut admin,
            &[
                "ACL",
                "SETUSER",
                "app",
                "on",
                ">pw",
                "~app:*",
                "+@all",
                "-flushall"
            ]
        ),
        Frame::ok()
    );
    let mut app = Client::connect_port(server.port()).unwrap();
    assert_eq!(call(&mut app, &["AUTH", "app", "pw"]), Frame::ok());
    assert_eq!(call(&mut app, &["CLIENT", "SETNAME", "first"]), Frame::ok());
    assert_eq!(call(&mut app, &["SELECT", "2"]), Frame::ok());
    let denied = call(&mut app, &["GET", "other"]);
    assert_eq!(text(&denied), "NOPERM No permissions to access a key");
    let own = text(&call(&mut app, &["CLIENT", "INFO"]));

    let entries = log_entries(&mut admin);
    assert_eq!(entries.len(), 1);
    let logged = text(field(&entries[0], "client-info"));
    let (logged, own) = (fields(&logged), fields(&own));
    assert_eq!(
        logged.iter().map(|(k, _)| k).collect::<Vec<_>>(),
        own.iter().map(|(k, _)| k).collect::<Vec<_>>(),
        "the same fields in the same order"
    );
    // What changes between the denial and CLIENT INFO: the command, and
    // the time and buffer fields.
    let moving = [
        "cmd",
        "age",
        "idle",
        "qbuf",
        "qbuf-free",
        "tot-mem",
        "omem",
        "oll",
    ];
    for ((key, logged), (_, own)) in logged.iter().zip(&own) {
        if !moving.contains(&key.as_str()) {
            assert_eq!(logged, own, "{key}");
        }
    }
    let value = |line: &[(String, String)], key: &str| {
        line.iter().find(|(k, _)| k == key).unwrap().1.clone()
    };
    assert_eq!(value(&logged, "cmd"), "get");
    assert_eq!(value(&logged, "name"), "first");
    assert_eq!(value(&logged, "db"), "2");
    assert_eq!(value(&logged, "user"), "app");

    // The same denial again, from a changed client: one entry, count 2,
    // the new client info; then a command denial with its own reply text.
    assert_eq!(
        call(&mut app, &["CLIENT", "SETNAME", "second"]),
        Frame::ok()
    );
    assert_eq!(call(&mut app, &["MULTI"]), Frame::ok());
    assert_eq!(call(&mut app, &["DISCARD"]), Frame::ok());
    call(&mut app, &["GET", "other"]);
    for _ in 0..2 {
        assert_eq!(
            text(&call(&mut app, &["FLUSHALL"])),
            "NOPERM User app has no permissions to run the 'flushall' command"
        );
    }
    let entries = log_entries(&mut admin);
    assert_eq!(entries.len(), 2);
    let (command, key) = (&entries[0], &entries[1]);
    assert_eq!(field(command, "object"), &Frame::Bulk("flushall".into()));
    assert_eq!(field(command, "count"), &Frame::Integer(2));
    assert_eq!(field(key, "count"), &Frame::Integer(2));
    let refreshed = fields(&text(field(key, "client-info")));
    assert_eq!(value(&refreshed, "name"), "second");
    assert_eq!(value(&refreshed, "cmd"), "get");
    assert_eq!(value(&refreshed, "id"), value(&logged, "id"));
    let command_info = fields(&text(field(command, "client-info")));
    assert_eq!(value(&command_info, "cmd"), "flushall");

    // INFO counts the refusals under NOPERM.
    let info = text(&call(&mut admin, &["INFO", "errorstats"]));
    assert!(info.contains("errorstat_NOPERM:count=4\r\n"), "{info}");
}
