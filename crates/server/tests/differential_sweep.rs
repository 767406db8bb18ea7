//! The error paths of every command, swept against the reference
//! redis-server.
//!
//! For every command (and subcommand) that both moat and the reference
//! know, except the [`EXCLUDED`] ones, the sweep generates argument lists:
//! none; one to five junk arguments; numeric fillers; and a key of every
//! type (and a missing one) where the command's first key goes, alone or
//! followed by junk or by numeric fillers. Each call runs on a fresh
//! dataset: one pipelined batch of `RESET`, `FLUSHALL`, the [`FIXTURE`],
//! the call, then `TYPE` of every fixture key and `DBSIZE`. The call's reply
//! (normalised by the testkit's accepted differences, random picks reduced
//! to their shape) and what it left behind are compared.
//!
//! Calls where Redis 7.2 (which moat follows) answers otherwise than the
//! 7.0.15 reference are in the testkit's `SWEEP_DIFFERENCES`; differences
//! whose fix lies outside the data commands are listed there too.
//!
//! The same calls run in several contexts, one test each (see [`Context`]):
//! plain on RESP2; on RESP3 (replies compared as RESP3 frames, and byte for
//! byte where no accepted difference rewrote them); queued as `MULTI`, the
//! call, `EXEC`; and from Lua (`redis.pcall`), with the key in ARGV, in
//! KEYS, and with `redis.setresp(3)` on a RESP3 connection. An accepted
//! difference or exclusion names the context it is for (`SweepContext`).
//!
//! `MOAT_SWEEP_ONLY=<command>` (or `<command>|<subcommand>`) runs the calls
//! of one command, in every context.

mod command_table;

use bytes::BytesMut;
use command_table::{key_place, short_timeout, table, with_key, KeyPlace};
use moat_resp::{decode_frame, Frame};
use moat_testkit::accepted_differences::{
    normalise, SweepContext, SweepDifference, SWEEP_DIFFERENCES,
};
use moat_testkit::{moat_server, reference, Client, ServerBuilder, ServerProcess};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// One key of every type, under names no junk argument uses.
const FIXTURE: &[&str] = &[
    "SET str hello",
    "RPUSH lst a b c",
    "HSET hsh f v n 5",
    "SADD set a b c",
    "ZADD zst 1 a 2 b 3 c",
    "XADD stm 1-0 f v",
    "XGROUP CREATE stm grp 0",
];

/// The keys put in a command's key position: one of every type, and a
/// missing one.
const KEYS: &[&str] = &["str", "lst", "hsh", "set", "zst", "stm", "missing"];

const NUMBERS: &[&str] = &["1", "2", "3", "4"];

fn junk() -> Vec<String> {
    ["x", "-1", "0", "1.5", "abc"]
        .iter()
        .map(|s| s.to_string())
        .chain(std::iter::once("j".repeat(200)))
        .collect()
}

/// Commands and calls the sweep leaves alone, with the reason: the
/// `args` pattern (as in [`SweepDifference`]) `..` excludes every call.
const EXCLUDED: &[SweepDifference] = &[
    excluded("shutdown", "..", "stops the server"),
    excluded("quit", "..", "closes the connection"),
    excluded("reset", "..", "the sweep's own per-call reset"),
    excluded("monitor", "..", "turns the connection into a monitor"),
    excluded("subscribe", "..", "enters pub/sub mode"),
    excluded("psubscribe", "..", "enters pub/sub mode"),
    excluded("ssubscribe", "..", "enters pub/sub mode"),
    excluded("unsubscribe", "..", "pub/sub family (pushes)"),
    excluded("punsubscribe", "..", "pub/sub family (pushes)"),
    excluded("sunsubscribe", "..", "pub/sub family (pushes)"),
    excluded("sync", "..", "starts a replication stream"),
    excluded("psync", "..", "starts a replication stream"),
    excluded("replconf", "..", "replication handshake of a replica"),
    excluded("replicaof", "..", "would make the server a replica"),
    excluded("slaveof", "..", "would make the server a replica"),
    excluded("failover", "..", "replication failover"),
    excluded("debug", "..", "can crash, sleep or reconfigure the server"),
    excluded("module", "..", "loads code"),
    excluded("client|kill", "..", "could kill the sweep's connection"),
    excluded("client|pause", "..", "would pause the server"),
    excluded(
        "client|reply",
        "..",
        "would silence the replies the sweep reads",
    ),
    excluded(
        "client|list",
        "..",
        "ids, addresses, ages: process-dependent",
    ),
    excluded(
        "client|info",
        "..",
        "ids, addresses, ages: process-dependent",
    ),
    excluded("bgsave", "..", "forks a save"),
    excluded("bgrewriteaof", "..", "forks a rewrite"),
    excluded("save", "..", "writes a dump"),
    excluded("flushall", "..", "part of the fixture reset"),
    excluded("flushdb", "..", "part of the fixture reset"),
    excluded("time", "..", "the clock"),
    excluded("lastsave", "..", "the clock"),
    excluded("info", "..", "process statistics"),
    excluded("memory", "..", "allocator-dependent sizes and statistics"),
    excluded("latency", "..", "measured latencies"),
    excluded("slowlog", "..", "measured durations"),
    excluded("acl|log", "..", "ages and client details"),
    excluded("acl|genpass", "..", "random"),
    excluded(
        "hello",
        "..",
        "changes protocol; reply holds version and ids",
    ),
    excluded("lolwut", "..", "prints the server version"),
    excluded(
        "command",
        "",
        "COMMAND of everything: moat has 7.2's and JSON's",
    ),
    excluded("command|docs", "", "DOCS of everything (7.2's table)"),
    excluded("command|info", "", "INFO of everything (7.2's table)"),
    excluded(
        "scan",
        "1",
        "a non-zero cursor names a hash-table bucket: what it returns depends on the \
         table's layout (SCAN 1 with more arguments is swept)",
    ),
];

const fn excluded(
    command: &'static str,
    args: &'static str,
    reason: &'static str,
) -> SweepDifference {
    excluded_in(SweepContext::Any, command, args, reason)
}

const fn excluded_in(
    context: SweepContext,
    command: &'static str,
    args: &'static str,
    reason: &'static str,
) -> SweepDifference {
    SweepDifference {
        command,
        args,
        context,
        reason,
    }
}

/// True when `pattern` (see [`SweepDifference::args`]) matches `args`.
fn args_match(pattern: &str, args: &[String]) -> bool {
    let words: Vec<&str> = pattern.split_whitespace().collect();
    let mut i = 0;
    for (n, word) in words.iter().enumerate() {
        if *word == ".." && n == words.len() - 1 {
            return true;
        }
        let Some(arg) = args.get(i) else {
            return false;
        };
        if *word != "*" && !word.eq_ignore_ascii_case(arg) {
            return false;
        }
        i += 1;
    }
    i == args.len()
}

/// True when the exclusion `e` covers this call: its command's, or (with
/// `..`) every call of a command's subcommands too.
fn excludes(e: &SweepDifference, name: &str, rest: &[String]) -> bool {
    (e.command == name && args_match(e.args, rest))
        || (e.args == ".."
            && name
                .strip_prefix(e.command)
                .is_some_and(|s| s.starts_with('|')))
}

/// One command or subcommand to sweep.
struct Target {
    /// `name` or `name|sub`.
    name: String,
    /// `[NAME]` or `[NAME, SUB]`.
    prefix: Vec<String>,
    /// The first key spec: how to put a key in place.
    key: Option<KeyPlace>,
}

/// One generated call.
struct Call {
    target: usize,
    args: Vec<String>,
    /// The index in `args` of the key put in the first key spec's place.
    key_at: Option<usize>,
}

impl Call {
    /// The arguments after the command (and subcommand).
    fn rest<'a>(&'a self, targets: &[Target]) -> &'a [String] {
        &self.args[targets[self.target].prefix.len()..]
    }
}

fn targets(moat: &Frame, redis: &Frame) -> Vec<Target> {
    let ours = table(moat);
    let theirs = table(redis);
    let mut out = Vec::new();
    for (name, entry) in &ours {
        if !theirs.contains_key(name) {
            continue;
        }
        let prefix: Vec<String> = name.split('|').map(|s| s.to_ascii_uppercase()).collect();
        out.push(Target {
            name: name.clone(),
            prefix,
            key: key_place(entry),
        });
    }
    out
}

fn with_target_key(target: &Target, key: &str) -> Option<Vec<String>> {
    with_key(&target.prefix, target.key.as_ref()?, key)
}

/// `args` followed by the first `n` numeric fillers.
fn numbered(args: &[String], n: usize) -> Vec<String> {
    args.iter()
        .cloned()
        .chain(NUMBERS[..n].iter().map(|s| s.to_string()))
        .collect()
}

fn calls(targets: &[Target], only: &str) -> Vec<Call> {
    let junk = junk();
    let mut out = Vec::new();
    for (index, target) in targets.iter().enumerate() {
        let command = target.name.split('|').next().unwrap_or_default();
        if !only.is_empty()
            && !only.eq_ignore_ascii_case(command)
            && !only.eq_ignore_ascii_case(&target.name)
        {
            continue;
        }
        let mut lists: Vec<Vec<String>> = Vec::new();
        for n in 0..=junk.len() {
            lists.push(target.prefix.iter().chain(&junk[..n]).cloned().collect());
        }
        for n in 1..=NUMBERS.len() {
            lists.push(numbered(&target.prefix, n));
        }
        let keyless = lists.len();
        let mut key_at = None;
        for key in KEYS {
            let Some(base) = with_target_key(target, key) else {
                break;
            };
            key_at = Some(base.len() - 1);
            for n in 0..=junk.len() {
                lists.push(base.iter().chain(&junk[..n]).cloned().collect());
            }
            for n in 1..=NUMBERS.len() {
                lists.push(numbered(&base, n));
            }
        }
        let mut seen = BTreeSet::new();
        for (n, mut args) in lists.into_iter().enumerate() {
            short_timeout(&target.name, &mut args);
            let rest = &args[target.prefix.len()..];
            if EXCLUDED
                .iter()
                .any(|e| e.context == SweepContext::Any && excludes(e, &target.name, rest))
            {
                continue;
            }
            if seen.insert(args.clone()) {
                out.push(Call {
                    target: index,
                    args,
                    key_at: key_at.filter(|_| n >= keyless),
                });
            }
        }
    }
    out
}

/// How a call is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    /// As it is, on a RESP2 connection.
    Plain,
    /// As it is, on a RESP3 connection (`HELLO 3` after the reset).
    Resp3,
    /// `MULTI`, the call, `EXEC`.
    Multi,
    /// `EVAL "return redis.pcall(unpack(ARGV))" 0 <call>`.
    Script,
    /// The key through KEYS: `EVAL <script> 1 <key> <call without the key>`,
    /// the script putting `KEYS[1]` back in its place. Calls with a key only.
    ScriptKeys,
    /// On a RESP3 connection, `EVAL "redis.setresp(3) return
    /// redis.pcall(unpack(ARGV))" 0 <call>`: the replies go to Lua and back
    /// as RESP3 types (maps, sets, doubles, booleans, big numbers...).
    ScriptResp3,
}

/// The script of [`Context::Script`].
const SCRIPT: &str = "return redis.pcall(unpack(ARGV))";

/// The script of [`Context::ScriptResp3`].
const SCRIPT_RESP3: &str = "redis.setresp(3) return redis.pcall(unpack(ARGV))";

impl Context {
    /// The accepted differences' context.
    fn accepted(self) -> SweepContext {
        match self {
            Context::Plain => SweepContext::Plain,
            Context::Resp3 => SweepContext::Resp3,
            Context::Multi => SweepContext::Multi,
            Context::Script | Context::ScriptKeys | Context::ScriptResp3 => SweepContext::Script,
        }
    }

    /// The commands that carry `call` in this context; `None` when the
    /// call has no form here.
    fn wire(self, call: &Call) -> Option<Vec<Vec<String>>> {
        let args = call.args.clone();
        Some(match self {
            Context::Plain | Context::Resp3 => vec![args],
            Context::Multi => vec![vec!["MULTI".into()], args, vec!["EXEC".into()]],
            Context::Script | Context::ScriptResp3 => {
                let script = if self == Context::Script {
                    SCRIPT
                } else {
                    SCRIPT_RESP3
                };
                let mut eval = vec!["EVAL".into(), script.into(), "0".into()];
                eval.extend(args);
                vec![eval]
            }
            Context::ScriptKeys => {
                let at = call.key_at?;
                let mut rest = args;
                let key = rest.remove(at);
                let script = if at == 1 {
                    "return redis.pcall(ARGV[1], KEYS[1], unpack(ARGV, 2))".to_string()
                } else {
                    format!(
                        "local a = {{unpack(ARGV)}} table.insert(a, {}, KEYS[1]) \
                         return redis.pcall(unpack(a))",
                        at + 1
                    )
                };
                let mut eval = vec!["EVAL".into(), script, "1".into(), key];
                eval.extend(rest);
                vec![eval]
            }
        })
    }
}

/// A reply as decoded and as sent.
#[derive(Debug, Clone)]
struct Reply {
    frame: Frame,
    raw: Vec<u8>,
}

/// What a call left: the replies of its commands, then `TYPE` of every
/// fixture key and `DBSIZE`.
type Outcome = Vec<Reply>;

fn words(text: &str) -> Vec<&str> {
    text.split_whitespace().collect()
}

struct Side {
    server: ServerProcess,
    client: Client,
    /// Bytes read but not yet decoded.
    pending: BytesMut,
}

impl Side {
    fn start(builder: ServerBuilder) -> Side {
        let server = builder.start().expect("server starts");
        let client = Side::connect(&server);
        Side {
            server,
            client,
            pending: BytesMut::new(),
        }
    }

    fn connect(server: &ServerProcess) -> Client {
        let mut client = server.client().expect("connect");
        // Generous: PFSELFTEST takes two seconds in a debug build on an
        // idle machine, and the suite's other servers load this one.
        client
            .set_timeout(Duration::from_secs(30))
            .expect("timeout");
        client
    }

    fn command_table(&mut self) -> Frame {
        self.client.call(&["COMMAND"]).expect("COMMAND")
    }

    /// The next reply, with the bytes it came in.
    fn read_reply(&mut self) -> moat_testkit::Result<Reply> {
        loop {
            let before = self.pending.len();
            let mut probe = self.pending.clone();
            if let Some(frame) = decode_frame(&mut probe)
                .map_err(|e| moat_testkit::TestkitError::Tool(format!("decode: {e:?}")))?
            {
                let raw = self.pending.split_to(before - probe.len()).to_vec();
                return Ok(Reply { frame, raw });
            }
            let more = self.client.read_raw()?;
            self.pending.extend_from_slice(&more);
        }
    }

    fn run(&mut self, context: Context, wire: &[Vec<String>]) -> Outcome {
        let mut setup_commands: Vec<Vec<&str>> = vec![vec!["RESET"]];
        if matches!(context, Context::Resp3 | Context::ScriptResp3) {
            setup_commands.push(vec!["HELLO", "3"]);
        }
        setup_commands.push(vec!["FLUSHALL"]);
        setup_commands.extend(FIXTURE.iter().map(|c| words(c)));
        let mut batch = Vec::new();
        for command in &setup_commands {
            batch.extend(moat_testkit::encode_command(command));
        }
        for command in wire {
            batch.extend(moat_testkit::encode_command(command));
        }
        for key in KEYS {
            batch.extend(moat_testkit::encode_command(&["TYPE", key]));
        }
        batch.extend(moat_testkit::encode_command(&["DBSIZE"]));
        let setup = setup_commands.len();
        let result = self.client.send_raw(&batch).and_then(|()| {
            let mut replies = Vec::new();
            for _ in 0..setup + wire.len() + KEYS.len() + 1 {
                replies.push(self.read_reply()?);
            }
            Ok(replies)
        });
        match result {
            Ok(mut replies) => {
                for (n, reply) in replies[..setup].iter().enumerate() {
                    assert!(
                        !matches!(reply.frame, Frame::Error(_)),
                        "fixture step {n} before {wire:?}: {:?}",
                        reply.frame
                    );
                }
                replies.split_off(setup)
            }
            Err(error) => {
                self.client = Side::connect(&self.server);
                self.pending.clear();
                let error = Frame::Error(format!("<connection: {error}>").into());
                vec![Reply {
                    frame: error,
                    raw: Vec::new(),
                }]
            }
        }
    }
}

/// A random pick reduced to its shape; other replies through the
/// testkit's accepted differences.
fn normalised(name: &str, args: &[String], reply: Frame) -> Frame {
    let command = name.split('|').next().unwrap_or_default();
    if !matches!(reply, Frame::Error(_))
        && matches!(
            command,
            "randomkey" | "spop" | "srandmember" | "hrandfield" | "zrandmember"
        )
    {
        return match reply {
            Frame::Array(items) | Frame::Set(items) => {
                Frame::Simple(format!("<array of {}>", items.len()).into())
            }
            Frame::Bulk(_) => Frame::Simple("<bulk>".into()),
            other => other,
        };
    }
    let args: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
    normalise(&args, reply)
}

/// The replies of a call in `context` normalised: the call's own reply
/// (alone, inside EXEC's array, or returned by the script) as
/// [`normalised`] makes it, the commands around it by the accepted
/// differences of their own arguments. The flag tells whether nothing
/// changed, so that the bytes as sent can be compared too.
fn normalised_outcome(
    context: Context,
    name: &str,
    call: &Call,
    wire: &[Vec<String>],
    outcome: Outcome,
) -> (Vec<Frame>, bool) {
    let mut untouched = true;
    let mut out = Vec::new();
    for (n, reply) in outcome.into_iter().enumerate() {
        let frame = reply.frame.clone();
        let changed = match (context, n) {
            (Context::Plain | Context::Resp3 | Context::Multi, _) if n < wire.len() => {
                let own = context != Context::Multi || n == 1;
                match frame {
                    f if own => normalised(name, &call.args, f),
                    Frame::Array(items) if n == 2 && items.len() == 1 => Frame::Array(
                        items
                            .into_iter()
                            .map(|f| normalised(name, &call.args, f))
                            .collect(),
                    ),
                    f => f,
                }
            }
            (Context::Script | Context::ScriptKeys | Context::ScriptResp3, 0) => {
                let wire_args: Vec<Vec<u8>> =
                    wire[0].iter().map(|a| a.as_bytes().to_vec()).collect();
                normalise(&wire_args, normalised(name, &call.args, frame))
            }
            _ => frame,
        };
        untouched &= changed == reply.frame;
        out.push(changed);
    }
    (out, untouched)
}

fn shown(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if a.len() > 20 {
                format!("<{} bytes>", a.len())
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs every call in `context` on moat and the reference, both at once,
/// and fails with the calls whose outcomes differ.
fn sweep(context: Context) {
    let Some(redis) = reference::redis_server() else {
        return;
    };
    let started = Instant::now();
    let mut moat = Side::start(moat_server(option_env!("CARGO_BIN_EXE_moat-server")));
    let mut redis = Side::start(ServerBuilder::new(redis));
    let targets = targets(&moat.command_table(), &redis.command_table());
    let only = std::env::var("MOAT_SWEEP_ONLY").unwrap_or_default();
    let calls: Vec<(Call, Vec<Vec<String>>)> = calls(&targets, &only)
        .into_iter()
        .filter(|call| {
            let target = &targets[call.target];
            !EXCLUDED
                .iter()
                .filter(|e| e.context != SweepContext::Any && e.context.covers(context.accepted()))
                .any(|e| excludes(e, &target.name, call.rest(&targets)))
        })
        .filter_map(|call| context.wire(&call).map(|wire| (call, wire)))
        .collect();
    assert!(
        !calls.is_empty() || context == Context::ScriptKeys,
        "no calls for MOAT_SWEEP_ONLY={only}"
    );
    let (ours, theirs) = std::thread::scope(|scope| {
        let ours = scope.spawn(|| {
            calls
                .iter()
                .map(|(_, wire)| moat.run(context, wire))
                .collect::<Vec<_>>()
        });
        let theirs = scope.spawn(|| {
            calls
                .iter()
                .map(|(_, wire)| redis.run(context, wire))
                .collect::<Vec<_>>()
        });
        (
            ours.join().expect("moat side"),
            theirs.join().expect("redis side"),
        )
    });
    let accepted_here = || {
        SWEEP_DIFFERENCES
            .iter()
            .filter(|d| d.context.covers(context.accepted()))
    };
    let mut report = Vec::new();
    let mut used = BTreeSet::new();
    for (((call, wire), ours), theirs) in calls.iter().zip(ours).zip(theirs) {
        let target = &targets[call.target];
        let rest = call.rest(&targets);
        let accepted =
            accepted_here().find(|d| d.command == target.name && args_match(d.args, rest));
        if let Some(accepted) = accepted {
            used.insert((accepted.command, accepted.args, accepted.context));
            continue;
        }
        let raw_ours: Vec<Vec<u8>> = ours.iter().map(|r| r.raw.clone()).collect();
        let raw_theirs: Vec<Vec<u8>> = theirs.iter().map(|r| r.raw.clone()).collect();
        let (ours, ours_untouched) = normalised_outcome(context, &target.name, call, wire, ours);
        let (theirs, theirs_untouched) =
            normalised_outcome(context, &target.name, call, wire, theirs);
        let same_bytes = !(ours_untouched && theirs_untouched) || raw_ours == raw_theirs;
        if ours == theirs && same_bytes {
            continue;
        }
        let replies = wire.len().min(ours.len()).min(theirs.len());
        let mut line = format!(
            "{}:\n  moat:  {:?}\n  redis: {:?}",
            shown(&call.args),
            &ours[..replies],
            &theirs[..replies]
        );
        if ours == theirs {
            let show = |raw: &[Vec<u8>]| String::from_utf8_lossy(&raw.concat()).into_owned();
            line.push_str(&format!(
                "\n  bytes, moat:  {:?}\n  bytes, redis: {:?}",
                show(&raw_ours[..replies]),
                show(&raw_theirs[..replies])
            ));
        }
        if ours.get(replies..) != theirs.get(replies..) {
            line.push_str(&format!(
                "\n  after, moat:  {:?}\n  after, redis: {:?}",
                ours.get(replies..),
                theirs.get(replies..)
            ));
        }
        report.push(line);
    }
    // Every accepted difference meant for this context is met (those for
    // every context on the plain run; the script ones on the first script
    // run only, the KEYS run sending only the calls with a key).
    if only.is_empty() && context != Context::ScriptKeys && context != Context::ScriptResp3 {
        for d in accepted_here() {
            if d.context == SweepContext::Any && context != Context::Plain {
                continue;
            }
            assert!(
                used.contains(&(d.command, d.args, d.context)),
                "sweep difference without a call in {context:?}: {} {}",
                d.command,
                d.args
            );
        }
    }
    println!(
        "{context:?}: {} calls of {} commands and subcommands in {:?}",
        calls.len(),
        targets.len(),
        started.elapsed()
    );
    for line in &report {
        println!("{line}");
    }
    assert!(
        report.is_empty(),
        "{context:?}: {} of {} calls differ:\n{}",
        report.len(),
        calls.len(),
        report.join("\n")
    );
}

#[test]
fn error_paths_match_redis() {
    sweep(Context::Plain);
}

#[test]
fn error_paths_match_redis_on_resp3() {
    sweep(Context::Resp3);
}

#[test]
fn error_paths_match_redis_inside_multi() {
    sweep(Context::Multi);
}

#[test]
fn error_paths_match_redis_from_scripts() {
    sweep(Context::Script);
}

#[test]
fn error_paths_match_redis_from_scripts_with_keys() {
    sweep(Context::ScriptKeys);
}

#[test]
fn error_paths_match_redis_from_resp3_scripts() {
    sweep(Context::ScriptResp3);
}
