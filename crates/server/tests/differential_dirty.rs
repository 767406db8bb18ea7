//! `rdb_changes_since_last_save` of every write command against the
//! reference redis-server.
//!
//! Redis counts its changes (`server.dirty`) per command, each command
//! with its own amount: LPUSH counts the elements pushed, SADD the members
//! added, HSET the fields set, DEL the keys deleted, most other writes
//! one, and a write that changes nothing (or fails) none. The counter
//! drives the `save` points and is what INFO persistence reports. This
//! sweep runs each case on one pair of servers (no save points and no AOF,
//! so nothing resets the counter; the active expire cycle off, so only
//! lookups expire keys): FLUSHALL, the common fixture (one key of every
//! type, and expired keys of every type), the case's own setup; then it
//! reads the counter, runs the case's commands, reads it again, and
//! compares the difference and the replies. Where Redis 7.2 (which moat
//! follows) differs from the 7.0.15 reference the case is in
//! [`ACCEPTED`], with moat's expected difference and the reason. When
//! Valkey is installed its count is shown beside a difference, as a second
//! opinion on the later behaviour.
//!
//! A second test does the same for blocking commands that block and are
//! served by another connection's write: the write counts, and so does
//! the blocked command when it runs again.

mod keyspace_fixture;

use moat_resp::Frame;
use moat_testkit::{moat_server, reference, Client, ServerBuilder, ServerProcess};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// Stands for a DUMP payload of the string `v` in a case's words: RESTORE
/// needs one both servers accept, so it is taken from the reference (its
/// RDB version is the older one, which moat reads too).
const PAYLOAD: &str = "<payload>";

/// A case: setup commands (after the fixture), then the measured ones.
struct Case {
    setup: Vec<String>,
    commands: Vec<String>,
}

impl Case {
    /// How the case is named in reports and in [`ACCEPTED`].
    fn name(&self) -> String {
        let commands = self.commands.join("; ");
        if self.setup.is_empty() {
            commands
        } else {
            format!("{commands} after {}", self.setup.join("; "))
        }
    }
}

/// Where moat follows Redis 7.2 and the 7.0.15 reference counts otherwise
/// (listed with the other accepted differences, in the testkit).
use moat_testkit::accepted_differences::{
    DirtyDifference, DIRTY_DIFFERENCES as ACCEPTED, SERVED_DIRTY_DIFFERENCES as SERVED_ACCEPTED,
};

/// What a case left behind on one server.
#[derive(Debug, PartialEq)]
struct Outcome {
    changes: i64,
    replies: Vec<String>,
}

/// A command's arguments: its words, `"..."` quoting one with spaces
/// (`""` an empty one), [`PAYLOAD`] replaced by `payload`.
fn words(text: &str, payload: &[u8]) -> Vec<Vec<u8>> {
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
        out.push(if word == PAYLOAD {
            payload.to_vec()
        } else {
            word.as_bytes().to_vec()
        });
        rest = tail.trim_start();
    }
    out
}

/// The reply with what Redis leaves unspecified taken out: random picks
/// reduced to their shape, unordered collections sorted.
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
        "SMEMBERS" | "SINTER" | "SUNION" | "SDIFF" | "KEYS" | "HGETALL" | "HKEYS" | "HVALS" => {
            format!("{:?}", sorted(reply))
        }
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

struct Side {
    server: ServerProcess,
    client: Client,
    payload: Vec<u8>,
}

impl Side {
    /// `builder` leaves the save points and the AOF off.
    fn start(builder: ServerBuilder) -> Side {
        let server = builder
            .args(["--enable-debug-command", "local"])
            .start()
            .expect("server starts");
        let client = server.client().expect("connect");
        let mut side = Side {
            server,
            client,
            payload: Vec::new(),
        };
        assert_eq!(
            side.call("DEBUG SET-ACTIVE-EXPIRE 0"),
            Frame::Simple("OK".into())
        );
        side
    }

    fn call(&mut self, text: &str) -> Frame {
        self.client
            .call(&words(text, &self.payload))
            .expect("reply")
    }

    fn changes(&mut self) -> i64 {
        let text = match self.call("INFO persistence") {
            Frame::Bulk(text) | Frame::Verbatim { text, .. } => {
                String::from_utf8_lossy(&text).into_owned()
            }
            other => panic!("INFO persistence: {other:?}"),
        };
        text.lines()
            .find_map(|line| line.strip_prefix("rdb_changes_since_last_save:"))
            .and_then(|value| value.trim().parse().ok())
            .expect("INFO persistence lacks rdb_changes_since_last_save")
    }

    fn run(&mut self, case: &Case) -> Outcome {
        self.set_fixture();
        for command in &case.setup {
            self.call(command);
        }
        sleep(Duration::from_millis(2));
        let before = self.changes();
        let replies = case
            .commands
            .iter()
            .map(|command| normalise(command, &self.call(command)))
            .collect();
        Outcome {
            changes: self.changes() - before,
            replies,
        }
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
            sleep(Duration::from_millis(5));
        }
    }

    /// A blocking command sent on its own connection, blocked, then served
    /// by `writer` on the main one.
    fn run_served(&mut self, served: &Served) -> Outcome {
        self.set_fixture();
        for command in served.setup {
            self.call(command);
        }
        let before = self.changes();
        let mut blocked = self.server.client().expect("connect");
        blocked
            .send(&words(served.blocker, &self.payload))
            .expect("send");
        self.wait_blocked();
        let written = normalise(served.writer, &self.call(served.writer));
        let woken = normalise(served.blocker, &blocked.read_frame().expect("reply"));
        Outcome {
            changes: self.changes() - before,
            replies: vec![written, woken],
        }
    }

    /// FLUSHALL, then the fixture with its `e*` keys given a 1 ms TTL.
    fn set_fixture(&mut self) {
        keyspace_fixture::set(&[], |commands| {
            commands.iter().map(|command| self.call(command)).collect()
        });
    }
}

/// `template` with `$` replaced by each of the keys: one of the right
/// type, a missing one, one of the wrong type, an expired one.
fn each(cases: &mut Vec<Case>, template: &str, keys: &[&str]) {
    for key in keys {
        plain(cases, &template.replace('$', key));
    }
}

/// Adds a case unless an identical one is there (templates give some twice).
fn with_setup(cases: &mut Vec<Case>, setup: &[&str], commands: &[&str]) {
    let case = Case {
        setup: setup.iter().map(|s| s.to_string()).collect(),
        commands: commands.iter().map(|s| s.to_string()).collect(),
    };
    if !cases.iter().any(|known| known.name() == case.name()) {
        cases.push(case);
    }
}

fn plain(cases: &mut Vec<Case>, command: &str) {
    with_setup(cases, &[], &[command]);
}

const STRING: &[&str] = &["s", "nokey", "l", "es"];
const NUMBER: &[&str] = &["n", "nokey", "l", "es"];
const LIST: &[&str] = &["l", "nokey", "s", "el"];
const HASH: &[&str] = &["h", "nokey", "s", "eh"];
const SET: &[&str] = &["st", "nokey", "s", "est"];
const ZSET: &[&str] = &["z", "nokey", "s", "ez"];
const STREAM: &[&str] = &["x", "nokey", "s", "ex"];
const GEO: &[&str] = &["g", "nokey", "s", "eg"];
const HLL: &[&str] = &["hll", "nokey", "l", "ehll"];
const BITMAP: &[&str] = &["b", "nokey", "l", "es"];
const ANY: &[&str] = &["s", "nokey", "l", "h", "z", "x", "es", "el"];

fn cases() -> Vec<Case> {
    let mut c = Vec::new();
    let c = &mut c;

    // Strings.
    for t in [
        "GET $",
        "SET $ v",
        "SET $ hello",
        "SET $ v GET",
        "SET $ v NX",
        "SET $ v XX",
        "SET $ v NX GET",
        "SET $ v XX GET",
        "SET $ v KEEPTTL",
        "SET $ v EX 100",
        "SET $ v PXAT 1",
        "SET $ v EX 0",
        "SETNX $ v",
        "SETEX $ 10 v",
        "PSETEX $ 10000 v",
        "GETSET $ v",
        "GETDEL $",
        "GETEX $",
        "GETEX $ PERSIST",
        "GETEX $ EX 100",
        "GETEX $ PXAT 1",
        "APPEND $ x",
        "APPEND $ \"\"",
        "SETRANGE $ 1 x",
        "SETRANGE $ 0 \"\"",
        "SETRANGE $ 10 \"\"",
        "MSET $ v",
        "MSET $ v k2 v2 k3 v3",
        "MSETNX $ v",
        "MSETNX $ v k2 v2",
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
    ] {
        each(c, t, NUMBER);
    }
    plain(c, "INCR s");
    plain(c, "INCRBY n 9223372036854775807");
    plain(c, "MSET s v s w");
    plain(c, "MSETNX nokey v s v");
    plain(c, "MSETNX nokey v k2 v2 nokey v3");

    // Bitmaps.
    for t in [
        "SETBIT $ 1 1",
        "SETBIT $ 7 1",
        "SETBIT $ 7 0",
        "SETBIT $ 100 0",
        "SETBIT $ 1 2",
        "BITFIELD $ GET u8 0",
        "BITFIELD $ SET u8 0 1",
        "BITFIELD $ SET u8 0 1 SET u8 8 2",
        "BITFIELD $ INCRBY u8 0 1",
        "BITFIELD $ INCRBY u8 0 0",
        "BITFIELD $ OVERFLOW FAIL INCRBY u2 0 10",
        "BITFIELD $ SET u8 0 1 GET u8 0 INCRBY u8 0 1",
        "BITFIELD_RO $ GET u8 0",
        "BITOP AND dest $ b",
        "BITOP OR $ b",
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
        "DEL $",
        "DEL $ $",
        "UNLINK $",
        "RENAME $ newname",
        "RENAME $ s2",
        "RENAME $ $",
        "RENAMENX $ newname",
        "RENAMENX $ s2",
        "RENAMENX $ $",
        "COPY $ dst",
        "COPY $ s2",
        "COPY $ s2 REPLACE",
        "COPY $ dst DB 1",
        "COPY $ $",
        "COPY s $",
        "COPY s $ REPLACE",
        "MOVE $ 1",
        "EXPIRE $ 100",
        "EXPIRE $ 100 NX",
        "EXPIRE $ 100 XX",
        "EXPIRE $ 100 GT",
        "EXPIRE $ 100 LT",
        "EXPIRE $ 0",
        "EXPIRE $ -1",
        "EXPIRE $ x",
        "PEXPIRE $ 100000",
        "PEXPIRE $ 0",
        "EXPIREAT $ 9999999999",
        "EXPIREAT $ 1",
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
    ] {
        each(c, t, ANY);
    }
    plain(c, "DEL s nokey es l el h");
    plain(c, "UNLINK s nokey es l");
    plain(c, "TOUCH s nokey l");
    with_setup(c, &["SET k1 v PX 100000"], &["EXPIRE k1 100 NX"]);
    with_setup(c, &["SET k1 v PX 100000"], &["EXPIRE k1 1000 XX"]);
    with_setup(c, &["SET k1 v PX 100000"], &["EXPIRE k1 1000 GT"]);
    with_setup(c, &["SET k1 v PX 100000"], &["EXPIRE k1 1000 LT"]);
    with_setup(c, &["SET k1 v PX 100000"], &["EXPIRE k1 10 LT"]);
    with_setup(c, &["SET k1 v PX 100000"], &["PERSIST k1"]);
    with_setup(c, &["SELECT 1", "SET s v", "SELECT 0"], &["MOVE s 1"]);
    with_setup(c, &["SELECT 1", "SET s v", "SELECT 0"], &["COPY s s DB 1"]);
    with_setup(
        c,
        &["SELECT 1", "SET s v", "SELECT 0"],
        &["COPY s s DB 1 REPLACE"],
    );
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
        "SORT l ALPHA STORE $",
    ] {
        each(c, t, LIST);
    }
    plain(c, "SORT nokey STORE s2");
    plain(c, "SORT st ALPHA STORE dst");
    plain(c, "SORT z STORE dst");
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
    with_setup(c, &["SELECT 3"], &["FLUSHDB"]);
    with_setup(c, &["SELECT 3"], &["FLUSHDB", "SELECT 0"]);
    with_setup(c, &["SELECT 1", "SET k v", "SELECT 0"], &["FLUSHALL"]);
    with_setup(c, &["FLUSHALL"], &["FLUSHALL"]);
    with_setup(c, &["FLUSHALL"], &["FLUSHDB"]);

    // Lists.
    for t in [
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
        "LSET $ 0 x",
        "LSET $ 0 a",
        "LSET $ 10 x",
        "LREM $ 0 a",
        "LREM $ 0 nomember",
        "LREM $ -1 b",
        "LTRIM $ 0 1",
        "LTRIM $ 0 -1",
        "LTRIM $ 5 10",
        "LINSERT $ BEFORE b x",
        "LINSERT $ AFTER nomember x",
        "LMOVE $ dst LEFT RIGHT",
        "LMOVE $ $ LEFT RIGHT",
        "LMOVE l $ LEFT RIGHT",
        "RPOPLPUSH $ dst",
        "RPOPLPUSH l $",
        "LMPOP 1 $ LEFT",
        "LMPOP 1 $ RIGHT COUNT 2",
        "LMPOP 2 $ l LEFT COUNT 10",
        "BLPOP $ 0.01",
        "BRPOP $ l 0.01",
        "BLMOVE $ dst LEFT RIGHT 0.01",
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
    with_setup(c, &["RPUSH one a"], &["LREM one 0 a"]);
    plain(c, "LMPOP 3 nokey el l LEFT COUNT 2");
    plain(c, "BLPOP nokey el l 0.01");

    // Hashes.
    for t in [
        "HSET $ f x",
        "HSET $ f v",
        "HSET $ f x new y",
        "HSET $ a 1 b 2 c 3",
        "HSET $ f x f y",
        "HMSET $ f x g y",
        "HSETNX $ f x",
        "HSETNX $ new x",
        "HDEL $ f",
        "HDEL $ f g n",
        "HDEL $ f nofield",
        "HDEL $ nofield",
        "HINCRBY $ n 1",
        "HINCRBY $ n 0",
        "HINCRBY $ new 5",
        "HINCRBY $ f 1",
        "HINCRBYFLOAT $ n 1.5",
        "HINCRBYFLOAT $ n 0",
        "HINCRBYFLOAT $ new 2",
    ] {
        each(c, t, HASH);
    }

    // Sets.
    for t in [
        "SADD $ x",
        "SADD $ a",
        "SADD $ a x y",
        "SADD $ x x",
        "SREM $ a",
        "SREM $ a b c",
        "SREM $ a nomember",
        "SREM $ nomember",
        "SPOP $",
        "SPOP $ 2",
        "SPOP $ 10",
        "SPOP $ 0",
        "SMOVE $ dst a",
        "SMOVE $ st2 a",
        "SMOVE $ st2 b",
        "SMOVE st $ a",
        "SMOVE $ $ a",
        "SMOVE $ dst nomember",
        "SINTERSTORE dst $ st2",
        "SINTERSTORE dst st2 $",
        "SUNIONSTORE dst $ st2",
        "SDIFFSTORE dst $ st2",
        "SDIFFSTORE dst st2 $",
        "SINTERSTORE $ st st2",
        "SUNIONSTORE $ st",
    ] {
        each(c, t, SET);
    }
    plain(c, "SDIFFSTORE dst st st");
    plain(c, "SDIFFSTORE s2 st st");
    plain(c, "SINTERSTORE s2 nokey st");
    plain(c, "SINTERSTORE dst nokey st");
    plain(c, "SUNIONSTORE s2 nokey est");
    with_setup(c, &["SADD one a"], &["SMOVE one dst a"]);
    with_setup(c, &["SADD one a"], &["SPOP one"]);
    with_setup(c, &["SADD one a", "SADD dst a"], &["SMOVE one dst a"]);

    // Sorted sets.
    for t in [
        "ZADD $ 5 x",
        "ZADD $ 1 a",
        "ZADD $ 9 a",
        "ZADD $ 1 a 9 b 5 x",
        "ZADD $ NX 5 a",
        "ZADD $ NX 5 x",
        "ZADD $ XX 5 x",
        "ZADD $ XX 5 a",
        "ZADD $ GT 0 a",
        "ZADD $ LT 0 a",
        "ZADD $ CH 5 a",
        "ZADD $ CH 1 a",
        "ZADD $ INCR 5 a",
        "ZADD $ INCR 0 a",
        "ZADD $ NX INCR 5 a",
        "ZADD $ XX INCR 5 x",
        "ZADD $ 1 nan",
        "ZADD $ NX XX 1 a",
        "ZINCRBY $ 1 a",
        "ZINCRBY $ 0 a",
        "ZINCRBY $ 1 new",
        "ZREM $ a",
        "ZREM $ a b nomember",
        "ZREM $ nomember",
        "ZREMRANGEBYRANK $ 0 0",
        "ZREMRANGEBYRANK $ 5 10",
        "ZREMRANGEBYRANK $ 0 -1",
        "ZREMRANGEBYSCORE $ 0 2",
        "ZREMRANGEBYSCORE $ 10 20",
        "ZREMRANGEBYLEX $ - +",
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
        "ZRANGESTORE dst $ 0 1 BYSCORE LIMIT 0 1",
        "ZUNIONSTORE dst 2 $ z2",
        "ZINTERSTORE dst 2 $ z2",
        "ZDIFFSTORE dst 2 $ z2",
        "ZUNIONSTORE $ 2 z z2",
    ] {
        each(c, t, ZSET);
    }
    plain(c, "ZRANGESTORE z2 z 5 10");
    plain(c, "ZINTERSTORE z2 2 z nokey");
    plain(c, "ZINTERSTORE dst 2 z nokey");
    plain(c, "ZDIFFSTORE dst 2 z z");
    plain(c, "ZUNIONSTORE dst 2 z st");
    with_setup(c, &["ZADD one 1 a"], &["ZPOPMIN one"]);
    with_setup(c, &["ZADD one 1 a"], &["ZREM one a"]);

    // Streams.
    for t in [
        "XADD $ 5-0 f v",
        "XADD $ 5-0 f v g w",
        "XADD $ 1-0 f v",
        "XADD $ NOMKSTREAM 5-0 f v",
        "XADD $ MAXLEN 1 5-0 f v",
        "XADD $ MAXLEN 0 5-0 f v",
        "XADD $ MINID 3-0 5-0 f v",
        "XDEL $ 1-0",
        "XDEL $ 1-0 2-0 9-0",
        "XDEL $ 9-0",
        "XTRIM $ MAXLEN 1",
        "XTRIM $ MAXLEN 10",
        "XTRIM $ MINID 2-0",
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
        "XACK x grp 1-0 9-0",
        "XACK x grp 9-0",
        "XCLAIM x grp c2 0 1-0",
        "XCLAIM x grp c2 0 1-0 2-0 JUSTID",
        "XCLAIM x grp c2 0 9-0",
        "XCLAIM x grp c2 999999999 1-0",
        "XCLAIM x grp c1 0 1-0 JUSTID",
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
        "PFADD $",
        "PFADD $ x y z",
        "PFCOUNT $",
        "PFCOUNT $ hll2",
        "PFMERGE dst $ hll2",
        "PFMERGE $ hll2",
        "PFMERGE $",
    ] {
        each(c, t, HLL);
    }
    for t in [
        "PFDEBUG TODENSE $",
        "PFDEBUG GETREG $",
        "PFDEBUG ENCODING $",
    ] {
        each(c, t, HLL);
    }
    with_setup(c, &["PFDEBUG TODENSE hll"], &["PFDEBUG TODENSE hll"]);
    with_setup(c, &["PFCOUNT hll"], &["PFCOUNT hll"]);
    with_setup(c, &["PFCOUNT hll"], &["PFADD hll a"]);
    plain(c, "PFMERGE dst nokey");
    plain(c, "PFMERGE hll hll");

    // Geo.
    for t in [
        "GEOADD $ 1 1 m",
        "GEOADD $ 13.361389 38.115556 Palermo",
        "GEOADD $ 1 1 m 2 2 n",
        "GEOADD $ NX 1 1 Palermo",
        "GEOADD $ XX 1 1 Palermo",
        "GEOADD $ XX 1 1 m",
        "GEOADD $ CH 1 1 Palermo",
        "GEOADD $ 1 100 m",
        "GEOSEARCHSTORE dst $ FROMLONLAT 15 37 BYRADIUS 200 km",
        "GEOSEARCHSTORE dst $ FROMLONLAT 0 0 BYRADIUS 1 km",
        "GEOSEARCHSTORE dst $ FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST",
        "GEOSEARCHSTORE $ g FROMLONLAT 15 37 BYRADIUS 200 km",
        "GEOSEARCHSTORE dst $ FROMMEMBER Palermo BYBOX 400 400 km COUNT 1",
        "GEORADIUS $ 15 37 200 km STORE dst",
        "GEORADIUS $ 0 0 1 km STORE dst",
        "GEORADIUS g 15 37 200 km STORE $",
        "GEORADIUSBYMEMBER $ Palermo 200 km STOREDIST dst",
    ] {
        each(c, t, GEO);
    }
    plain(c, "GEOSEARCHSTORE s2 g FROMLONLAT 0 0 BYRADIUS 1 km");
    plain(c, "GEORADIUS g 0 0 1 km STORE s2");

    // Transactions and scripts: what the commands inside count.
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
        &["MULTI", "GET s", "EXEC"],
        &["MULTI", "SET s v", "DISCARD"],
        &["MULTI", "SET s v", "NOSUCHCOMMAND", "EXEC"],
        &["WATCH s", "SET s x", "MULTI", "SET s y", "EXEC"],
        &["MULTI", "FLUSHALL", "SET s v", "EXEC"],
        &["MULTI", "BLPOP l 0", "ZPOPMIN z 2", "EXEC"],
    ];
    for commands in transactions {
        with_setup(c, &[], commands);
    }
    for script in [
        "EVAL \"redis.call('lpush', KEYS[1], 'a', 'b'); return redis.call('sadd', KEYS[2], 'x', 'y')\" 2 l st",
        "EVAL \"return redis.call('get', KEYS[1])\" 1 s",
        "EVAL \"redis.call('del', KEYS[1]); return redis.call('hset', KEYS[2], 'f', 'v', 'g', 'w')\" 2 s h",
        "EVAL \"redis.call('incr', KEYS[1]); return redis.call('incr', KEYS[2])\" 2 n s",
        "EVAL \"redis.call('sadd', KEYS[1], 'a'); return redis.call('srem', KEYS[1], 'zz')\" 1 st",
        "EVAL \"return #redis.call('spop', KEYS[1], 2)\" 1 st",
        "EVAL_RO \"return redis.call('lrange', KEYS[1], 0, -1)\" 1 l",
        "EVAL \"return redis.pcall('lpush', KEYS[1], 'x')\" 1 s",
    ] {
        plain(c, script);
    }
    plain(c, "SCRIPT LOAD \"return 1\"");
    with_setup(c, &["SCRIPT LOAD \"return 1\""], &["SCRIPT FLUSH"]);
    with_setup(
        c,
        &["FUNCTION FLUSH"],
        &["FUNCTION LOAD \"#!lua name=lib\nredis.register_function('f', function(keys) return redis.call('rpush', keys[1], 'a', 'b', 'c') end)\""],
    );
    with_setup(
        c,
        &[
            "FUNCTION FLUSH",
            "FUNCTION LOAD \"#!lua name=lib\nredis.register_function('f', function(keys) return redis.call('rpush', keys[1], 'a', 'b', 'c') end)\"",
        ],
        &["FCALL f 1 l", "FUNCTION DELETE lib", "FUNCTION FLUSH"],
    );
    std::mem::take(c)
}

/// One kind of case: how it is named, and how one server runs it.
trait Checked {
    fn name(&self) -> String;
    fn run(&self, side: &mut Side) -> Outcome;
}

impl Checked for Case {
    fn name(&self) -> String {
        Case::name(self)
    }
    fn run(&self, side: &mut Side) -> Outcome {
        side.run(self)
    }
}

impl Checked for Served {
    fn name(&self) -> String {
        let name = format!("{} served by {}", self.blocker, self.writer);
        if self.setup.is_empty() {
            name
        } else {
            format!("{name} after {}", self.setup.join("; "))
        }
    }
    fn run(&self, side: &mut Side) -> Outcome {
        side.run_served(self)
    }
}

/// Runs every case on moat and on the reference, and fails with each
/// difference `accepted` does not allow (Valkey's outcome beside it, when
/// installed). `MOAT_DIRTY_ONLY` runs the cases whose name contains it.
fn check_all<C: Checked>(cases: &[C], accepted: &'static [DirtyDifference]) {
    let Some(redis) = reference::redis_server() else {
        return;
    };
    let mut moat = Side::start(moat_server(option_env!("CARGO_BIN_EXE_moat-server")));
    let mut redis = Side::start(ServerBuilder::new(redis));
    let mut valkey = reference::valkey_server().map(|path| Side::start(ServerBuilder::new(path)));
    // The reference's own DUMP is a payload every server here restores.
    redis.call("SET payload v");
    let Frame::Bulk(payload) = redis.call("DUMP payload") else {
        panic!("DUMP gave no payload");
    };
    for side in [&mut moat, &mut redis].into_iter().chain(valkey.as_mut()) {
        side.payload = payload.to_vec();
    }
    let only = std::env::var("MOAT_DIRTY_ONLY").unwrap_or_default();
    let mut report = Vec::new();
    let mut used = Vec::new();
    let mut names = std::collections::HashSet::new();
    for case in cases {
        let name = case.name();
        assert!(names.insert(name.clone()), "two cases named {name}");
        if !name.contains(only.as_str()) {
            continue;
        }
        let ours = case.run(&mut moat);
        let theirs = case.run(&mut redis);
        let allowed = accepted.iter().find(|a| a.case == name);
        let ok = match allowed {
            Some(allowed) => {
                used.push(allowed.case);
                let mut replies = theirs.replies.clone();
                if let (Some(reply), Some(last)) = (allowed.reply, replies.last_mut()) {
                    *last = reply.to_owned();
                }
                ours.changes == allowed.moat && ours.replies == replies
            }
            None => ours == theirs,
        };
        if ok {
            continue;
        }
        let second = valkey.as_mut().map_or(String::new(), |valkey| {
            let v = case.run(valkey);
            format!("\n  valkey: {} {:?}", v.changes, v.replies)
        });
        report.push(format!(
            "{name}:\n  moat:  {} {:?}\n  redis: {} {:?}{second}{}",
            ours.changes,
            ours.replies,
            theirs.changes,
            theirs.replies,
            allowed.map_or(String::new(), |a| format!(
                "\n  accepted: moat should count {}: {}",
                a.moat, a.reason
            )),
        ));
    }
    if only.is_empty() {
        for allowed in accepted {
            assert!(
                used.contains(&allowed.case),
                "accepted difference without a case: {}",
                allowed.case
            );
        }
    }
    println!("{} cases", cases.len());
    assert!(
        report.is_empty(),
        "{} of {} cases differ:\n{}",
        report.len(),
        cases.len(),
        report.join("\n")
    );
}

#[test]
fn dirty_counts_match_redis() {
    check_all(&cases(), ACCEPTED);
}

/// A blocking command that blocks, and the write that serves it.
struct Served {
    setup: &'static [&'static str],
    blocker: &'static str,
    writer: &'static str,
}

const SERVED: &[Served] = &[
    Served {
        setup: &[],
        blocker: "BLPOP k 5",
        writer: "RPUSH k a b",
    },
    Served {
        setup: &[],
        blocker: "BRPOP k l2 5",
        writer: "LPUSH k a",
    },
    Served {
        setup: &[],
        blocker: "BLMOVE k dst LEFT RIGHT 5",
        writer: "RPUSH k a b",
    },
    Served {
        setup: &[],
        blocker: "BRPOPLPUSH k dst 5",
        writer: "RPUSH k a b",
    },
    Served {
        setup: &[],
        blocker: "BLMPOP 5 1 k LEFT COUNT 3",
        writer: "RPUSH k a b",
    },
    Served {
        setup: &[],
        blocker: "BZPOPMIN k 5",
        writer: "ZADD k 1 a 2 b",
    },
    Served {
        setup: &[],
        blocker: "BZMPOP 5 1 k MAX COUNT 5",
        writer: "ZADD k 1 a 2 b",
    },
    Served {
        setup: &[],
        blocker: "XREAD BLOCK 5000 STREAMS x $",
        writer: "XADD x 9-0 f v",
    },
    Served {
        setup: &["XGROUP SETID x grp $"],
        blocker: "XREADGROUP GROUP grp c9 BLOCK 5000 STREAMS x >",
        writer: "XADD x 9-0 f v",
    },
    Served {
        setup: &["XGROUP SETID x grp $", "XGROUP CREATECONSUMER x grp c9"],
        blocker: "XREADGROUP GROUP grp c9 COUNT 1 NOACK BLOCK 5000 STREAMS x >",
        writer: "XADD x 9-0 f v",
    },
    Served {
        setup: &["XGROUP SETID x grp $", "XGROUP CREATECONSUMER x grp c9"],
        blocker: "XREADGROUP GROUP grp c9 BLOCK 5000 STREAMS x >",
        writer: "XGROUP DESTROY x grp",
    },
];

#[test]
fn served_blocking_commands_count_as_redis_counts_them() {
    check_all(SERVED, SERVED_ACCEPTED);
}
