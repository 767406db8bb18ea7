//! The keyspace notifications of write commands, swept against the
//! reference redis-server.
//!
//! Both servers start with `--notify-keyspace-events KEA`. A second
//! connection is subscribed to `__key*__:*`; each case resets the
//! dataset to the [`FIXTURE`], sets a marker key, runs its commands, then
//! sets the marker again: the messages the subscriber receives between the
//! two markers (the marker's own left out) are compared, channel and
//! message, in order.
//!
//! Three phases: the [`WRITES`] table under `KEA` (every write command in
//! one or more call shapes that succeed, expiry, eviction, writes that
//! empty a key); the same table under `KEAn` (`new` events, not part of
//! `A`); key-miss events (`KEm`) for every command shared with the
//! reference, called with a missing key where its first key goes, alone,
//! followed by junk or by numbers (the generation of
//! `differential_sweep.rs`); and the table again under `KEm` (the reads
//! inside writes: `*STORE` sources, expired keys).
//!
//! Cases where Redis 7.2 (which moat follows) notifies otherwise than the
//! 7.0.15 reference are in the testkit's `NOTIFICATION_DIFFERENCES`.
//!
//! `MOAT_NOTIFY_ONLY=<word>` runs the cases whose text contains the word;
//! `MOAT_NOTIFY_SHOW=1` prints every case's messages.

mod command_table;

use command_table::{items, key_place, short_timeout, table, text, with_key};
use moat_resp::Frame;
use moat_testkit::accepted_differences::NOTIFICATION_DIFFERENCES;
use moat_testkit::{moat_server, reference, Client, ServerBuilder, ServerProcess};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// The dataset every case starts from.
const FIXTURE: &[&str] = &[
    "SET str hello",
    "SET num 10",
    "SET flt 1.5",
    "SET ttl v EX 1000",
    "RPUSH lst a b c",
    "RPUSH lst1 x",
    "RPUSH lst2 p q",
    "HSET hsh f v n 5",
    "HSET hsh1 f v",
    "SADD set a b c",
    "SADD set1 a",
    "SADD set2 b c d",
    "ZADD zst 1 a 2 b 3 c",
    "ZADD zst1 1 a",
    "ZADD zst2 2 b 4 d",
    "XADD stm 1-0 f v",
    "XADD stm 2-0 f w",
    "XGROUP CREATE stm grp 0",
    "XREADGROUP GROUP grp alice COUNT 1 STREAMS stm >",
    "GEOADD geo 13.361389 38.115556 palermo 15.087269 37.502669 catania",
    "PFADD hll a b c",
    "SETBIT bits 3 1",
];

/// One case per line: commands separated by ` ; `. A command `sleep N`
/// waits N milliseconds; a command starting with `!` may fail on the
/// reference (any other failure there is a mistake in the table); an
/// argument `$DUMP:key` is the server's own DUMP of that key. A line
/// starting with `~` compares the messages as a multiset (random order).
const WRITES: &[&str] = &[
    // Strings.
    "SET k v",
    "SET str v",
    "SET k v EX 10",
    "SET str v PX 100000 GET",
    "SET ttl v KEEPTTL",
    "SET str v NX",
    "SET k v XX",
    "SET str v XX",
    "SET k v NX GET",
    "SETNX k v",
    "SETNX str v",
    "SETEX k 10 v",
    "PSETEX k 10000 v",
    "MSET a 1 b 2 str 3",
    "MSETNX a 1 b 2",
    "MSETNX a 1 str 2",
    "GETSET str v",
    "GETSET k v",
    "GETDEL str",
    "GETDEL k",
    "GETEX str EX 100",
    "GETEX ttl PERSIST",
    "GETEX str PERSIST",
    "GETEX str PXAT 99999999999999",
    "GETEX str",
    "APPEND str x",
    "APPEND k x",
    "SETRANGE str 2 xy",
    "SETRANGE k 3 xy",
    "SETRANGE k 0 ''",
    "SETRANGE str 0 ''",
    "INCR num",
    "INCR k",
    "DECR num",
    "INCRBY num 5",
    "DECRBY num 5",
    "INCRBYFLOAT flt 2.5",
    "INCRBYFLOAT k 2",
    "SETBIT bits 1 1",
    "SETBIT k 7 1",
    "SETBIT bits 3 1",
    "BITFIELD bits SET u8 0 255",
    "BITFIELD k INCRBY u8 0 1",
    "BITFIELD bits GET u8 0",
    "BITOP AND dst str num",
    "BITOP OR dst str missing",
    "BITOP AND str missing1 missing2",
    "BITOP NOT dst str",
    "PFADD hll d",
    "PFADD hll a",
    "PFADD k a",
    "PFADD k",
    "PFMERGE dst hll",
    "PFMERGE hll",
    "PFCOUNT hll",
    // Generic.
    "DEL str lst missing",
    "UNLINK hsh set",
    "EXPIRE str 100",
    "EXPIRE str 100 NX",
    "EXPIRE ttl 100 NX",
    "EXPIRE str -1",
    "PEXPIRE str 100000",
    "EXPIREAT str 99999999999",
    "EXPIREAT str 1",
    "PEXPIREAT str 1",
    "PERSIST ttl",
    "PERSIST str",
    "RENAME str k",
    "RENAME str num",
    "RENAME str str",
    "RENAMENX str k",
    "RENAMENX str num",
    "COPY str k",
    "COPY str num REPLACE",
    "COPY str num",
    "COPY lst k DB 1",
    "MOVE str 1",
    "MOVE ttl 1",
    "!MOVE missing 1",
    "RESTORE k 0 $DUMP:lst",
    "RESTORE str 0 $DUMP:lst REPLACE",
    "RESTORE k 10000 $DUMP:zst",
    "RESTORE k 1 $DUMP:zst ABSTTL",
    "SORT lst ALPHA STORE dst",
    "SORT lst ALPHA STORE str",
    "SORT missing STORE str",
    "SORT missing STORE dst",
    "SORT_RO lst ALPHA",
    "TOUCH str missing",
    "SWAPDB 0 1",
    "SELECT 1 ; SET k v ; SWAPDB 0 1",
    // Lists.
    "LPUSH lst x y",
    "LPUSH k x",
    "RPUSH k x y",
    "LPUSHX lst x",
    "LPUSHX k x",
    "RPUSHX lst x",
    "LINSERT lst BEFORE b x",
    "LINSERT lst AFTER zz x",
    "LSET lst 0 x",
    "LPOP lst",
    "LPOP lst1",
    "RPOP lst 2",
    "RPOP lst 5",
    "LPOP lst 0",
    "LPOP missing",
    "LREM lst 0 a",
    "LREM lst1 0 x",
    "LREM lst 0 zz",
    "LTRIM lst 0 1",
    "LTRIM lst 5 10",
    "LTRIM lst 0 -1",
    "RPOPLPUSH lst dst",
    "RPOPLPUSH lst1 lst1",
    "RPOPLPUSH lst1 dst",
    "LMOVE lst dst LEFT RIGHT",
    "LMOVE lst lst RIGHT LEFT",
    "LMOVE lst1 lst2 LEFT LEFT",
    "LMPOP 2 missing lst LEFT COUNT 2",
    "LMPOP 1 lst1 RIGHT COUNT 5",
    "BLPOP lst 0.01",
    "BRPOP lst1 0.01",
    "BLMOVE lst1 dst RIGHT LEFT 0.01",
    "BRPOPLPUSH lst dst 0.01",
    "BLMPOP 0.01 1 lst LEFT",
    // Hashes.
    "HSET hsh f w g x",
    "HSET k f v",
    "HSETNX hsh f v",
    "HSETNX hsh g v",
    "HSETNX k g v",
    "HMSET hsh a 1 b 2",
    "HDEL hsh f",
    "HDEL hsh f n",
    "HDEL hsh1 f zz",
    "HDEL hsh zz",
    "HINCRBY hsh n 2",
    "HINCRBY k n 2",
    "HINCRBYFLOAT hsh n 2.5",
    "HINCRBYFLOAT k n 1e3",
    // Sets.
    "SADD set d e",
    "SADD set a",
    "SADD k a",
    "SREM set a zz",
    "SREM set1 a",
    "SREM set zz",
    "SPOP set",
    "SPOP set1",
    "SPOP set 2",
    "SPOP set 3",
    "SPOP set 10",
    "SPOP set 0",
    "SMOVE set set2 a",
    "SMOVE set1 k a",
    "SMOVE set set2 b",
    "SMOVE set set zz",
    "SINTERSTORE dst set set2",
    "SINTERSTORE dst set missing",
    "SINTERSTORE set set missing",
    "SUNIONSTORE dst set set2",
    "SUNIONSTORE set missing",
    "SDIFFSTORE dst set set2",
    "SDIFFSTORE set1 set1 set",
    // Sorted sets.
    "ZADD zst 5 d",
    "ZADD zst 5 a",
    "ZADD zst 1 a",
    "ZADD zst INCR 2 a",
    "ZADD zst NX 9 a",
    "ZADD zst XX CH 9 a 8 zz",
    "ZADD k 1 a",
    "ZINCRBY zst 2 a",
    "ZINCRBY k 2 a",
    "ZREM zst a zz",
    "ZREM zst1 a",
    "ZREM zst zz",
    "ZREMRANGEBYRANK zst 0 0",
    "ZREMRANGEBYRANK zst 0 -1",
    "ZREMRANGEBYRANK zst 5 6",
    "ZREMRANGEBYSCORE zst 1 2",
    "ZREMRANGEBYSCORE zst -inf +inf",
    "ZREMRANGEBYLEX zst [a [b",
    "ZREMRANGEBYLEX zst - +",
    "ZPOPMIN zst",
    "ZPOPMIN zst1",
    "ZPOPMAX zst 2",
    "ZPOPMAX zst 10",
    "ZPOPMIN missing",
    "ZMPOP 2 missing zst MIN COUNT 2",
    "ZMPOP 1 zst1 MAX",
    "BZPOPMIN zst1 0.01",
    "BZPOPMAX zst 0.01",
    "BZMPOP 0.01 1 zst MIN COUNT 5",
    "ZUNIONSTORE dst 2 zst zst2",
    "ZUNIONSTORE zst 1 missing",
    "ZINTERSTORE dst 2 zst zst2",
    "ZINTERSTORE dst 2 zst missing",
    "ZDIFFSTORE dst 2 zst zst2",
    "ZDIFFSTORE zst 2 zst zst",
    "ZRANGESTORE dst zst 0 -1",
    "ZRANGESTORE dst zst 5 6",
    "ZRANGESTORE zst zst 5 6",
    "ZUNIONSTORE dst 2 zst set",
    // Geo.
    "GEOADD geo 2.35 48.85 paris",
    "GEOADD geo XX 2.35 48.85 palermo",
    "GEOADD geo NX 13.361389 38.115556 palermo",
    "GEOADD k 2.35 48.85 paris",
    "GEOSEARCHSTORE dst geo FROMMEMBER palermo BYRADIUS 500 km ASC",
    "GEOSEARCHSTORE dst geo FROMMEMBER palermo BYRADIUS 500 km STOREDIST",
    "GEOSEARCHSTORE geo geo FROMLONLAT 0 0 BYRADIUS 1 km",
    "GEORADIUS geo 15 37 200 km STORE dst",
    "GEORADIUSBYMEMBER geo palermo 200 km STOREDIST dst",
    // Streams.
    "XADD stm * f v",
    "XADD k * f v",
    "XADD k NOMKSTREAM * f v",
    "XADD stm MAXLEN 1 * f v",
    "XADD stm 5-0 f v",
    "XTRIM stm MAXLEN 0",
    "XTRIM stm MAXLEN 5",
    "XTRIM stm MINID 2-0",
    "XDEL stm 1-0",
    "XDEL stm 1-0 2-0",
    "XDEL stm 9-0",
    "XSETID stm 10-0",
    "XGROUP CREATE stm g2 $",
    "XGROUP CREATE k g2 $ MKSTREAM",
    "XGROUP CREATECONSUMER stm grp bob",
    "XGROUP CREATECONSUMER stm grp alice",
    "XGROUP DELCONSUMER stm grp alice",
    "XGROUP DESTROY stm grp",
    "XGROUP DESTROY stm zz",
    "XGROUP SETID stm grp 0",
    "XREADGROUP GROUP grp bob STREAMS stm >",
    "XREADGROUP GROUP grp alice STREAMS stm 0",
    "XREADGROUP GROUP grp alice NOACK STREAMS stm >",
    "XACK stm grp 1-0",
    "XCLAIM stm grp bob 0 1-0",
    "XCLAIM stm grp bob 0 1-0 JUSTID",
    "XAUTOCLAIM stm grp bob 0 0",
    "XREAD STREAMS stm 0",
    // Expiry: a key past its TTL, deleted by the access that finds it.
    "PEXPIRE str 2 ; sleep 15 ; GET str",
    "PEXPIRE lst 2 ; sleep 15 ; LPUSH lst x",
    "SET k v PX 1 ; sleep 15 ; SET k w",
    "PEXPIRE hsh 2 ; sleep 15 ; EXISTS hsh",
    "PEXPIRE set 2 ; sleep 15 ; SADD set z",
    "PEXPIRE zst 2 ; sleep 15 ; ZADD zst 1 z",
    "PEXPIRE str 2 ; sleep 15 ; RENAME num str",
    "PEXPIRE stm 2 ; sleep 15 ; XADD stm * f v",
    "GETEX str PX 2 ; sleep 15 ; APPEND str x",
    "SET k v PXAT 1",
    "SET str v EXAT 1",
    "GETEX str PXAT 1",
    "EXPIRE lst 0",
    "PEXPIRE str 2 ; sleep 15 ; DEL str",
    "PEXPIRE str 2 ; sleep 15 ; SCAN 0 COUNT 100",
    "PEXPIRE str 2 ; sleep 15 ; KEYS *",
    "PEXPIRE hsh 2 ; sleep 15 ; HINCRBY hsh n 1",
    "PEXPIRE ttl 2 ; sleep 15 ; TTL ttl",
    // More shapes: TTLs carried, same-key moves, writes that empty a key.
    "COPY ttl k",
    "RENAME ttl k",
    "RENAME lst1 lst1",
    "LMOVE lst1 lst1 LEFT RIGHT",
    "SMOVE set1 set1 a",
    "LSET lst -1 x",
    "HINCRBY hsh new 1",
    "HSET hsh f v",
    "ZADD zst GT 0 a",
    "ZADD zst LT CH 0 a",
    "ZINTERSTORE zst 2 zst missing",
    "SUNIONSTORE dst missing",
    "SPOP set1 1",
    "SORT lst BY nosort STORE lst",
    "BITOP AND bits missing",
    "PFMERGE k hll",
    "GEOADD geo CH 2.35 48.85 palermo",
    "GEOSEARCHSTORE str geo FROMLONLAT 0 0 BYRADIUS 1 km",
    "XADD stm MAXLEN 0 * f v",
    "XADD k NOMKSTREAM MAXLEN 0 * f v",
    "XCLAIM stm grp bob 0 2-0 FORCE",
    "XDEL stm 1-0 ; XREADGROUP GROUP grp alice STREAMS stm 0",
    "LMPOP 1 lst2 LEFT COUNT 2",
    "ZMPOP 1 zst MAX COUNT 3",
    "SINTERCARD 2 set set2",
    "LPOS lst b",
    // Eviction: only the key with a TTL can go (volatile-ttl).
    "CONFIG SET maxmemory-policy volatile-ttl ; CONFIG SET maxmemory 1 ; !SET x y ; \
     CONFIG SET maxmemory 0 ; CONFIG SET maxmemory-policy noeviction",
    // Eviction: every key goes (maxmemory 1), in a random order.
    "~CONFIG SET maxmemory-policy allkeys-random ; CONFIG SET maxmemory 1 ; !SET x y ; \
     CONFIG SET maxmemory 0 ; CONFIG SET maxmemory-policy noeviction",
    // Transactions and scripts.
    "MULTI ; SET a 1 ; LPUSH l x ; DEL str ; EXEC",
    "EVAL \"redis.call('set','a','1') redis.call('del','lst')\" 0",
];

/// Commands the key-miss phase leaves alone (its first word, or `name|sub`).
const KEYMISS_EXCLUDED: &[&str] = &[
    "shutdown",
    "quit",
    "reset",
    "monitor",
    "subscribe",
    "psubscribe",
    "ssubscribe",
    "unsubscribe",
    "punsubscribe",
    "sunsubscribe",
    "sync",
    "psync",
    "replconf",
    "replicaof",
    "slaveof",
    "failover",
    "debug",
    "module",
    "client",
    "bgsave",
    "bgrewriteaof",
    "save",
    "flushall",
    "flushdb",
    "hello",
    "migrate",
];

/// The key-miss calls: every shared command with `missing` as its first
/// key, alone, followed by junk or by numbers.
fn keymiss_cases(moat: &Frame, redis: &Frame) -> Vec<String> {
    let ours = table(moat);
    let theirs = table(redis);
    let junk = ["x", "-1", "0", "1.5", "abc"];
    let numbers = ["1", "2", "3", "4"];
    let mut out = BTreeSet::new();
    for (name, entry) in &ours {
        let command = name.split('|').next().unwrap_or_default();
        if !theirs.contains_key(name)
            || KEYMISS_EXCLUDED.contains(&command)
            || KEYMISS_EXCLUDED.contains(&name.as_str())
        {
            continue;
        }
        let Some(place) = key_place(entry) else {
            continue;
        };
        let prefix: Vec<String> = name.split('|').map(|s| s.to_ascii_uppercase()).collect();
        let Some(base) = with_key(&prefix, &place, "missing") else {
            continue;
        };
        let mut lists = Vec::new();
        for n in 0..=junk.len() {
            lists.push(
                base.iter()
                    .cloned()
                    .chain(junk[..n].iter().map(|s| s.to_string())),
            );
        }
        let mut lists: Vec<Vec<String>> = lists.into_iter().map(|l| l.collect()).collect();
        for n in 1..=numbers.len() {
            lists.push(
                base.iter()
                    .cloned()
                    .chain(numbers[..n].iter().map(|s| s.to_string()))
                    .collect(),
            );
        }
        for mut args in lists {
            short_timeout(name, &mut args);
            // The marker and the phase's own settings are not for calls.
            if args.iter().any(|a| a.contains(';')) {
                continue;
            }
            out.insert(format!("!{}", args.join(" ")));
        }
    }
    out.into_iter().collect()
}

/// Splits a command line into arguments: words, `'…'` and `"…"` quoted.
fn split(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = line.trim().chars().peekable();
    while let Some(&c) = chars.peek() {
        if c == ' ' {
            chars.next();
            continue;
        }
        let mut word = String::new();
        if c == '\'' || c == '"' {
            chars.next();
            for c2 in chars.by_ref() {
                if c2 == c {
                    break;
                }
                word.push(c2);
            }
        } else {
            while let Some(&c2) = chars.peek() {
                if c2 == ' ' {
                    break;
                }
                word.push(c2);
                chars.next();
            }
        }
        out.push(word);
    }
    out
}

/// A phase: the `notify-keyspace-events` classes, the marker command and
/// the event its keyevent message has.
struct Phase {
    name: &'static str,
    flags: &'static str,
    marker: &'static str,
    fixture: bool,
}

const PHASES: &[Phase] = &[
    Phase {
        name: "KEA",
        flags: "KEA",
        marker: "SET __marker__ x",
        fixture: true,
    },
    Phase {
        name: "KEAn",
        flags: "KEAn",
        marker: "SET __marker__ x",
        fixture: true,
    },
    Phase {
        name: "KEm",
        flags: "KEm",
        marker: "GET __marker__",
        fixture: false,
    },
    Phase {
        name: "KEm",
        flags: "KEm",
        marker: "GET __marker__",
        fixture: true,
    },
];

/// What one case produced: the messages, and the replies that were errors
/// where the case did not allow one.
#[derive(Debug, Default)]
struct Outcome {
    messages: Vec<String>,
    errors: Vec<String>,
}

struct Side {
    server: ServerProcess,
    client: Client,
    events: Client,
}

fn connect(server: &ServerProcess) -> Client {
    let mut client = server.client().expect("connect");
    client.set_timeout(Duration::from_secs(5)).expect("timeout");
    client
}

fn subscriber(server: &ServerProcess) -> Client {
    let mut events = connect(server);
    events.set_timeout(Duration::from_secs(2)).expect("timeout");
    let reply = events
        .call(&["PSUBSCRIBE", "__key*__:*"])
        .expect("PSUBSCRIBE");
    assert_eq!(items(&reply).len(), 3, "PSUBSCRIBE: {reply:?}");
    events
}

fn shown(frame: &Frame) -> String {
    match frame {
        Frame::Bulk(b) | Frame::Simple(b) | Frame::Error(b) => {
            String::from_utf8_lossy(b).into_owned()
        }
        other => format!("{other:?}"),
    }
}

impl Side {
    fn start(builder: ServerBuilder) -> Side {
        let server = builder
            .args(["--notify-keyspace-events", "KEA"])
            .args(["--enable-debug-command", "yes"])
            .start()
            .expect("server starts");
        let mut client = connect(&server);
        // Keys past their TTL go when a command finds them, not in
        // between (KEYS does not delete them).
        let reply = client
            .call(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"])
            .expect("DEBUG");
        assert_eq!(reply, Frame::Simple("OK".into()), "DEBUG SET-ACTIVE-EXPIRE");
        let events = subscriber(&server);
        Side {
            server,
            client,
            events,
        }
    }

    fn call(&mut self, args: &[Vec<u8>]) -> Frame {
        match self.client.call(args) {
            Ok(frame) => frame,
            Err(error) => {
                self.client = connect(&self.server);
                Frame::Error(format!("<connection: {error}>").into())
            }
        }
    }

    /// Reads messages up to the marker's keyevent message, leaving out
    /// the marker key's own.
    fn until_marker(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        loop {
            let frame = match self.events.read_frame() {
                Ok(frame) => frame,
                Err(error) => {
                    // A lost marker: start over on a new subscription.
                    self.events = subscriber(&self.server);
                    out.push(format!("<no marker: {error}>"));
                    return out;
                }
            };
            let parts: Vec<String> = items(&frame).iter().filter_map(text).collect();
            let [kind, _, channel, message] = parts.as_slice() else {
                panic!("not a pmessage: {frame:?}");
            };
            assert_eq!(kind, "pmessage");
            if message == "__marker__" || channel.ends_with(":__marker__") {
                if channel.starts_with("__keyevent@")
                    && (channel.ends_with("__:set") || channel.ends_with("__:keymiss"))
                {
                    return out;
                }
                continue;
            }
            out.push(format!("{channel} {message}"));
        }
    }

    fn run(&mut self, phase: &Phase, case: &str) -> Outcome {
        let marker: Vec<Vec<u8>> = split(phase.marker)
            .into_iter()
            .map(String::into_bytes)
            .collect();
        let mut reset: Vec<Vec<Vec<u8>>> =
            vec![vec![b"RESET".to_vec()], vec![b"FLUSHALL".to_vec()]];
        if phase.fixture {
            for command in FIXTURE {
                reset.push(split(command).into_iter().map(String::into_bytes).collect());
            }
        }
        reset.push(marker.clone());
        let mut batch = Vec::new();
        for command in &reset {
            batch.extend(moat_testkit::encode_command(command));
        }
        self.client.send_raw(&batch).expect("send");
        for command in &reset {
            let reply = self.client.read_frame().expect("fixture reply");
            assert!(
                !matches!(reply, Frame::Error(_)) || command == &marker,
                "fixture {command:?}: {reply:?}"
            );
        }
        self.until_marker();
        let mut outcome = Outcome::default();
        let random = case.starts_with('~');
        let case = case.strip_prefix('~').unwrap_or(case);
        for command in case.split(" ; ") {
            let command = command.trim();
            if let Some(ms) = command.strip_prefix("sleep ") {
                std::thread::sleep(Duration::from_millis(ms.parse().expect("sleep ms")));
                continue;
            }
            let (may_fail, command) = match command.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, command),
            };
            let mut args = Vec::new();
            for word in split(command) {
                match word.strip_prefix("$DUMP:") {
                    Some(key) => {
                        let dump = self.call(&[b"DUMP".to_vec(), key.as_bytes().to_vec()]);
                        let Frame::Bulk(payload) = dump else {
                            panic!("DUMP {key}: {dump:?}");
                        };
                        args.push(payload.to_vec());
                    }
                    None => args.push(word.into_bytes()),
                }
            }
            let reply = self.call(&args);
            if matches!(reply, Frame::Error(_)) && !may_fail {
                outcome.errors.push(format!("{command}: {}", shown(&reply)));
            }
        }
        let reply = self.call(&marker);
        assert!(
            !matches!(reply, Frame::Error(_)),
            "marker after {case}: {reply:?}"
        );
        outcome.messages = self.until_marker();
        if random {
            outcome.messages.sort();
        }
        outcome
    }

    fn run_all(&mut self, phases: &[(usize, Vec<String>)]) -> Vec<Vec<Outcome>> {
        phases
            .iter()
            .map(|(phase, cases)| {
                let phase = &PHASES[*phase];
                let reply = self
                    .client
                    .call(&["CONFIG", "SET", "notify-keyspace-events", phase.flags])
                    .expect("CONFIG SET");
                assert_eq!(reply, Frame::Simple("OK".into()), "{}", phase.flags);
                cases.iter().map(|case| self.run(phase, case)).collect()
            })
            .collect()
    }
}

#[test]
fn notifications_match_redis() {
    let Some(redis) = reference::redis_server() else {
        return;
    };
    let started = Instant::now();
    let mut moat = Side::start(moat_server(option_env!("CARGO_BIN_EXE_moat-server")));
    let mut redis = Side::start(ServerBuilder::new(redis));
    let moat_table = moat.client.call(&["COMMAND"]).expect("COMMAND");
    let redis_table = redis.client.call(&["COMMAND"]).expect("COMMAND");
    let only = std::env::var("MOAT_NOTIFY_ONLY").unwrap_or_default();
    let writes: Vec<String> = WRITES
        .iter()
        .map(|s| s.to_string())
        .filter(|case| only.is_empty() || case.contains(&only))
        .collect();
    let keymiss: Vec<String> = keymiss_cases(&moat_table, &redis_table)
        .into_iter()
        .filter(|case| only.is_empty() || case.contains(&only))
        .collect();
    let phases = vec![
        (0, writes.clone()),
        (1, writes.clone()),
        (2, keymiss),
        (3, writes),
    ];
    let (ours, theirs) = std::thread::scope(|scope| {
        let ours = scope.spawn(|| moat.run_all(&phases));
        let theirs = scope.spawn(|| redis.run_all(&phases));
        (
            ours.join().expect("moat side"),
            theirs.join().expect("redis side"),
        )
    });
    let mut report = Vec::new();
    let mut table_errors = Vec::new();
    let mut used = BTreeSet::new();
    let mut count = 0;
    // MOAT_NOTIFY_SHOW=1 prints every case's messages.
    let show = std::env::var("MOAT_NOTIFY_SHOW").is_ok_and(|v| v == "1");
    for (((phase, cases), ours), theirs) in phases.iter().zip(ours).zip(theirs) {
        let phase = &PHASES[*phase];
        for ((case, ours), theirs) in cases.iter().zip(ours).zip(theirs) {
            count += 1;
            for error in &theirs.errors {
                table_errors.push(format!("[{}] {case}: reference error {error}", phase.name));
            }
            let accepted = NOTIFICATION_DIFFERENCES
                .iter()
                .find(|d| d.flags == phase.name && d.case == case);
            if let Some(accepted) = accepted {
                used.insert((accepted.flags, accepted.case));
                continue;
            }
            if show {
                println!("[{}] {case}: {:?}", phase.name, theirs.messages);
            }
            if ours.messages == theirs.messages && ours.errors == theirs.errors {
                continue;
            }
            let mut line = format!(
                "[{}] {case}:\n  moat:  {:?}\n  redis: {:?}",
                phase.name, ours.messages, theirs.messages
            );
            if ours.errors != theirs.errors {
                line.push_str(&format!(
                    "\n  errors, moat:  {:?}\n  errors, redis: {:?}",
                    ours.errors, theirs.errors
                ));
            }
            report.push(line);
        }
    }
    if only.is_empty() {
        for d in NOTIFICATION_DIFFERENCES {
            assert!(
                used.contains(&(d.flags, d.case)),
                "notification difference without a case: [{}] {}",
                d.flags,
                d.case
            );
        }
    }
    println!("{count} cases in {:?}", started.elapsed());
    for line in table_errors.iter().chain(&report) {
        println!("{line}");
    }
    assert!(
        table_errors.is_empty(),
        "cases failing on the reference:\n{}",
        table_errors.join("\n")
    );
    assert!(
        report.is_empty(),
        "{} of {count} cases differ:\n{}",
        report.len(),
        report.join("\n")
    );
}
