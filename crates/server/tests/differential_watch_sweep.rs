//! Which keys each write command reports as modified, against the
//! reference redis-server: the watches it breaks and the client-side
//! caches it invalidates.
//!
//! Redis breaks a WATCH and invalidates a tracked key exactly where a
//! command calls `signalModifiedKey`, or empties the key's database
//! (FLUSHALL, FLUSHDB; SWAPDB breaks watches but invalidates nothing),
//! or deletes an expired key or evicts one; its bare `dbAdd` and
//! `dbDelete` signal nothing. A write that changes nothing usually does
//! not signal, and some that change nothing still do (HSET of the same
//! value). Nothing in a reply shows it, so this sweep looks from other
//! connections. Each case runs on one pair of servers (persistence off,
//! the active expire cycle off so that only lookups expire keys):
//!
//! 1. FLUSHALL, the shared fixture (`keyspace_fixture`: one key of every
//!    type, one expired key of every type) and a key with a TTL, the
//!    case's own setup;
//! 2. a `CLIENT TRACKING ON BCAST` connection (RESP3) and a default-mode
//!    tracking connection that reads the case's live keys with MGET, both
//!    drained up to a PING's reply;
//! 3. one watching connection per watched key (the keys the reference's
//!    `COMMAND GETKEYS` finds in the case's commands, a bystander, the
//!    same keys in database 1 when the case reaches there): `WATCH key`,
//!    `MULTI`, `PING`;
//! 4. the case's blocking command, if any, on a connection of its own
//!    until it blocks, then the case's commands on the control
//!    connection;
//! 5. `EXEC` on every watching connection (a null reply: the watch broke),
//!    then a PING on each tracking connection, collecting the
//!    invalidations that arrive before its reply.
//!
//! The replies, the broken watches and the invalidated keys of both
//! tracking modes are compared. The sweep also checks that every command
//! the reference flags `write` appears in some case. Where Redis 7.2
//! (which moat follows) differs from the 7.0.15 reference, the case is in
//! the testkit's `WATCH_DIFFERENCES` with moat's outcome; Valkey's
//! outcome, when it is installed, is shown beside a difference as a second
//! opinion on the later behaviour.
//!
//! `MOAT_WATCH_ONLY=<text>` runs the cases whose name contains the text;
//! `MOAT_WATCH_SHOW=1` prints every case's outcome.

mod command_table;
mod keyspace_fixture;

use command_table::{items, table, text};
use moat_resp::{Frame, Protocol};
use moat_testkit::accepted_differences::WATCH_DIFFERENCES;
use moat_testkit::{moat_server, reference, Client, ServerBuilder, ServerProcess};
use std::collections::{BTreeSet, HashSet};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// Besides the shared fixture (crates/server/tests/keyspace_fixture), a
/// key with a TTL still to run.
const WITH_TTL: &[&str] = &["SET t v PX 100000"];

/// Watched in every case, named or not: a change to it is a change to a
/// key the command had no business with.
const BYSTANDER: &str = "s2";

/// Watched (in both databases) by cases whose commands name no key.
const KEYLESS_WATCH: &[&str] = &["s", "l", "nokey", "es"];

/// Stands for a DUMP payload of the string `v` in a case's words, taken
/// from the reference (its RDB version is the older one, which moat reads
/// too).
const PAYLOAD: &str = "<payload>";

/// Stands for the reference's FUNCTION DUMP of a one-function library.
const FUNCTIONS: &str = "<functions>";

/// The payloads the placeholders of a case's words stand for.
#[derive(Default, Clone)]
struct Payloads {
    key: Vec<u8>,
    functions: Vec<u8>,
}

/// Write commands no case runs, with the reason.
const NOT_SWEPT: &[(&str, &str)] = &[("restore-asking", "cluster only")];

/// A case: setup commands (after the fixture), then the measured ones.
#[derive(Default)]
struct Case {
    setup: Vec<String>,
    /// A blocking command sent on its own connection before the measured
    /// commands, which serve it.
    blocker: Option<String>,
    commands: Vec<String>,
    /// Keys watched besides those the commands name.
    extra_watch: Vec<String>,
}

impl Case {
    /// How the case is named in reports and in `WATCH_DIFFERENCES`.
    fn name(&self) -> String {
        let mut name = self.commands.join("; ");
        if let Some(blocker) = &self.blocker {
            name = format!("{blocker} served by {name}");
        }
        if !self.setup.is_empty() {
            let setup: Vec<String> = self.setup.iter().map(|c| abridged(c)).collect();
            name = format!("{name} after {}", setup.join("; "));
        }
        name
    }

    /// Whether the case reaches database 1, so that keys there are
    /// watched too.
    fn reaches_db1(&self) -> bool {
        self.setup.iter().chain(&self.commands).any(|c| {
            c.contains("SELECT 1")
                || c.contains("DB 1")
                || c.starts_with("MOVE ")
                || c.starts_with("SWAPDB")
                || c.starts_with("FLUSH")
                || c.contains("allkeys")
        })
    }
}

/// A command as a case's name shows it: the first words of a long one.
fn abridged(command: &str) -> String {
    let words: Vec<&str> = command.split(' ').collect();
    if words.len() <= 12 {
        return command.to_string();
    }
    format!("{} ... ({} words)", words[..4].join(" "), words.len())
}

/// A watched key: its database and name.
type Watched = (usize, String);

fn watched_name((db, key): &Watched) -> String {
    if *db == 0 {
        key.clone()
    } else {
        format!("{db}:{key}")
    }
}

/// What a case did on one server.
#[derive(Debug, PartialEq, Clone)]
struct Outcome {
    replies: Vec<String>,
    /// The watched keys whose watch broke.
    broken: Vec<String>,
    /// The keys the BCAST connection was told about (`*` for a flush).
    broadcast: Vec<String>,
    /// The keys the default-mode connection read and was told about.
    tracked: Vec<String>,
}

/// A command's arguments: its words, `"..."` quoting one with spaces
/// (`""` an empty one), [`PAYLOAD`] and [`FUNCTIONS`] replaced.
fn words(text: &str, payloads: &Payloads) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let (word, tail) = match rest.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted.find('"').expect("closing quote");
                (&quoted[..end], &quoted[end + 1..])
            }
            None => rest.split_at(rest.find(' ').unwrap_or(rest.len())),
        };
        out.push(match word {
            PAYLOAD => payloads.key.clone(),
            FUNCTIONS => payloads.functions.clone(),
            _ => word.as_bytes().to_vec(),
        });
        rest = tail.trim_start();
    }
    out
}

/// The reply with what Redis leaves unspecified taken out: random picks
/// reduced to their shape, unordered collections sorted, encodings (7.0
/// calls a small list a quicklist) dropped.
fn normalise(command: &str, reply: &Frame) -> String {
    if let Frame::Error(_) = reply {
        return format!("{reply:?}");
    }
    let name = command
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    match name.as_str() {
        "SPOP" | "SRANDMEMBER" | "HRANDFIELD" | "ZRANDMEMBER" | "RANDOMKEY" => shape(reply),
        "SMEMBERS" | "SINTER" | "SUNION" | "SDIFF" | "KEYS" | "HGETALL" | "HKEYS" | "HVALS"
        | "SCAN" => format!("{:?}", sorted(reply)),
        "OBJECT" | "DUMP" | "FUNCTION" | "MEMORY" | "XINFO" => "<not compared>".into(),
        // Time left runs on while the servers answer, and each server set
        // its fixture's TTLs at its own moment.
        "PTTL" => match reply {
            Frame::Integer(ms) if *ms > 90_000 => "about 100 s".into(),
            other => format!("{other:?}"),
        },
        "TTL" => match reply {
            Frame::Integer(s) if *s > 90 => "about 100 s".into(),
            other => format!("{other:?}"),
        },
        "EXPIRETIME" | "PEXPIRETIME" => match reply {
            Frame::Integer(at) if *at > 0 => "a time to come".into(),
            other => format!("{other:?}"),
        },
        _ => format!("{reply:?}"),
    }
}

fn shape(reply: &Frame) -> String {
    match reply {
        Frame::Array(items) | Frame::Set(items) => format!("array of {}", items.len()),
        Frame::Bulk(_) => "bulk".into(),
        other => format!("{other:?}"),
    }
}

fn sorted(reply: &Frame) -> Frame {
    match reply {
        Frame::Array(items) | Frame::Set(items) => {
            let mut items: Vec<Frame> = items.iter().map(sorted).collect();
            items.sort_by_key(|item| format!("{item:?}"));
            Frame::Array(items)
        }
        other => other.clone(),
    }
}

fn connect(server: &ServerProcess) -> Client {
    let mut client = server.client().expect("connect");
    client
        .set_timeout(Duration::from_secs(10))
        .expect("timeout");
    client
}

/// A RESP3 connection with tracking on, `options` after `CLIENT TRACKING ON`.
fn tracking_client(server: &ServerProcess, options: &[&str]) -> Client {
    let mut client = connect(server);
    client.hello(Protocol::Resp3).expect("HELLO 3");
    let mut args = vec!["CLIENT", "TRACKING", "ON"];
    args.extend_from_slice(options);
    let reply = client.call(&args).expect("CLIENT TRACKING");
    assert_eq!(reply, Frame::Simple("OK".into()), "{args:?}");
    client
}

/// Reads up to a PING's reply, returning the keys invalidated meanwhile
/// (`*` for a flush), sorted.
fn invalidations(client: &mut Client) -> Vec<String> {
    client.send(&["PING"]).expect("send PING");
    collect_until(client, |frame| *frame == Frame::Simple("PONG".into()))
}

/// Reads frames until one that is not a push and satisfies `last`,
/// returning the invalidated keys of the pushes before it.
fn collect_until(client: &mut Client, last: impl Fn(&Frame) -> bool) -> Vec<String> {
    let mut keys = BTreeSet::new();
    loop {
        let frame = client.read_frame().expect("tracking connection");
        match &frame {
            Frame::Push(parts) => {
                assert_eq!(
                    parts.first().and_then(text).as_deref(),
                    Some("invalidate"),
                    "{frame:?}"
                );
                match parts.get(1) {
                    Some(Frame::Null | Frame::NullArray) => {
                        keys.insert("*".to_string());
                    }
                    Some(list) => keys.extend(items(list).iter().filter_map(text)),
                    None => panic!("invalidation without keys: {frame:?}"),
                }
            }
            other if last(other) => return keys.into_iter().collect(),
            other => panic!("unexpected frame on a tracking connection: {other:?}"),
        }
    }
}

struct Side {
    server: ServerProcess,
    control: Client,
    watchers: Vec<Client>,
    broadcast: Client,
    tracker: Client,
    payloads: Payloads,
}

impl Side {
    fn start(builder: ServerBuilder) -> Side {
        let server = builder
            .args(["--save", "", "--appendonly", "no"])
            .args(["--enable-debug-command", "local"])
            .start()
            .expect("server starts");
        let mut control = connect(&server);
        let reply = control
            .call(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"])
            .expect("DEBUG");
        assert_eq!(reply, Frame::Simple("OK".into()), "DEBUG SET-ACTIVE-EXPIRE");
        let broadcast = tracking_client(&server, &["BCAST"]);
        let tracker = tracking_client(&server, &[]);
        Side {
            server,
            control,
            watchers: Vec::new(),
            broadcast,
            tracker,
            payloads: Payloads::default(),
        }
    }

    fn call(&mut self, text: &str) -> Frame {
        self.control
            .call(&words(text, &self.payloads))
            .expect("reply")
    }

    /// Waits until a client of this server is blocked.
    fn wait_blocked(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let info = match self.call("INFO clients") {
                Frame::Bulk(text) | Frame::Verbatim { text, .. } => text,
                other => panic!("INFO clients: {other:?}"),
            };
            let blocked = String::from_utf8_lossy(&info)
                .lines()
                .any(|line| line.trim() == "blocked_clients:1");
            if blocked {
                return;
            }
            assert!(Instant::now() < deadline, "the command never blocked");
            sleep(Duration::from_millis(2));
        }
    }

    /// FLUSHALL, then the fixture with its `e*` keys given a 1 ms TTL,
    /// pipelined.
    fn set_fixture(&mut self) {
        let control = &mut self.control;
        let payloads = &self.payloads;
        keyspace_fixture::set(WITH_TTL, |commands| {
            let mut bytes = Vec::new();
            for command in commands {
                bytes.extend(moat_testkit::encode_command(&words(command, payloads)));
            }
            control.send_raw(&bytes).expect("send fixture");
            commands
                .iter()
                .map(|_| control.read_frame().expect("fixture reply"))
                .collect()
        });
    }

    fn run(&mut self, case: &Case, watch: &[Watched]) -> Outcome {
        self.set_fixture();
        for command in &case.setup {
            let reply = self.call(command);
            assert!(!matches!(reply, Frame::Error(_)), "{command}: {reply:?}");
        }
        // The `e*` keys' millisecond passes.
        sleep(Duration::from_millis(2));
        invalidations(&mut self.broadcast);
        // The default-mode connection reads the live keys of database 0
        // (reading an expired one would delete it before the case).
        let read: Vec<&str> = watch
            .iter()
            .filter(|(db, key)| *db == 0 && !keyspace_fixture::EXPIRED.contains(&key.as_str()))
            .map(|(_, key)| key.as_str())
            .collect();
        if !read.is_empty() {
            let mut mget = vec!["MGET"];
            mget.extend(&read);
            self.tracker.send(&mget).expect("send MGET");
            collect_until(&mut self.tracker, |frame| matches!(frame, Frame::Array(_)));
        }
        while self.watchers.len() < watch.len() {
            let watcher = connect(&self.server);
            self.watchers.push(watcher);
        }
        for (watcher, (db, key)) in self.watchers.iter_mut().zip(watch) {
            let mut bytes = moat_testkit::encode_command(&["SELECT", &db.to_string()]);
            bytes.extend(moat_testkit::encode_command(&["WATCH", key.as_str()]));
            bytes.extend(moat_testkit::encode_command(&["MULTI"]));
            bytes.extend(moat_testkit::encode_command(&["PING"]));
            watcher.send_raw(&bytes).expect("send WATCH");
        }
        for (watcher, key) in self.watchers.iter_mut().zip(watch) {
            for expected in ["OK", "OK", "OK", "QUEUED"] {
                let reply = watcher.read_frame().expect("watcher reply");
                assert_eq!(reply, Frame::Simple(expected.into()), "watching {key:?}");
            }
        }
        let mut blocked = case.blocker.as_ref().map(|blocker| {
            let mut client = connect(&self.server);
            client
                .send(&words(blocker, &self.payloads))
                .expect("send blocker");
            self.wait_blocked();
            client
        });
        let mut replies: Vec<String> = case
            .commands
            .iter()
            .map(|command| normalise(command, &self.call(command)))
            .collect();
        if let (Some(client), Some(blocker)) = (blocked.as_mut(), &case.blocker) {
            let reply = client.read_frame().expect("blocker reply");
            replies.push(normalise(blocker, &reply));
        }
        for watcher in self.watchers.iter_mut().take(watch.len()) {
            watcher.send(&["EXEC"]).expect("send EXEC");
        }
        let mut broken = Vec::new();
        for (watcher, key) in self.watchers.iter_mut().zip(watch) {
            match watcher.read_frame().expect("EXEC reply") {
                Frame::Null | Frame::NullArray => broken.push(watched_name(key)),
                Frame::Array(_) => {}
                other => panic!("EXEC watching {key:?}: {other:?}"),
            }
        }
        let broadcast = invalidations(&mut self.broadcast);
        let tracked = if read.is_empty() {
            Vec::new()
        } else {
            invalidations(&mut self.tracker)
        };
        Outcome {
            replies,
            broken,
            broadcast,
            tracked,
        }
    }
}

/// `template` with `$` replaced by each of the keys: one of the right
/// type, a missing one, one of the wrong type, an expired one (and, for
/// some types, one with a TTL).
fn each(cases: &mut Vec<Case>, template: &str, keys: &[&str]) {
    for key in keys {
        plain(cases, &template.replace('$', key));
    }
}

/// Adds a case unless an identical one is there (templates give some twice).
fn with_setup(cases: &mut Vec<Case>, setup: &[&str], commands: &[&str]) {
    add(
        cases,
        Case {
            setup: setup.iter().map(|s| s.to_string()).collect(),
            commands: commands.iter().map(|s| s.to_string()).collect(),
            ..Case::default()
        },
    );
}

fn add(cases: &mut Vec<Case>, case: Case) {
    if !cases.iter().any(|known| known.name() == case.name()) {
        cases.push(case);
    }
}

/// A blocking command, blocked, then served by `writer`.
fn served(cases: &mut Vec<Case>, setup: &[&str], blocker: &str, writer: &[&str]) {
    add(
        cases,
        Case {
            setup: setup.iter().map(|s| s.to_string()).collect(),
            blocker: Some(blocker.to_string()),
            commands: writer.iter().map(|s| s.to_string()).collect(),
            ..Case::default()
        },
    );
}

/// Commands whose keys are not in their arguments (eviction), with the
/// keys to watch.
fn watching(cases: &mut Vec<Case>, commands: &[&str], watch: &[&str]) {
    add(
        cases,
        Case {
            commands: commands.iter().map(|s| s.to_string()).collect(),
            extra_watch: watch.iter().map(|s| s.to_string()).collect(),
            ..Case::default()
        },
    );
}

fn plain(cases: &mut Vec<Case>, command: &str) {
    with_setup(cases, &[], &[command]);
}

const STRING: &[&str] = &["s", "nokey", "l", "es", "t"];
const NUMBER: &[&str] = &["n", "nokey", "l", "es"];
const LIST: &[&str] = &["l", "nokey", "s", "el"];
const HASH: &[&str] = &["h", "nokey", "s", "eh"];
const SET: &[&str] = &["st", "nokey", "s", "est"];
const ZSET: &[&str] = &["z", "nokey", "s", "ez"];
const STREAM: &[&str] = &["x", "nokey", "s", "ex"];
const GEO: &[&str] = &["g", "nokey", "s", "eg"];
const HLL: &[&str] = &["hll", "nokey", "l", "ehll"];
const BITMAP: &[&str] = &["b", "nokey", "l", "es"];
const ANY: &[&str] = &["s", "nokey", "l", "h", "z", "x", "es", "el", "t"];

fn cases() -> Vec<Case> {
    let mut c = Vec::new();
    let c = &mut c;

    // Strings.
    for t in [
        "GET $",
        "GETRANGE $ 0 2",
        "SUBSTR $ 0 2",
        "STRLEN $",
        "SET $ v",
        "SET $ hello",
        "SET $ v GET",
        "SET $ hello GET",
        "SET $ v NX",
        "SET $ v XX",
        "SET $ v NX GET",
        "SET $ v XX GET",
        "SET $ v KEEPTTL",
        "SET $ hello KEEPTTL",
        "SET $ v EX 100",
        "SET $ v PXAT 1",
        "SET $ v EX 0",
        "SETNX $ v",
        "SETEX $ 10 v",
        "SETEX $ 0 v",
        "PSETEX $ 10000 v",
        "GETSET $ v",
        "GETSET $ hello",
        "GETDEL $",
        "GETEX $",
        "GETEX $ PERSIST",
        "GETEX $ EX 100",
        "GETEX $ PXAT 1",
        "GETEX $ EX 0",
        "APPEND $ x",
        "APPEND $ \"\"",
        "SETRANGE $ 1 x",
        "SETRANGE $ 0 hello",
        "SETRANGE $ 0 \"\"",
        "SETRANGE $ 10 \"\"",
        "SETRANGE $ -1 x",
        "MSET $ v",
        "MSET $ hello",
        "MSET $ v k2 v2 k3 v3",
        "MSETNX $ v",
        "MSETNX $ v k2 v2",
        "MGET $ s2",
        "LCS $ s2",
    ] {
        each(c, t, STRING);
    }
    for t in [
        "INCR $",
        "INCRBY $ 2",
        "INCRBY $ 0",
        "INCRBY $ x",
        "DECR $",
        "DECRBY $ 2",
        "DECRBY $ 0",
        "INCRBYFLOAT $ 1.5",
        "INCRBYFLOAT $ 0",
        "INCRBYFLOAT $ x",
    ] {
        each(c, t, NUMBER);
    }
    plain(c, "INCR s");
    plain(c, "INCRBY n 9223372036854775807");
    plain(c, "MSET s v s w");
    plain(c, "MSETNX nokey v s v");
    plain(c, "MSETNX nokey v k2 v2 nokey v3");
    plain(c, "SET s v BOGUS");

    // Bitmaps.
    for t in [
        "GETBIT $ 7",
        "BITCOUNT $",
        "BITPOS $ 1",
        "SETBIT $ 1 1",
        "SETBIT $ 7 1",
        "SETBIT $ 7 0",
        "SETBIT $ 6 0",
        "SETBIT $ 100 0",
        "SETBIT $ 1 2",
        "BITFIELD $ GET u8 0",
        "BITFIELD $ SET u8 0 1",
        "BITFIELD $ SET u8 0 1 SET u8 8 2",
        "BITFIELD $ SET u8 0 0",
        "BITFIELD $ INCRBY u8 0 1",
        "BITFIELD $ INCRBY u8 0 0",
        "BITFIELD $ OVERFLOW FAIL INCRBY u2 0 10",
        "BITFIELD $ SET u8 0 1 GET u8 0 INCRBY u8 0 1",
        "BITFIELD $ GET u8 100",
        "BITFIELD_RO $ GET u8 0",
        "BITOP AND dest $ b",
        "BITOP OR $ b",
        "BITOP OR $ $",
        "BITOP NOT dest $",
        "BITOP XOR $ $",
    ] {
        each(c, t, BITMAP);
    }
    plain(c, "BITOP AND dest nokey nokey2");
    plain(c, "BITOP AND s2 nokey");
    plain(c, "BITOP OR dest b l");

    // Generic keys.
    for t in [
        "EXISTS $",
        "TYPE $",
        "TTL $",
        "PTTL $",
        "EXPIRETIME $",
        "OBJECT ENCODING $",
        "OBJECT FREQ $",
        "MEMORY USAGE $",
        "DUMP $",
        "DEL $",
        "DEL $ $",
        "UNLINK $",
        "RENAME $ newname",
        "RENAME $ s2",
        "RENAME $ $",
        "RENAME s $",
        "RENAMENX s $",
        "RENAMENX $ newname",
        "RENAMENX $ s2",
        "RENAMENX $ $",
        "COPY $ dst",
        "COPY $ s2",
        "COPY $ s2 REPLACE",
        "COPY $ dst DB 1",
        "COPY $ $",
        "COPY $ $ REPLACE",
        "COPY s $",
        "COPY s $ REPLACE",
        "MOVE $ 1",
        "EXPIRE $ 100",
        "EXPIRE $ 100 NX",
        "EXPIRE $ 100 XX",
        "EXPIRE $ 100 GT",
        "EXPIRE $ 100 LT",
        "EXPIRE $ 1000 GT",
        "EXPIRE $ 10 LT",
        "EXPIRE $ 0",
        "EXPIRE $ -1",
        "EXPIRE $ x",
        "PEXPIRE $ 100000",
        "PEXPIRE $ 0",
        "PEXPIRE $ 100000 NX",
        "EXPIREAT $ 9999999999",
        "EXPIREAT $ 1",
        "EXPIREAT $ 1 GT",
        "PEXPIREAT $ 9999999999000",
        "PEXPIREAT $ 1",
        "PERSIST $",
        "TOUCH $",
        "RESTORE $ 0 <payload>",
        "RESTORE $ 0 <payload> REPLACE",
        "RESTORE $ 1 <payload> ABSTTL",
        "RESTORE $ 1 <payload> ABSTTL REPLACE",
        "RESTORE $ 100000 <payload> REPLACE",
        "RESTORE $ 0 garbage REPLACE",
        "SORT $ ALPHA",
        "SORT_RO $ ALPHA",
    ] {
        each(c, t, ANY);
    }
    plain(c, "DEL s nokey es l el h");
    plain(c, "UNLINK s nokey es l");
    plain(c, "TOUCH s nokey l es");
    plain(c, "EXISTS s nokey es el");
    plain(c, "SCAN 0 COUNT 100");
    plain(c, "KEYS *");
    plain(c, "DBSIZE");
    with_setup(c, &["SET k1 v PX 100000"], &["EXPIRE k1 100 NX"]);
    with_setup(c, &["SET k1 v PX 100000"], &["EXPIRE k1 1000 XX"]);
    with_setup(c, &["SET k1 v PX 100000"], &["EXPIRE k1 1000 GT"]);
    with_setup(c, &["SET k1 v PX 100000"], &["EXPIRE k1 1000 LT"]);
    with_setup(c, &["SET k1 v PX 100000"], &["EXPIRE k1 10 LT"]);
    with_setup(c, &["SET k1 v PX 100000"], &["PEXPIREAT k1 1 LT"]);
    with_setup(c, &["SET k1 v PX 100000"], &["PERSIST k1"]);
    with_setup(c, &["SELECT 1", "SET s v", "SELECT 0"], &["MOVE s 1"]);
    with_setup(c, &["SELECT 1", "SET s v", "SELECT 0"], &["COPY s s DB 1"]);
    with_setup(
        c,
        &["SELECT 1", "SET s v", "SELECT 0"],
        &["COPY s s DB 1 REPLACE"],
    );
    with_setup(c, &["SELECT 1", "SET s v PX 1", "SELECT 0"], &["MOVE s 1"]);
    // Port 1 refuses the connection: nothing moves.
    plain(c, "MIGRATE 127.0.0.1 1 s 0 100");
    plain(c, "MIGRATE 127.0.0.1 1 \"\" 0 100 KEYS s l nokey");
    plain(c, "MOVE s 0");
    plain(c, "MOVE s 99");
    for t in [
        "SORT $ ALPHA STORE dst",
        "SORT $ ALPHA LIMIT 0 1 STORE dst",
        "SORT $ ALPHA LIMIT 5 1 STORE dst",
        "SORT $ ALPHA STORE s2",
        "SORT $ ALPHA LIMIT 5 1 STORE s2",
        "SORT l ALPHA STORE $",
        "SORT l BY nosort STORE $",
    ] {
        each(c, t, LIST);
    }
    plain(c, "SORT nokey STORE s2");
    plain(c, "SORT nokey STORE dst");
    plain(c, "SORT st ALPHA STORE dst");
    plain(c, "SORT z STORE dst");
    plain(c, "SORT l ALPHA STORE l");
    for t in [
        "SWAPDB 0 1",
        "SWAPDB 1 2",
        "SWAPDB 0 0",
        "SWAPDB 0 99",
        "FLUSHDB",
        "FLUSHDB ASYNC",
        "FLUSHDB SYNC",
        "FLUSHALL",
        "FLUSHALL ASYNC",
        "FLUSHALL SYNC",
        "FLUSHALL BOGUS",
    ] {
        plain(c, t);
    }
    with_setup(
        c,
        &["SELECT 1", "SET s v", "SET l v", "SELECT 0"],
        &["SWAPDB 0 1"],
    );
    with_setup(c, &["SELECT 1", "SET nokey v", "SELECT 0"], &["SWAPDB 0 1"]);
    with_setup(c, &["SELECT 1", "SET k v", "SELECT 0"], &["FLUSHDB"]);
    with_setup(c, &["SELECT 1", "SET s v", "SELECT 0"], &["FLUSHALL"]);
    with_setup(c, &["SELECT 1", "SET s v"], &["FLUSHDB"]);
    with_setup(c, &["FLUSHALL"], &["FLUSHALL"]);
    with_setup(c, &["FLUSHALL"], &["FLUSHDB"]);

    // Lists.
    for t in [
        "LLEN $",
        "LRANGE $ 0 -1",
        "LINDEX $ 0",
        "LPOS $ b",
        "LPUSH $ x",
        "LPUSH $ x y z",
        "RPUSH $ x",
        "RPUSH $ x y",
        "LPUSHX $ x",
        "LPUSHX $ x y",
        "RPUSHX $ x y z",
        "LPOP $",
        "RPOP $",
        "LPOP $ 2",
        "LPOP $ 10",
        "RPOP $ 0",
        "LPOP $ 0",
        "LSET $ 0 x",
        "LSET $ 0 a",
        "LSET $ -1 c",
        "LSET $ 10 x",
        "LREM $ 0 a",
        "LREM $ 0 nomember",
        "LREM $ -1 b",
        "LTRIM $ 0 1",
        "LTRIM $ 0 -1",
        "LTRIM $ -10 10",
        "LTRIM $ 5 10",
        "LINSERT $ BEFORE b x",
        "LINSERT $ AFTER c x",
        "LINSERT $ AFTER nomember x",
        "LMOVE $ dst LEFT RIGHT",
        "LMOVE $ $ LEFT RIGHT",
        "LMOVE $ $ LEFT LEFT",
        "LMOVE $ $ RIGHT RIGHT",
        "LMOVE l $ LEFT RIGHT",
        "RPOPLPUSH $ dst",
        "RPOPLPUSH $ $",
        "RPOPLPUSH l $",
        "LMPOP 1 $ LEFT",
        "LMPOP 1 $ RIGHT COUNT 2",
        "LMPOP 2 $ l LEFT COUNT 10",
        "BLPOP $ 0.01",
        "BRPOP $ l 0.01",
        "BLMOVE $ dst LEFT RIGHT 0.01",
        "BLMOVE $ $ LEFT RIGHT 0.01",
        "BLMOVE l $ LEFT RIGHT 0.01",
        "BRPOPLPUSH $ dst 0.01",
        "BLMPOP 0.01 1 $ LEFT COUNT 2",
        "BLMPOP 0.01 2 $ l RIGHT COUNT 10",
    ] {
        each(c, t, LIST);
    }
    with_setup(c, &["RPUSH dup a b a c a"], &["LREM dup 0 a"]);
    with_setup(c, &["RPUSH dup a b a c a"], &["LREM dup -2 a"]);
    with_setup(c, &["RPUSH dup a b a c a"], &["LREM dup 0 b"]);
    with_setup(c, &["RPUSH one a"], &["LPOP one"]);
    with_setup(c, &["RPUSH one a"], &["LMOVE one one LEFT RIGHT"]);
    with_setup(c, &["RPUSH one a"], &["LMOVE one dst LEFT RIGHT"]);
    with_setup(c, &["RPUSH one a"], &["LREM one 0 a"]);
    with_setup(c, &["RPUSH one a"], &["LTRIM one 1 0"]);
    with_setup(c, &["RPUSH one a"], &["LSET one 0 a"]);
    plain(c, "LMPOP 3 nokey el l LEFT COUNT 2");
    plain(c, "BLPOP nokey el l 0.01");

    // Hashes.
    for t in [
        "HGET $ f",
        "HSTRLEN $ f",
        "HGETALL $",
        "HLEN $",
        "HRANDFIELD $",
        "HSET $ f x",
        "HSET $ f v",
        "HSET $ f v g w",
        "HSET $ f x new y",
        "HSET $ a 1 b 2 c 3",
        "HSET $ f x f y",
        "HMSET $ f x g y",
        "HMSET $ f v",
        "HSETNX $ f x",
        "HSETNX $ f v",
        "HSETNX $ new x",
        "HDEL $ f",
        "HDEL $ f g n",
        "HDEL $ f nofield",
        "HDEL $ nofield",
        "HINCRBY $ n 1",
        "HINCRBY $ n 0",
        "HINCRBY $ new 5",
        "HINCRBY $ new 0",
        "HINCRBY $ f 1",
        "HINCRBYFLOAT $ n 1.5",
        "HINCRBYFLOAT $ n 0",
        "HINCRBYFLOAT $ new 2",
        "HINCRBYFLOAT $ f 1",
    ] {
        each(c, t, HASH);
    }
    with_setup(c, &["HSET one f v"], &["HDEL one f"]);

    // Sets.
    for t in [
        "SCARD $",
        "SISMEMBER $ a",
        "SMISMEMBER $ a x",
        "SMEMBERS $",
        "SRANDMEMBER $",
        "SRANDMEMBER $ 2",
        "SRANDMEMBER $ -5",
        "SADD $ x",
        "SADD $ a",
        "SADD $ a b c",
        "SADD $ a x y",
        "SADD $ x x",
        "SREM $ a",
        "SREM $ a b c",
        "SREM $ a nomember",
        "SREM $ nomember",
        "SPOP $",
        "SPOP $ 2",
        "SPOP $ 3",
        "SPOP $ 10",
        "SPOP $ 0",
        "SMOVE $ dst a",
        "SMOVE $ st2 a",
        "SMOVE $ st2 b",
        "SMOVE st $ a",
        "SMOVE $ $ a",
        "SMOVE $ $ nomember",
        "SMOVE $ dst nomember",
        "SINTERSTORE dst $ st2",
        "SINTERSTORE dst st2 $",
        "SUNIONSTORE dst $ st2",
        "SDIFFSTORE dst $ st2",
        "SDIFFSTORE dst st2 $",
        "SINTERSTORE $ st st2",
        "SUNIONSTORE $ st",
        "SINTERCARD 2 $ st2",
    ] {
        each(c, t, SET);
    }
    plain(c, "SDIFFSTORE dst st st");
    plain(c, "SDIFFSTORE s2 st st");
    plain(c, "SINTERSTORE s2 nokey st");
    plain(c, "SINTERSTORE dst nokey st");
    plain(c, "SUNIONSTORE s2 nokey est");
    plain(c, "SUNIONSTORE st st");
    with_setup(c, &["SADD one a"], &["SMOVE one dst a"]);
    with_setup(c, &["SADD one a"], &["SMOVE one one a"]);
    with_setup(c, &["SADD one a"], &["SPOP one"]);
    with_setup(c, &["SADD one a"], &["SREM one a"]);
    with_setup(c, &["SADD one a", "SADD dst a"], &["SMOVE one dst a"]);
    with_setup(c, &["SADD ints 1 2 3"], &["SADD ints 2"]);
    with_setup(c, &["SADD ints 1 2 3"], &["SADD ints x"]);

    // Sorted sets.
    for t in [
        "ZCARD $",
        "ZSCORE $ a",
        "ZMSCORE $ a x",
        "ZRANGE $ 0 -1",
        "ZRANDMEMBER $",
        "ZADD $ 5 x",
        "ZADD $ 1 a",
        "ZADD $ 9 a",
        "ZADD $ 1 a 2 b",
        "ZADD $ 1 a 9 b 5 x",
        "ZADD $ NX 5 a",
        "ZADD $ NX 5 x",
        "ZADD $ XX 5 x",
        "ZADD $ XX 5 a",
        "ZADD $ XX 1 a",
        "ZADD $ GT 0 a",
        "ZADD $ GT 9 a",
        "ZADD $ LT 0 a",
        "ZADD $ LT 9 a",
        "ZADD $ CH 5 a",
        "ZADD $ CH 1 a",
        "ZADD $ INCR 5 a",
        "ZADD $ INCR 0 a",
        "ZADD $ NX INCR 5 a",
        "ZADD $ XX INCR 5 x",
        "ZADD $ GT INCR -1 a",
        "ZADD $ 1 nan",
        "ZADD $ NX XX 1 a",
        "ZINCRBY $ 1 a",
        "ZINCRBY $ 0 a",
        "ZINCRBY $ 1 new",
        "ZREM $ a",
        "ZREM $ a b nomember",
        "ZREM $ a b c",
        "ZREM $ nomember",
        "ZREMRANGEBYRANK $ 0 0",
        "ZREMRANGEBYRANK $ 5 10",
        "ZREMRANGEBYRANK $ 0 -1",
        "ZREMRANGEBYSCORE $ 0 2",
        "ZREMRANGEBYSCORE $ 10 20",
        "ZREMRANGEBYSCORE $ -inf +inf",
        "ZREMRANGEBYLEX $ - +",
        "ZREMRANGEBYLEX $ [a [b",
        "ZREMRANGEBYLEX $ [x [y",
        "ZPOPMIN $",
        "ZPOPMAX $ 2",
        "ZPOPMIN $ 10",
        "ZPOPMIN $ 0",
        "BZPOPMIN $ 0.01",
        "BZPOPMAX $ z 0.01",
        "ZMPOP 1 $ MIN",
        "ZMPOP 1 $ MAX COUNT 2",
        "ZMPOP 2 $ z MIN COUNT 10",
        "BZMPOP 0.01 1 $ MIN COUNT 2",
        "BZMPOP 0.01 2 $ z MAX",
        "ZRANGESTORE dst $ 0 -1",
        "ZRANGESTORE dst $ 5 10",
        "ZRANGESTORE $ z 0 -1",
        "ZRANGESTORE $ z 5 10",
        "ZRANGESTORE dst $ 0 1 BYSCORE LIMIT 0 1",
        "ZUNIONSTORE dst 2 $ z2",
        "ZINTERSTORE dst 2 $ z2",
        "ZDIFFSTORE dst 2 $ z2",
        "ZUNIONSTORE $ 2 z z2",
        "ZINTERSTORE $ 2 z nokey",
        "ZINTERCARD 2 $ z2",
        "ZUNION 2 $ z2",
    ] {
        each(c, t, ZSET);
    }
    plain(c, "ZRANGESTORE z2 z 5 10");
    plain(c, "ZINTERSTORE z2 2 z nokey");
    plain(c, "ZINTERSTORE dst 2 z nokey");
    plain(c, "ZDIFFSTORE dst 2 z z");
    plain(c, "ZDIFFSTORE z 2 z z");
    plain(c, "ZUNIONSTORE dst 2 z st");
    plain(c, "ZUNIONSTORE z 1 z");
    with_setup(c, &["ZADD one 1 a"], &["ZPOPMIN one"]);
    with_setup(c, &["ZADD one 1 a"], &["ZREM one a"]);
    with_setup(c, &["ZADD one 1 a"], &["ZREMRANGEBYRANK one 0 0"]);

    // Streams.
    for t in [
        "XLEN $",
        "XRANGE $ - +",
        "XREAD STREAMS $ 0",
        "XINFO STREAM $",
        "XINFO GROUPS $",
        "XINFO CONSUMERS $ grp",
        "XPENDING $ grp",
        "XADD $ 5-0 f v",
        "XADD $ 5-0 f v g w",
        "XADD $ 1-0 f v",
        "XADD $ NOMKSTREAM 5-0 f v",
        "XADD $ MAXLEN 1 5-0 f v",
        "XADD $ MAXLEN 0 5-0 f v",
        "XADD $ MINID 3-0 5-0 f v",
        "XADD $ NOMKSTREAM MAXLEN 0 5-0 f v",
        "XDEL $ 1-0",
        "XDEL $ 1-0 2-0 9-0",
        "XDEL $ 9-0",
        "XTRIM $ MAXLEN 1",
        "XTRIM $ MAXLEN 10",
        "XTRIM $ MAXLEN ~ 1",
        "XTRIM $ MINID 2-0",
        "XTRIM $ MINID 0-1",
        "XTRIM $ MAXLEN 0",
        "XSETID $ 5-0",
        "XSETID $ 2-0",
        "XSETID $ 1-0",
        "XSETID $ 5-0 ENTRIESADDED 9 MAXDELETEDID 3-0",
        "XGROUP CREATE $ g2 0",
        "XGROUP CREATE $ g2 $ MKSTREAM",
        "XGROUP CREATE $ g2 0 ENTRIESREAD 1",
        "XGROUP CREATE $ grp 0",
        "XGROUP SETID $ grp 0",
        "XGROUP SETID $ grp $",
        "XGROUP SETID $ nogrp 0",
        "XGROUP DESTROY $ grp",
        "XGROUP DESTROY $ nogrp",
        "XGROUP CREATECONSUMER $ grp c9",
        "XGROUP CREATECONSUMER $ nogrp c9",
        "XGROUP DELCONSUMER $ grp c9",
        "XREADGROUP GROUP grp c1 STREAMS $ >",
        "XREADGROUP GROUP grp c1 COUNT 1 STREAMS $ >",
        "XREADGROUP GROUP grp c1 NOACK STREAMS $ >",
        "XREADGROUP GROUP grp c1 STREAMS $ 0",
        "XREADGROUP GROUP nogrp c1 STREAMS $ >",
        "XREADGROUP GROUP grp c1 STREAMS x $ > >",
        "XACK $ grp 1-0",
        "XCLAIM $ grp c2 0 1-0",
        "XAUTOCLAIM $ grp c2 0 0",
    ] {
        each(c, t, STREAM);
    }
    let pending = ["XREADGROUP GROUP grp c1 STREAMS x >"];
    for command in [
        "XREADGROUP GROUP grp c1 STREAMS x >",
        "XREADGROUP GROUP grp c2 STREAMS x >",
        "XREADGROUP GROUP grp c1 STREAMS x 0",
        "XREADGROUP GROUP grp c2 STREAMS x 0",
        "XGROUP CREATECONSUMER x grp c1",
        "XGROUP DELCONSUMER x grp c1",
        "XACK x grp 1-0",
        "XACK x grp 1-0 2-0",
        "XACK x grp 9-0",
        "XCLAIM x grp c2 0 1-0",
        "XCLAIM x grp c2 0 1-0 2-0 JUSTID",
        "XCLAIM x grp c2 0 9-0",
        "XCLAIM x grp c2 999999999 1-0",
        "XCLAIM x grp c1 0 1-0 JUSTID",
        "XCLAIM x grp c2 0 9-0 FORCE",
        "XAUTOCLAIM x grp c2 0 0",
        "XAUTOCLAIM x grp c2 0 0 COUNT 1 JUSTID",
        "XAUTOCLAIM x grp c2 999999999 0",
        "XDEL x 1-0",
        "XTRIM x MAXLEN 0",
        "XGROUP DESTROY x grp",
        "XGROUP SETID x grp 0",
    ] {
        with_setup(c, &pending, &[command]);
    }
    with_setup(c, &[pending[0], "XDEL x 1-0"], &["XAUTOCLAIM x grp c2 0 0"]);
    with_setup(c, &[pending[0], "XDEL x 1-0"], &["XCLAIM x grp c2 0 1-0"]);
    with_setup(
        c,
        &[pending[0], "XDEL x 1-0 2-0"],
        &["XAUTOCLAIM x grp c2 0 0 JUSTID"],
    );
    with_setup(
        c,
        &[pending[0], "XDEL x 1-0"],
        &["XREADGROUP GROUP grp c1 STREAMS x 0"],
    );

    // HyperLogLog.
    for t in [
        "PFADD $ x",
        "PFADD $ a",
        "PFADD $ a b c",
        "PFADD $",
        "PFADD $ x y z",
        "PFCOUNT $",
        "PFCOUNT $ hll2",
        "PFMERGE dst $ hll2",
        "PFMERGE $ hll2",
        "PFMERGE $",
        "PFMERGE $ $",
        "PFDEBUG TODENSE $",
    ] {
        each(c, t, HLL);
    }
    with_setup(c, &["PFDEBUG TODENSE hll"], &["PFDEBUG TODENSE hll"]);
    with_setup(c, &["PFCOUNT hll"], &["PFCOUNT hll"]);
    with_setup(c, &["PFCOUNT hll"], &["PFADD hll a"]);
    with_setup(c, &["PFCOUNT hll"], &["PFMERGE hll"]);
    with_setup(c, &["PFCOUNT hll", "PFCOUNT hll2"], &["PFCOUNT hll hll2"]);
    plain(c, "PFMERGE dst nokey");

    // Geo.
    for t in [
        "GEOPOS $ Palermo",
        "GEODIST $ Palermo Catania",
        "GEOADD $ 1 1 m",
        "GEOADD $ 13.361389 38.115556 Palermo",
        "GEOADD $ 1 1 m 2 2 n",
        "GEOADD $ NX 1 1 Palermo",
        "GEOADD $ XX 1 1 Palermo",
        "GEOADD $ XX 1 1 m",
        "GEOADD $ CH 1 1 Palermo",
        "GEOADD $ 1 100 m",
        "GEOSEARCH $ FROMLONLAT 15 37 BYRADIUS 200 km",
        "GEOSEARCHSTORE dst $ FROMLONLAT 15 37 BYRADIUS 200 km",
        "GEOSEARCHSTORE dst $ FROMLONLAT 0 0 BYRADIUS 1 km",
        "GEOSEARCHSTORE dst $ FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST",
        "GEOSEARCHSTORE $ g FROMLONLAT 15 37 BYRADIUS 200 km",
        "GEOSEARCHSTORE $ g FROMLONLAT 0 0 BYRADIUS 1 km",
        "GEOSEARCHSTORE dst $ FROMMEMBER Palermo BYBOX 400 400 km COUNT 1",
        "GEORADIUS $ 15 37 200 km STORE dst",
        "GEORADIUS $ 0 0 1 km STORE dst",
        "GEORADIUS g 15 37 200 km STORE $",
        "GEORADIUS g 0 0 1 km STORE $",
        "GEORADIUSBYMEMBER $ Palermo 200 km STOREDIST dst",
        "GEORADIUSBYMEMBER $ Palermo 200 km STORE $",
    ] {
        each(c, t, GEO);
    }
    plain(c, "GEOSEARCHSTORE s2 g FROMLONLAT 0 0 BYRADIUS 1 km");
    plain(c, "GEORADIUS g 0 0 1 km STORE s2");

    // Transactions and scripts: what the commands inside signal.
    let transactions: &[&[&str]] = &[
        &[
            "MULTI",
            "LPUSH l x y",
            "SADD st x y z",
            "DEL s nokey",
            "EXEC",
        ],
        &["MULTI", "SET s v", "INCR s", "HSET h f v", "EXEC"],
        &["MULTI", "DEL nokey", "SADD st a", "EXEC"],
        &["MULTI", "GET s", "GET es", "EXEC"],
        &["MULTI", "SET s v", "DISCARD"],
        &["MULTI", "SET s v", "NOSUCHCOMMAND", "EXEC"],
        &["MULTI", "FLUSHALL", "SET s v", "EXEC"],
        &["MULTI", "BLPOP l 0", "ZPOPMIN z 2", "EXEC"],
    ];
    for commands in transactions {
        with_setup(c, &[], commands);
    }
    for script in [
        "EVAL \"redis.call('lpush', KEYS[1], 'a', 'b'); return redis.call('sadd', KEYS[2], 'x', 'y')\" 2 l st",
        "EVAL \"return redis.call('get', KEYS[1])\" 1 s",
        "EVAL \"return redis.call('get', KEYS[1])\" 1 es",
        "EVAL \"redis.call('del', KEYS[1]); return redis.call('hset', KEYS[2], 'f', 'v', 'g', 'w')\" 2 s h",
        "EVAL \"redis.call('sadd', KEYS[1], 'a'); return redis.call('srem', KEYS[1], 'zz')\" 1 st",
        "EVAL \"return #redis.call('spop', KEYS[1], 2)\" 1 st",
        "EVAL_RO \"return redis.call('lrange', KEYS[1], 0, -1)\" 1 l",
        "EVAL \"return redis.pcall('lpush', KEYS[1], 'x')\" 1 s",
    ] {
        plain(c, script);
    }
    let library = "FUNCTION LOAD \"#!lua name=lib\nredis.register_function('f', \
                   function(keys) return redis.call('rpush', keys[1], 'a') end)\"";
    with_setup(c, &["FUNCTION FLUSH"], &[library]);
    with_setup(c, &["FUNCTION FLUSH", library], &["FCALL f 1 l"]);
    with_setup(c, &["FUNCTION FLUSH", library], &["FCALL f 1 s"]);
    with_setup(c, &["FUNCTION FLUSH", library], &["FUNCTION DELETE lib"]);
    with_setup(c, &["FUNCTION FLUSH", library], &["FUNCTION FLUSH"]);
    with_setup(
        c,
        &["FUNCTION FLUSH", library],
        &["FUNCTION RESTORE <functions> FLUSH"],
    );
    plain(c, "SCRIPT FLUSH");

    // The same no-ops on values past the listpack limits, which moat
    // keeps in other structures.
    let numbered = |prefix: &str, pairs: bool| -> String {
        (0..200)
            .map(|i| {
                if pairs {
                    format!("{prefix}{i} v{i}")
                } else {
                    format!("{prefix}{i}")
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let big_hash = format!("HSET bh {}", numbered("f", true));
    let big_set = format!("SADD bs {}", numbered("m", false));
    let big_ints = format!("SADD bi {}", numbered("", false));
    let big_zset = format!("ZADD bz {}", numbered("", true).replace('v', "m"));
    let big_list = format!("RPUSH bl {}", numbered("e", false));
    for command in [
        "HSET bh f1 v1",
        "HSET bh f1 x",
        "HSETNX bh f1 x",
        "HDEL bh nofield",
        "HDEL bh f1",
        "HINCRBY bh f1 1",
    ] {
        with_setup(c, &[&big_hash], &[command]);
    }
    for command in [
        "SADD bs m1",
        "SADD bs new",
        "SREM bs nomember",
        "SMOVE bs st m1",
        "SMOVE st bs a",
        "SPOP bs 0",
    ] {
        with_setup(c, &[&big_set], &[command]);
    }
    for command in ["SADD bi 1", "SADD bi 1000", "SREM bi 1000"] {
        with_setup(c, &[&big_ints], &[command]);
    }
    for command in [
        "ZADD bz 1 m1",
        "ZADD bz 5 m1",
        "ZADD bz NX 5 m1",
        "ZREM bz nomember",
        "ZREMRANGEBYSCORE bz 1000 2000",
        "ZINCRBY bz 0 m1",
    ] {
        with_setup(c, &[&big_zset], &[command]);
    }
    for command in [
        "LREM bl 0 nomember",
        "LSET bl 100 e100",
        "LTRIM bl 0 -1",
        "LINSERT bl BEFORE nomember x",
        "LMOVE bl bl LEFT RIGHT",
    ] {
        with_setup(c, &[&big_list], &[command]);
    }

    // Blocked commands served by another connection's write.
    served(c, &[], "BLPOP k 5", &["RPUSH k a b"]);
    served(c, &[], "BRPOP k l2 5", &["LPUSH k a"]);
    served(c, &[], "BLMOVE k dst LEFT RIGHT 5", &["RPUSH k a b"]);
    served(c, &[], "BLMOVE k k LEFT RIGHT 5", &["RPUSH k a"]);
    served(c, &[], "BRPOPLPUSH k dst 5", &["RPUSH k a"]);
    served(c, &[], "BLMPOP 5 1 k LEFT COUNT 3", &["RPUSH k a b"]);
    // Nothing left to serve: the BLPOP times out.
    served(
        c,
        &[],
        "BLPOP k 0.2",
        &["MULTI", "RPUSH k a", "DEL k", "EXEC"],
    );
    served(c, &[], "BZPOPMIN k 5", &["ZADD k 1 a 2 b"]);
    served(c, &[], "BZPOPMAX k 5", &["ZADD k 1 a"]);
    served(c, &[], "BZMPOP 5 1 k MAX COUNT 5", &["ZADD k 1 a 2 b"]);
    served(c, &[], "XREAD BLOCK 5000 STREAMS x $", &["XADD x 9-0 f v"]);
    served(
        c,
        &["XGROUP SETID x grp $"],
        "XREADGROUP GROUP grp c9 BLOCK 5000 STREAMS x >",
        &["XADD x 9-0 f v"],
    );
    served(
        c,
        &["XGROUP SETID x grp $", "XGROUP CREATECONSUMER x grp c9"],
        "XREADGROUP GROUP grp c9 COUNT 1 NOACK BLOCK 5000 STREAMS x >",
        &["XADD x 9-0 f v"],
    );
    served(
        c,
        &["XGROUP SETID x grp $", "XGROUP CREATECONSUMER x grp c9"],
        "XREADGROUP GROUP grp c9 BLOCK 5000 STREAMS x >",
        &["XGROUP DESTROY x grp"],
    );
    served(
        c,
        &["XGROUP SETID x grp $", "XGROUP CREATECONSUMER x grp c9"],
        "XREADGROUP GROUP grp c9 BLOCK 5000 STREAMS x >",
        &["DEL x"],
    );

    // Eviction deletes keys no argument names.
    watching(
        c,
        &[
            "CONFIG SET maxmemory-policy volatile-ttl",
            "CONFIG SET maxmemory 1",
            "SET k v",
            "CONFIG SET maxmemory 0",
            "CONFIG SET maxmemory-policy noeviction",
        ],
        &["t", "s", "es", "el"],
    );
    watching(
        c,
        &[
            "CONFIG SET maxmemory-policy allkeys-lru",
            "CONFIG SET maxmemory 1",
            "SET k v",
            "CONFIG SET maxmemory 0",
            "CONFIG SET maxmemory-policy noeviction",
        ],
        &["t", "s", "es", "h"],
    );
    std::mem::take(c)
}

/// The keys each case watches: what the reference's `COMMAND GETKEYS`
/// finds in its commands, the bystander, and the same in database 1 when
/// the case reaches there.
fn watch_list(redis: &mut Side, case: &Case) -> Vec<Watched> {
    let mut keys: Vec<String> = Vec::new();
    for command in case.blocker.iter().chain(&case.commands) {
        let mut args = vec![b"COMMAND".to_vec(), b"GETKEYS".to_vec()];
        args.extend(words(command, &redis.payloads));
        if let Frame::Array(found) = redis.control.call(&args).expect("GETKEYS") {
            for key in found.iter().filter_map(text) {
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
    }
    if keys.is_empty() {
        keys.extend(KEYLESS_WATCH.iter().map(|k| k.to_string()));
    }
    for key in &case.extra_watch {
        if !keys.contains(key) {
            keys.push(key.clone());
        }
    }
    if !keys.iter().any(|k| k == BYSTANDER) {
        keys.push(BYSTANDER.into());
    }
    let mut watch: Vec<Watched> = keys.iter().map(|k| (0, k.clone())).collect();
    if case.reaches_db1() {
        watch.extend(keys.iter().map(|k| (1, k.clone())));
    }
    watch
}

/// The reference's `write` commands (`name` or `name|sub`), in lower case.
fn write_commands(redis: &mut Side) -> BTreeSet<String> {
    let reply = redis.control.call(&["COMMAND"]).expect("COMMAND");
    table(&reply)
        .into_iter()
        .filter(|(_, entry)| {
            items(entry)
                .get(2)
                .map(items)
                .unwrap_or(&[])
                .iter()
                .filter_map(text)
                .any(|flag| flag == "write")
        })
        .map(|(name, _)| name)
        .collect()
}

/// The command names (`name`, and `name|sub`) a case's commands call.
fn called(case: &Case) -> Vec<String> {
    let mut out = Vec::new();
    for command in case.setup.iter().chain(&case.blocker).chain(&case.commands) {
        let mut parts = command.split(' ');
        let name = parts.next().unwrap_or_default().to_ascii_lowercase();
        if let Some(sub) = parts.next() {
            out.push(format!("{name}|{}", sub.to_ascii_lowercase()));
        }
        out.push(name);
    }
    out
}

fn show(outcome: &Outcome) -> String {
    format!(
        "replies {:?}, broken {:?}, broadcast {:?}, tracked {:?}",
        outcome.replies, outcome.broken, outcome.broadcast, outcome.tracked
    )
}

#[test]
fn watch_and_tracking_match_redis() {
    let Some(redis_path) = reference::redis_server() else {
        return;
    };
    let started = Instant::now();
    let mut moat = Side::start(moat_server(option_env!("CARGO_BIN_EXE_moat-server")));
    let mut redis = Side::start(ServerBuilder::new(redis_path));
    // The reference's own DUMP (and FUNCTION DUMP) are payloads every
    // server here restores.
    redis.call("SET payload v");
    let Frame::Bulk(payload) = redis.call("DUMP payload") else {
        panic!("DUMP gave no payload");
    };
    let cases = cases();
    let writes = write_commands(&mut redis);
    let swept: HashSet<String> = cases.iter().flat_map(called).collect();
    let unswept: Vec<&String> = writes
        .iter()
        .filter(|name| !swept.contains(*name))
        .filter(|name| !NOT_SWEPT.iter().any(|(n, _)| n == name))
        .filter(|name| {
            // A container whose subcommands are swept is swept.
            !name.contains('|') || swept.contains(name.split('|').next().unwrap_or_default())
        })
        .collect();
    assert!(
        unswept.is_empty(),
        "write commands no case calls: {unswept:?}"
    );
    for (name, _) in NOT_SWEPT {
        assert!(
            writes.contains(*name) && !swept.contains(*name),
            "{name} is listed as not swept, but it is swept or no write command"
        );
    }
    redis.call(
        "FUNCTION LOAD \"#!lua name=dumped\nredis.register_function('g', function() return 1 end)\"",
    );
    let Frame::Bulk(functions) = redis.call("FUNCTION DUMP") else {
        panic!("FUNCTION DUMP gave no payload");
    };
    redis.call("FUNCTION FLUSH");
    let payloads = Payloads {
        key: payload.to_vec(),
        functions: functions.to_vec(),
    };
    let mut valkey = reference::valkey_server().map(|path| Side::start(ServerBuilder::new(path)));
    for side in [&mut moat, &mut redis].into_iter().chain(valkey.as_mut()) {
        side.payloads = payloads.clone();
    }
    let only = std::env::var("MOAT_WATCH_ONLY").unwrap_or_default();
    let show_all = std::env::var("MOAT_WATCH_SHOW").is_ok_and(|v| v == "1");
    let mut names = HashSet::new();
    let selected: Vec<(&Case, Vec<Watched>)> = cases
        .iter()
        .filter(|case| {
            let name = case.name();
            assert!(names.insert(name.clone()), "two cases named {name}");
            name.contains(only.as_str())
        })
        .map(|case| (case, watch_list(&mut redis, case)))
        .collect();
    let (ours, theirs) = std::thread::scope(|scope| {
        let ours = scope.spawn(|| {
            selected
                .iter()
                .map(|(case, watch)| moat.run(case, watch))
                .collect::<Vec<_>>()
        });
        let theirs = scope.spawn(|| {
            selected
                .iter()
                .map(|(case, watch)| redis.run(case, watch))
                .collect::<Vec<_>>()
        });
        (
            ours.join().expect("moat side"),
            theirs.join().expect("redis side"),
        )
    });
    let mut report = Vec::new();
    let mut used = Vec::new();
    for (((case, watch), ours), theirs) in selected.iter().zip(&ours).zip(&theirs) {
        let name = case.name();
        if show_all {
            println!("{name}: {}", show(theirs));
        }
        let allowed = WATCH_DIFFERENCES.iter().find(|d| d.case == name);
        let expected = match allowed {
            Some(allowed) => {
                used.push(allowed.case);
                let mut replies = theirs.replies.clone();
                if let (Some(reply), Some(last)) = (allowed.reply, replies.last_mut()) {
                    *last = reply.to_owned();
                }
                Outcome {
                    replies,
                    broken: allowed.broken.iter().map(|k| k.to_string()).collect(),
                    broadcast: allowed.broadcast.iter().map(|k| k.to_string()).collect(),
                    tracked: allowed.tracked.iter().map(|k| k.to_string()).collect(),
                }
            }
            None => theirs.clone(),
        };
        if *ours == expected {
            continue;
        }
        let second = valkey.as_mut().map_or(String::new(), |valkey| {
            format!("\n  valkey: {}", show(&valkey.run(case, watch)))
        });
        report.push(format!(
            "{name} (watching {:?}):\n  moat:  {}\n  redis: {}{second}{}",
            watch.iter().map(watched_name).collect::<Vec<_>>(),
            show(ours),
            show(theirs),
            allowed.map_or(String::new(), |a| format!(
                "\n  accepted: moat should break {:?}, broadcast {:?}, track {:?}: {}",
                a.broken, a.broadcast, a.tracked, a.reason
            )),
        ));
    }
    if only.is_empty() {
        for allowed in WATCH_DIFFERENCES {
            assert!(
                used.contains(&allowed.case),
                "watch difference without a case: {}",
                allowed.case
            );
        }
    }
    println!("{} cases in {:?}", selected.len(), started.elapsed());
    assert!(
        report.is_empty(),
        "{} of {} cases differ:\n{}",
        report.len(),
        selected.len(),
        report.join("\n")
    );
}
