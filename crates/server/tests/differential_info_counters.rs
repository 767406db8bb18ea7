//! The deterministic counters of INFO against the reference redis-server.
//!
//! The differential scripts normalise every INFO reply away, so this test
//! is where INFO's numbers are compared: each scenario runs the same
//! commands over real connections on moat and on redis-server, then one
//! `INFO all` from a control connection is reduced to the fields that do
//! not depend on timing (errorstats, commandstats' calls / rejected /
//! failed, the stats counters, keyspace, client counts) and the two are
//! compared. Scenarios that change no configuration share one pair of
//! servers, isolated by FLUSHALL and CONFIG RESETSTAT; the others get a
//! fresh pair with their own directives. Where Redis 7.2 (which moat
//! follows) counts differently from the 7.0.15 reference, the case is in
//! [`ACCEPTED`] with moat's expected value and the reason. When a field
//! differs and Valkey is installed, its value is shown too, as a second
//! opinion on 7.2's behaviour.

use moat_resp::Frame;
use moat_testkit::{moat_server, reference, Client, ServerBuilder, ServerProcess};
use std::collections::BTreeMap;
use std::thread::sleep;
use std::time::{Duration, Instant};

/// Fields of INFO's stats section compared as they are.
const STATS_FIELDS: &[&str] = &[
    "total_connections_received",
    "total_commands_processed",
    "rejected_connections",
    "expired_keys",
    "evicted_keys",
    "keyspace_hits",
    "keyspace_misses",
    "pubsub_channels",
    "pubsub_patterns",
    "pubsubshard_channels",
    "tracking_total_keys",
    "tracking_total_items",
    "tracking_total_prefixes",
    "unexpected_error_replies",
    "total_error_replies",
    "dump_payload_sanitizations",
    "acl_access_denied_auth",
    "acl_access_denied_cmd",
    "acl_access_denied_key",
    "acl_access_denied_channel",
];

/// Fields of INFO's clients section; 7.2's additions are compared only
/// when the reference reports them too.
const CLIENT_FIELDS: &[&str] = &[
    "connected_clients",
    "blocked_clients",
    "pubsub_clients",
    "watching_clients",
    "clients_in_timeout_table",
    "total_blocking_keys",
];

/// Fields Redis 7.2 added, which the 7.0.15 reference lacks: compared
/// with Valkey's (7.2's counting) when Valkey is installed.
const SEVEN_TWO_FIELDS: &[&str] = &[
    "acl_access_denied_auth",
    "acl_access_denied_cmd",
    "acl_access_denied_key",
    "acl_access_denied_channel",
    "total_blocking_keys",
    "pubsub_clients",
    "watching_clients",
];

/// Where moat follows Redis 7.2 and the 7.0.15 reference counts otherwise
/// (listed with the other accepted differences, in the testkit).
use moat_testkit::accepted_differences::INFO_COUNTER_DIFFERENCES as ACCEPTED;

/// Where a scenario runs.
enum Servers {
    /// The shared pair, reset before the scenario.
    Shared,
    /// A fresh pair started with these directives.
    Fresh(&'static [&'static str]),
}

struct Scenario {
    name: &'static str,
    servers: Servers,
    run: fn(&mut Run),
}

/// One scenario's connections to one server, opened on first use (in
/// index order, so `total_connections_received` agrees) and kept open
/// until INFO has been read.
struct Run<'a> {
    server: &'a ServerProcess,
    clients: Vec<Option<Client>>,
    transcript: Vec<String>,
}

impl Run<'_> {
    fn client(&mut self, who: usize) -> &mut Client {
        while self.clients.len() <= who {
            let client = self.server.client().expect("connect");
            self.clients.push(Some(client));
        }
        self.clients[who].as_mut().expect("client still open")
    }

    fn send(&mut self, who: usize, args: &[&str]) {
        self.transcript.push(format!("c{who} > {}", args.join(" ")));
        self.client(who).send(args).expect("send");
    }

    fn read(&mut self, who: usize) -> Frame {
        let frame = self.client(who).read_frame().expect("reply");
        let mut shown = format!("{frame:?}");
        shown.truncate(200);
        self.transcript.push(format!("c{who} < {shown}"));
        frame
    }

    fn call(&mut self, who: usize, args: &[&str]) -> Frame {
        self.send(who, args);
        self.read(who)
    }

    /// Sends raw bytes (protocol errors); the reply is read by the caller.
    fn send_raw(&mut self, who: usize, bytes: &[u8]) {
        self.transcript
            .push(format!("c{who} > raw {:?}", String::from_utf8_lossy(bytes)));
        self.client(who).send_raw(bytes).expect("send");
    }

    /// Closes a connection and waits until the server counted it gone.
    fn close(&mut self, who: usize) {
        self.transcript.push(format!("c{who} closed"));
        self.clients[who] = None;
    }

    /// Lets the server reach a state another connection caused (a client
    /// blocked, a kill) without asking it, which INFO would count.
    fn pause(&mut self, ms: u64) {
        sleep(Duration::from_millis(ms));
    }

    /// `CLIENT ID` of a connection.
    fn id_of(&mut self, who: usize) -> String {
        match self.call(who, &["CLIENT", "ID"]) {
            Frame::Integer(id) => id.to_string(),
            other => panic!("CLIENT ID: {other:?}"),
        }
    }
}

/// What a scenario left in INFO, field by field, and how it got there.
struct Observation {
    fields: BTreeMap<String, String>,
    transcript: Vec<String>,
}

fn info_text(client: &mut Client, section: &str) -> String {
    match client.call(&["INFO", section]).expect("INFO") {
        Frame::Bulk(text) | Frame::Verbatim { text, .. } => {
            String::from_utf8_lossy(&text).into_owned()
        }
        other => panic!("INFO {section}: {other:?}"),
    }
}

fn info_field(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|value| value.trim().parse().ok())
}

/// The deterministic part of an INFO reply.
fn deterministic_fields(text: &str) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    for line in text.lines() {
        let Some((name, value)) = line.trim_end().split_once(':') else {
            continue;
        };
        let kept = if name.starts_with("errorstat_") {
            Some(value.to_string())
        } else if name.starts_with("cmdstat_") {
            Some(command_counts(value))
        } else if name.starts_with("db") && name[2..].chars().all(|c| c.is_ascii_digit()) {
            Some(keyspace_counts(value))
        } else if STATS_FIELDS.contains(&name) || CLIENT_FIELDS.contains(&name) {
            Some(value.to_string())
        } else {
            None
        };
        if let Some(value) = kept {
            fields.insert(name.to_string(), value);
        }
    }
    fields
}

/// `calls=..,rejected_calls=..,failed_calls=..` of a cmdstat line, without
/// the microseconds.
fn command_counts(value: &str) -> String {
    value
        .split(',')
        .filter(|pair| {
            ["calls=", "rejected_calls=", "failed_calls="]
                .iter()
                .any(|name| pair.starts_with(name))
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// A keyspace line, with `avg_ttl` only when no key has a TTL (then it
/// must be 0): otherwise it depends on when Redis's expire cycle sampled.
fn keyspace_counts(value: &str) -> String {
    let no_ttls = value.split(',').any(|pair| pair == "expires=0");
    value
        .split(',')
        .filter(|pair| no_ttls || !pair.starts_with("avg_ttl="))
        .collect::<Vec<_>>()
        .join(",")
}

/// Waits until the scenario connections of the previous run are gone and
/// nothing is blocked, then resets data and statistics.
fn reset_shared(control: &mut Client) {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let clients = info_text(control, "clients");
        let settled = info_field(&clients, "connected_clients") == Some(1)
            && info_field(&clients, "blocked_clients") == Some(0);
        if settled || Instant::now() > deadline {
            break;
        }
        sleep(Duration::from_millis(5));
    }
    for command in [
        &["FLUSHALL"][..],
        &["SCRIPT", "FLUSH"],
        &["FUNCTION", "FLUSH"],
        &["CONFIG", "RESETSTAT"],
    ] {
        let reply = control.call(command).expect("reset");
        assert!(!matches!(reply, Frame::Error(_)), "{command:?}: {reply:?}");
    }
}

/// Runs `scenario` on `server`, whose `control` connection reads INFO.
fn observe(server: &ServerProcess, control: &mut Client, scenario: &Scenario) -> Observation {
    let mut run = Run {
        server,
        clients: Vec::new(),
        transcript: Vec::new(),
    };
    (scenario.run)(&mut run);
    // Whatever the scenario's connections sent has been answered (or, for
    // a blocked client, has arrived): a short pause lets the server settle
    // connections the scenario closed.
    run.pause(30);
    let fields = deterministic_fields(&info_text(control, "all"));
    Observation {
        fields,
        transcript: run.transcript,
    }
}

/// One server kind: how to start it, and its shared instance.
struct Side {
    builder: ServerBuilder,
    shared: ServerProcess,
    control: Client,
}

impl Side {
    fn new(builder: ServerBuilder) -> Side {
        let (shared, control) = start(&builder, &[]);
        Side {
            builder,
            shared,
            control,
        }
    }

    fn observe(&mut self, scenario: &Scenario) -> Observation {
        match scenario.servers {
            Servers::Shared => {
                reset_shared(&mut self.control);
                observe(&self.shared, &mut self.control, scenario)
            }
            Servers::Fresh(args) => {
                let (server, mut control) = start(&self.builder, args);
                observe(&server, &mut control, scenario)
            }
        }
    }
}

fn start(builder: &ServerBuilder, args: &[&str]) -> (ServerProcess, Client) {
    let server = builder.clone().args(args).start().expect("server starts");
    let mut control = server.client().expect("control connection");
    // Under `requirepass` the control connection authenticates (one AUTH
    // more on both servers alike).
    if let Some(at) = args.iter().position(|&arg| arg == "--requirepass") {
        let reply = control.call(&["AUTH", args[at + 1]]).expect("AUTH");
        assert_eq!(reply, Frame::Simple("OK".into()), "control AUTH");
    }
    (server, control)
}

/// The fields where moat and the reference differ, as report lines, with
/// accepted differences checked against moat's expected value. 7.2's
/// fields the reference lacks are compared with Valkey's, if it ran.
fn differences(
    scenario: &str,
    moat: &Observation,
    redis: &Observation,
    valkey: Option<&Observation>,
) -> Vec<String> {
    let names: std::collections::BTreeSet<&String> =
        moat.fields.keys().chain(redis.fields.keys()).collect();
    let mut lines = Vec::new();
    for name in names {
        let ours = moat.fields.get(name);
        let (theirs, whose) = match redis.fields.get(name) {
            None if SEVEN_TWO_FIELDS.contains(&name.as_str()) => match valkey {
                Some(valkey) => (valkey.fields.get(name), "valkey"),
                None => continue,
            },
            theirs => (theirs, "redis"),
        };
        let accepted = ACCEPTED
            .iter()
            .find(|a| a.scenario == scenario && a.field == name);
        let ok = match accepted {
            Some(accepted) => ours.map(String::as_str) == accepted.moat,
            None => ours == theirs,
        };
        if !ok {
            let second_opinion = valkey
                .filter(|_| whose == "redis")
                .map_or(String::new(), |v| {
                    format!(", valkey {:?}", v.fields.get(name))
                });
            lines.push(format!(
                "{name}: moat {ours:?}, {whose} {theirs:?}{second_opinion}{}",
                accepted.map_or(String::new(), |a| format!(
                    " (accepted: moat should be {:?}: {})",
                    a.moat, a.reason
                ))
            ));
        }
    }
    lines
}

#[test]
fn info_counters_match_redis() {
    let Some(redis) = reference::redis_server() else {
        return;
    };
    let mut moat = Side::new(moat_server(option_env!("CARGO_BIN_EXE_moat-server")));
    let mut redis = Side::new(ServerBuilder::new(redis));
    let mut valkey = reference::valkey_server().map(|path| Side::new(ServerBuilder::new(path)));
    let only = std::env::var("MOAT_INFO_ONLY").unwrap_or_default();
    let mut report = Vec::new();
    for scenario in scenarios() {
        if !scenario.name.contains(only.as_str()) {
            continue;
        }
        let ours = moat.observe(&scenario);
        let theirs = redis.observe(&scenario);
        let second = valkey.as_mut().map(|valkey| valkey.observe(&scenario));
        let lines = differences(scenario.name, &ours, &theirs, second.as_ref());
        if lines.is_empty() {
            continue;
        }
        report.push(format!(
            "scenario {}:\n  {}\n  moat transcript:\n    {}\n  redis transcript:\n    {}",
            scenario.name,
            lines.join("\n  "),
            ours.transcript.join("\n    "),
            theirs.transcript.join("\n    "),
        ));
    }
    assert!(report.is_empty(), "{}", report.join("\n\n"));
}

// ---------------------------------------------------------------------
// Scenarios.
// ---------------------------------------------------------------------

fn scenarios() -> Vec<Scenario> {
    use Servers::{Fresh, Shared};
    let s = |name, servers, run| Scenario { name, servers, run };
    vec![
        s("wrong_arity", Shared, wrong_arity),
        s("unknown_command", Shared, unknown_command),
        s("wrongtype", Shared, wrongtype),
        s("option_syntax_errors", Shared, option_syntax_errors),
        s("number_errors", Shared, number_errors),
        s("multi_queued_error_execabort", Shared, multi_queued_error),
        s("multi_arity_rejected", Shared, multi_arity_rejected),
        s("multi_exec_time_errors", Shared, multi_exec_time_errors),
        s("multi_discarded", Shared, multi_discarded),
        s("multi_misuse", Shared, multi_misuse),
        s("watch_aborted_exec", Shared, watch_aborted_exec),
        s("eval_call_error", Shared, eval_call_error),
        s("eval_pcall_error_returned", Shared, eval_pcall_returned),
        s("eval_pcall_error_swallowed", Shared, eval_pcall_swallowed),
        s("eval_error_replies", Shared, eval_error_replies),
        s(
            "eval_error_tables_relayed_or_new",
            Shared,
            eval_error_tables,
        ),
        s("eval_errors_nested_in_replies", Shared, eval_nested_errors),
        s(
            "eval_lib_call_argument_errors",
            Shared,
            eval_argument_errors,
        ),
        s("eval_runtime_errors", Shared, eval_runtime_errors),
        s("eval_call_rejected", Shared, eval_call_rejected),
        s("evalsha_noscript", Shared, evalsha_noscript),
        s("fcall_errors", Shared, fcall_errors),
        s("eval_in_multi", Shared, eval_in_multi),
        s("keyspace_hits_misses", Shared, keyspace_hits_misses),
        s("lazy_expiry", Shared, lazy_expiry),
        s("blpop_timed_out", Shared, blpop_timed_out),
        s("blpop_served", Shared, blpop_served),
        s("blocked_clients_counted", Shared, blocked_clients_counted),
        s("client_kill", Shared, client_kill),
        s("config_resetstat", Shared, config_resetstat),
        s("pubsub_subscriptions", Shared, pubsub_subscriptions),
        s("subcommand_stats", Shared, subcommand_stats),
        s("restore_errors", Shared, restore_errors),
        s("pipelined_errors", Shared, pipelined_errors),
        s("protocol_error", Shared, protocol_error),
        s("select_and_db_counts", Shared, select_and_db_counts),
        s("stream_group_errors", Shared, stream_group_errors),
        s("acl_denials", Fresh(&[]), acl_denials),
        s("acl_denied_inside_script", Fresh(&[]), acl_denied_in_script),
        s("acl_denied_in_multi", Fresh(&[]), acl_denied_in_multi),
        s("acl_recheck_at_exec", Fresh(&[]), acl_recheck_at_exec),
        s(
            "noauth_requirepass",
            Fresh(&["--requirepass", "secret"]),
            noauth,
        ),
        s(
            "oom_rejections",
            Fresh(&["--maxmemory", "1"]),
            oom_rejections,
        ),
        s("evictions", Fresh(&[]), evictions),
        s(
            "rejected_connection",
            Fresh(&["--maxclients", "2"]),
            rejected_connection,
        ),
        s("tracking_tables", Fresh(&[]), tracking_tables),
        s(
            "protected_debug",
            Fresh(&["--enable-debug-command", "no"]),
            protected_debug,
        ),
    ]
}

fn wrong_arity(r: &mut Run) {
    r.call(0, &["GET"]);
    r.call(0, &["SET", "k"]);
    r.call(0, &["HSET", "h", "f"]);
    r.call(0, &["CLIENT"]);
    r.call(0, &["CONFIG", "GET"]);
}

fn unknown_command(r: &mut Run) {
    r.call(0, &["NOSUCHCOMMAND"]);
    r.call(0, &["NOSUCHCOMMAND", "with", "args"]);
    r.call(0, &["CONFIG", "NOSUCH"]);
    r.call(0, &["CLIENT", "NOSUCH", "x"]);
    r.call(0, &["OBJECT", "NOSUCH", "k"]);
}

fn wrongtype(r: &mut Run) {
    r.call(0, &["SET", "s", "v"]);
    r.call(0, &["LPUSH", "s", "x"]);
    r.call(0, &["HGET", "s", "f"]);
    r.call(0, &["SADD", "s", "m"]);
    r.call(0, &["LPUSH", "l", "x"]);
    r.call(0, &["GET", "l"]);
    r.call(0, &["ZSCORE", "l", "m"]);
}

fn option_syntax_errors(r: &mut Run) {
    r.call(0, &["SET", "k", "v", "EX", "0"]);
    r.call(0, &["SET", "k", "v", "NX", "XX"]);
    r.call(0, &["SET", "k", "v", "BOGUS"]);
    r.call(0, &["ZADD", "z", "NX", "XX", "1", "a"]);
    r.call(0, &["ZADD", "z", "GT", "LT", "1", "a"]);
    r.call(0, &["EXPIRE", "k", "abc"]);
    r.call(0, &["GETEX", "k", "PERSIST", "EX", "10"]);
    r.call(0, &["SCAN", "0", "COUNT", "0"]);
    r.call(0, &["LPOS", "l", "x", "RANK", "0"]);
}

fn number_errors(r: &mut Run) {
    r.call(0, &["SET", "n", "abc"]);
    r.call(0, &["INCR", "n"]);
    r.call(0, &["INCRBYFLOAT", "n", "1"]);
    r.call(0, &["SET", "big", "9223372036854775807"]);
    r.call(0, &["INCR", "big"]);
    r.call(0, &["HSET", "h", "f", "x"]);
    r.call(0, &["HINCRBY", "h", "f", "1"]);
    r.call(0, &["LRANGE", "l", "a", "1"]);
}

fn multi_queued_error(r: &mut Run) {
    r.call(0, &["MULTI"]);
    r.call(0, &["SET", "a", "1"]);
    r.call(0, &["NOSUCHCOMMAND"]);
    r.call(0, &["INCR", "a"]);
    r.call(0, &["EXEC"]);
}

fn multi_arity_rejected(r: &mut Run) {
    r.call(0, &["MULTI"]);
    r.call(0, &["GET"]);
    r.call(0, &["CONFIG", "GET"]);
    r.call(0, &["EXEC"]);
}

fn multi_exec_time_errors(r: &mut Run) {
    r.call(0, &["MULTI"]);
    r.call(0, &["SET", "a", "x"]);
    r.call(0, &["LPUSH", "a", "y"]);
    r.call(0, &["INCR", "a"]);
    r.call(0, &["GET", "a"]);
    r.call(0, &["GET", "missing"]);
    r.call(0, &["EXEC"]);
}

fn multi_discarded(r: &mut Run) {
    r.call(0, &["MULTI"]);
    r.call(0, &["SET", "a", "1"]);
    r.call(0, &["GET", "a"]);
    r.call(0, &["DISCARD"]);
    r.call(0, &["DISCARD"]);
}

fn multi_misuse(r: &mut Run) {
    r.call(0, &["EXEC"]);
    r.call(0, &["MULTI"]);
    r.call(0, &["MULTI"]);
    r.call(0, &["WATCH", "k"]);
    r.call(0, &["EXEC"]);
}

fn watch_aborted_exec(r: &mut Run) {
    r.call(0, &["WATCH", "k"]);
    r.call(1, &["SET", "k", "other"]);
    r.call(0, &["MULTI"]);
    r.call(0, &["GET", "k"]);
    r.call(0, &["EXEC"]);
    // One connection left watching when INFO is read.
    r.call(1, &["WATCH", "k", "j"]);
}

fn eval_call_error(r: &mut Run) {
    r.call(0, &["SET", "s", "v"]);
    r.call(
        0,
        &["EVAL", "return redis.call('LPUSH', KEYS[1], 'x')", "1", "s"],
    );
    r.call(0, &["EVAL", "return redis.call('INCR', KEYS[1])", "1", "s"]);
}

fn eval_pcall_returned(r: &mut Run) {
    r.call(0, &["SET", "s", "v"]);
    r.call(
        0,
        &[
            "EVAL",
            "return redis.pcall('LPUSH', KEYS[1], 'x')",
            "1",
            "s",
        ],
    );
}

fn eval_pcall_swallowed(r: &mut Run) {
    r.call(0, &["SET", "s", "v"]);
    r.call(
        0,
        &[
            "EVAL",
            "local e = redis.pcall('INCR', KEYS[1]); return 1",
            "1",
            "s",
        ],
    );
}

fn eval_error_replies(r: &mut Run) {
    r.call(
        0,
        &["EVAL", "return redis.error_reply('MYCODE custom')", "0"],
    );
    r.call(0, &["EVAL", "return {err='OTHER code'}", "0"]);
    r.call(0, &["EVAL", "return redis.error_reply('no code')", "0"]);
    r.call(0, &["EVAL", "return redis.status_reply('FINE')", "0"]);
}

/// A command's error reaches the script as a table marked as counted
/// (`ignore_error_stats_update`): returned or raised as it is, it is not
/// counted again but makes the script's call failed; a new table with
/// the same text, or the mark cleared, counts it a second time.
fn eval_error_tables(r: &mut Run) {
    r.call(0, &["SET", "s", "v"]);
    for script in [
        "local e = redis.pcall('HGET', 's', 'f') return redis.error_reply(e.err)",
        "local e = redis.pcall('HGET', 's', 'f') return {err=e.err}",
        "local e = redis.pcall('HGET', 's', 'f') error(e)",
        "local ok, e = pcall(redis.call, 'HGET', 's', 'f') return e",
        "local e = redis.pcall('HGET', 's', 'f') e.ignore_error_stats_update = nil return e",
        "local e = redis.pcall('HGET', 's', 'f') e.ignore_error_stats_update = false return e",
        "return {err='WRONGTYPE x', ignore_error_stats_update=true}",
        "return {err='WRONGTYPE x', ignore_error_stats_update=1}",
        "error({err='WRONGTYPE y', ignore_error_stats_update=true})",
        "return redis.pcall('NOSUCH')",
        "local e = redis.pcall('NOSUCH') return redis.error_reply(e.err)",
    ] {
        r.call(0, &["EVAL", script, "0"]);
    }
}

/// Error tables inside a script's array (or RESP3 map) reply are counted
/// too, each relay making one more failed call. (The depth limit's error,
/// inside a reply nested too deep for the test client, is in a unit test.)
fn eval_nested_errors(r: &mut Run) {
    r.call(0, &["SET", "s", "v"]);
    for script in [
        "return {redis.pcall('HGET', 's', 'f'), {err='ERR x'}, 5}",
        "return {redis.pcall('HGET', 's', 'f'), redis.pcall('HGET', 's', 'f')}",
        "return {1, {err='MYERR x'}, {err='E2 y'}}",
        "return {{err='E1 a'}, {{err='E2 b'}}}",
        "redis.setresp(3) return {map={a={err='E3 z'}}}",
    ] {
        r.call(0, &["EVAL", script, "0"]);
    }
}

/// Errors of the Lua API's own argument checks never reached a command:
/// they are the script's, counted when it returns or raises them.
fn eval_argument_errors(r: &mut Run) {
    for script in [
        "return redis.pcall()",
        "redis.call()",
        "local e = redis.pcall() return e",
        "return redis.pcall({})",
        "return redis.acl_check_cmd('nosuch')",
        "redis.setresp(4)",
        "pairs(5)",
        "return {pcall(rawget, 5)}",
    ] {
        r.call(0, &["EVAL", script, "0"]);
    }
}

fn eval_runtime_errors(r: &mut Run) {
    r.call(0, &["EVAL", "error('boom')", "0"]);
    r.call(0, &["EVAL", "return x.y", "0"]);
    r.call(0, &["EVAL", "return +", "0"]);
    r.call(0, &["EVAL", "return 1", "notanumber"]);
    r.call(0, &["EVAL", "return 1", "2", "onlyone"]);
}

fn eval_call_rejected(r: &mut Run) {
    r.call(0, &["EVAL", "return redis.call('NOSUCH')", "0"]);
    r.call(0, &["EVAL", "return redis.call('GET')", "0"]);
    r.call(0, &["EVAL", "return redis.call('MULTI')", "0"]);
    r.call(
        0,
        &[
            "EVAL_RO",
            "return redis.call('SET', KEYS[1], 'v')",
            "1",
            "k",
        ],
    );
    r.call(
        0,
        &["EVAL", "local ok = pcall(redis.call, 'GET'); return 2", "0"],
    );
}

fn evalsha_noscript(r: &mut Run) {
    let sha = "0123456789abcdef0123456789abcdef01234567";
    r.call(0, &["EVALSHA", sha, "0"]);
    r.call(0, &["EVALSHA_RO", sha, "0"]);
    r.call(0, &["SCRIPT", "LOAD", "return 1"]);
    r.call(
        0,
        &["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
    );
}

const LIBRARY: &str = "#!lua name=statslib\n\
    redis.register_function('incr_it', function(keys, args) return redis.call('INCR', keys[1]) end)\n\
    redis.register_function('safe', function(keys, args) return redis.pcall('INCR', keys[1]) end)\n\
    redis.register_function{function_name='ro', callback=function(keys, args) return redis.call('SET', keys[1], 'v') end, flags={'no-writes'}}";

fn fcall_errors(r: &mut Run) {
    r.call(0, &["FUNCTION", "LOAD", LIBRARY]);
    r.call(0, &["FUNCTION", "LOAD", LIBRARY]);
    r.call(0, &["FUNCTION", "LOAD", "#!lua name=bad\nreturn +"]);
    r.call(0, &["SET", "s", "v"]);
    r.call(0, &["FCALL", "incr_it", "1", "s"]);
    r.call(0, &["FCALL", "safe", "1", "s"]);
    r.call(0, &["FCALL", "ro", "1", "s"]);
    r.call(0, &["FCALL_RO", "incr_it", "1", "s"]);
    r.call(0, &["FCALL", "missing", "0"]);
    r.call(0, &["FCALL", "incr_it", "1", "n"]);
}

fn eval_in_multi(r: &mut Run) {
    r.call(0, &["SET", "s", "v"]);
    r.call(0, &["MULTI"]);
    r.call(0, &["EVAL", "return redis.call('INCR', KEYS[1])", "1", "s"]);
    r.call(
        0,
        &["EVAL", "return redis.pcall('INCR', KEYS[1])", "1", "s"],
    );
    r.call(0, &["EVAL", "return 1", "0"]);
    r.call(0, &["EXEC"]);
}

fn keyspace_hits_misses(r: &mut Run) {
    r.call(0, &["SET", "a", "1"]);
    r.call(0, &["GET", "a"]);
    r.call(0, &["GET", "b"]);
    r.call(0, &["MGET", "a", "b", "c", "a"]);
    r.call(0, &["EXISTS", "a", "b"]);
    r.call(0, &["TYPE", "a"]);
    r.call(0, &["TYPE", "nothing"]);
    r.call(0, &["HSET", "h", "f", "v"]);
    r.call(0, &["HGET", "h", "f"]);
    r.call(0, &["HGET", "h", "g"]);
    r.call(0, &["HGET", "nohash", "f"]);
    r.call(0, &["RPUSH", "l", "1", "2"]);
    r.call(0, &["LRANGE", "l", "0", "-1"]);
    r.call(0, &["LRANGE", "nolist", "0", "-1"]);
    r.call(0, &["STRLEN", "a"]);
    r.call(0, &["SCARD", "noset"]);
    r.call(0, &["HGETALL", "h"]);
    r.call(0, &["TTL", "a"]);
    r.call(0, &["DEL", "a", "zz"]);
    r.call(0, &["INCR", "counter"]);
    r.call(0, &["APPEND", "a", "x"]);
    r.call(0, &["GETDEL", "nothing"]);
    r.call(0, &["OBJECT", "ENCODING", "h"]);
    r.call(0, &["DUMP", "l"]);
    r.call(0, &["SORT", "l"]);
}

fn lazy_expiry(r: &mut Run) {
    r.call(0, &["SET", "e", "1", "PX", "1"]);
    r.call(0, &["SET", "f", "1", "PX", "1"]);
    r.call(0, &["SET", "kept", "v", "EX", "1000"]);
    r.call(0, &["SET", "plain", "v"]);
    r.pause(20);
    r.call(0, &["GET", "e"]);
    r.call(0, &["EXISTS", "f"]);
}

fn blpop_timed_out(r: &mut Run) {
    r.call(0, &["BLPOP", "nolist", "0.05"]);
    r.call(0, &["BZPOPMIN", "nozset", "0.01"]);
}

fn blpop_served(r: &mut Run) {
    r.send(0, &["BLPOP", "q", "0"]);
    r.pause(50);
    r.call(1, &["LPUSH", "q", "v"]);
    r.read(0);
    r.send(0, &["BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"]);
    r.pause(50);
    r.call(1, &["RPUSH", "src", "a", "b"]);
    r.read(0);
}

fn blocked_clients_counted(r: &mut Run) {
    r.send(0, &["BLPOP", "q1", "q2", "0"]);
    r.send(1, &["BZPOPMIN", "z", "100"]);
    r.send(2, &["BLPOP", "q1", "0"]);
    r.pause(50);
}

fn client_kill(r: &mut Run) {
    let id = r.id_of(1);
    r.call(0, &["CLIENT", "KILL", "ID", &id]);
    r.call(0, &["CLIENT", "KILL", "ID", "999999"]);
    r.call(0, &["CLIENT", "KILL", "BOGUS", "x"]);
    r.call(0, &["CLIENT", "KILL", "127.0.0.1:1"]);
    r.pause(30);
    // A killed client's next request finds the connection closed.
    r.close(1);
}

fn config_resetstat(r: &mut Run) {
    r.call(0, &["SET", "a", "1"]);
    r.call(0, &["GET", "a"]);
    r.call(0, &["GET", "missing"]);
    r.call(0, &["LPUSH", "a", "x"]);
    r.call(0, &["NOSUCH"]);
    r.call(1, &["SUBSCRIBE", "ch"]);
    r.call(0, &["CONFIG", "RESETSTAT"]);
    r.call(0, &["GET", "a"]);
    r.call(0, &["INCR", "a"]);
}

fn pubsub_subscriptions(r: &mut Run) {
    r.send(0, &["SUBSCRIBE", "c1", "c2"]);
    r.read(0);
    r.read(0);
    r.call(1, &["PSUBSCRIBE", "p*"]);
    r.call(2, &["SSUBSCRIBE", "s1"]);
    r.call(3, &["PUBLISH", "c1", "hello"]);
    r.read(0);
    r.call(3, &["PUBLISH", "pattern", "hello"]);
    r.read(1);
    r.call(3, &["SPUBLISH", "s1", "hello"]);
    r.read(2);
    r.call(3, &["PUBSUB", "NUMSUB", "c1", "c9"]);
    // A RESP2 subscriber may not run other commands.
    r.call(0, &["GET", "k"]);
    r.call(0, &["PING"]);
    r.send(0, &["UNSUBSCRIBE", "c2"]);
    r.read(0);
    r.call(1, &["PUNSUBSCRIBE", "nosuch*"]);
}

fn subcommand_stats(r: &mut Run) {
    r.call(0, &["CONFIG", "GET", "maxmemory"]);
    r.call(0, &["CONFIG", "GET", "maxmemory", "hz"]);
    r.call(0, &["CONFIG", "SET", "nosuch", "1"]);
    r.call(0, &["CONFIG", "SET", "hz", "abc"]);
    r.call(0, &["CLIENT", "ID"]);
    r.call(0, &["CLIENT", "SETNAME", "has space"]);
    r.call(0, &["CLIENT", "SETNAME", "fine"]);
    r.call(0, &["OBJECT", "ENCODING", "nokey"]);
    r.call(0, &["COMMAND", "COUNT"]);
    r.call(0, &["MEMORY", "USAGE", "nokey"]);
}

fn restore_errors(r: &mut Run) {
    r.call(0, &["SET", "k", "v"]);
    let dump = match r.call(0, &["DUMP", "k"]) {
        Frame::Bulk(bytes) => bytes,
        other => panic!("DUMP: {other:?}"),
    };
    r.call(0, &["RESTORE", "k2", "0", "garbage"]);
    let restore = |key: &str| -> Vec<Vec<u8>> {
        vec![
            b"RESTORE".to_vec(),
            key.as_bytes().to_vec(),
            b"0".to_vec(),
            dump.to_vec(),
        ]
    };
    for key in ["k", "k3"] {
        let args = restore(key);
        r.transcript.push(format!("c0 > RESTORE {key} 0 <dump>"));
        let frame = r.client(0).call(&args).expect("RESTORE");
        r.transcript.push(format!("c0 < {frame:?}"));
    }
    r.call(0, &["RENAME", "nokey", "x"]);
    r.call(0, &["COPY", "k", "k3"]);
}

fn pipelined_errors(r: &mut Run) {
    let mut bytes = Vec::new();
    let commands: &[&[&str]] = &[
        &["SET", "p", "v"],
        &["LPUSH", "p", "x"],
        &["GET", "p"],
        &["GET"],
        &["NOSUCH"],
        &["INCR", "p"],
        &["GET", "nope"],
    ];
    for command in commands {
        bytes.extend(moat_testkit::encode_command(command));
    }
    r.send_raw(0, &bytes);
    for _ in commands {
        r.read(0);
    }
}

fn protocol_error(r: &mut Run) {
    r.call(0, &["SET", "k", "v"]);
    r.send_raw(1, b"*1\r\n$abc\r\n");
    r.read(1);
    r.send_raw(2, b"*2\r\n$3\r\nGET\r\n+oops\r\n");
    r.read(2);
    r.pause(20);
    r.close(1);
    r.close(2);
}

fn select_and_db_counts(r: &mut Run) {
    r.call(0, &["SELECT", "99"]);
    r.call(0, &["SELECT", "abc"]);
    r.call(0, &["SET", "x", "1", "EX", "100"]);
    r.call(0, &["SELECT", "1"]);
    r.call(0, &["SET", "y", "1"]);
    r.call(0, &["SET", "z", "1"]);
    r.call(0, &["MOVE", "y", "0"]);
    r.call(0, &["MOVE", "z", "1"]);
    r.call(0, &["SWAPDB", "0", "99"]);
}

fn stream_group_errors(r: &mut Run) {
    r.call(0, &["XADD", "st", "1-1", "f", "v"]);
    r.call(0, &["XADD", "st", "1-1", "f", "v"]);
    r.call(0, &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "st", ">"]);
    r.call(0, &["XGROUP", "CREATE", "st", "g", "0"]);
    r.call(0, &["XGROUP", "CREATE", "st", "g", "0"]);
    // Left out: a successful XREADGROUP, where Redis looks the key up
    // twice (two keyspace hits) and moat once (see the report).
    r.call(0, &["XACK", "st", "g", "1-1"]);
    r.call(0, &["XGROUP", "CREATE", "nostream", "g", "0"]);
}

/// `alice` may GET `k*`, EVAL, subscribe to `ch*`; nothing else.
fn create_alice(r: &mut Run) {
    r.call(
        0,
        &[
            "ACL",
            "SETUSER",
            "alice",
            "on",
            ">pw",
            "+get",
            "+eval",
            "+subscribe",
            "+publish",
            "+multi",
            "+exec",
            "+set",
            "~k*",
            "&ch*",
        ],
    );
}

fn acl_denials(r: &mut Run) {
    create_alice(r);
    r.call(1, &["AUTH", "alice", "wrong"]);
    r.call(1, &["AUTH", "nosuchuser", "pw"]);
    r.call(1, &["AUTH", "alice", "pw"]);
    r.call(1, &["GET", "k1"]);
    r.call(1, &["GET", "other"]);
    r.call(1, &["SET", "other", "v"]);
    r.call(1, &["HGET", "k1", "f"]);
    r.call(1, &["PUBLISH", "nope", "x"]);
    r.call(1, &["SUBSCRIBE", "nope"]);
    r.call(1, &["CONFIG", "GET", "hz"]);
    r.call(2, &["HELLO", "2", "AUTH", "alice", "bad"]);
}

fn acl_denied_in_script(r: &mut Run) {
    create_alice(r);
    r.call(1, &["AUTH", "alice", "pw"]);
    r.call(1, &["EVAL", "return redis.call('DEL', KEYS[1])", "1", "k1"]);
    r.call(
        1,
        &["EVAL", "return redis.call('GET', KEYS[1])", "1", "other"],
    );
    r.call(1, &["EVAL", "return redis.pcall('SET', 'other', 'v')", "0"]);
    r.call(1, &["EVAL", "return redis.call('GET', KEYS[1])", "1", "k1"]);
}

fn acl_denied_in_multi(r: &mut Run) {
    create_alice(r);
    r.call(1, &["AUTH", "alice", "pw"]);
    r.call(1, &["MULTI"]);
    r.call(1, &["GET", "k1"]);
    r.call(1, &["GET", "other"]);
    r.call(1, &["DEL", "k1"]);
    r.call(1, &["EXEC"]);
}

/// Rules changed between MULTI and EXEC: EXEC's NOPERM entries count as
/// error replies; EXEC itself fails when one comes after the last command
/// it ran (Redis's `incrCommandStatsOnError` compares with the count the
/// last `call` left).
fn acl_recheck_at_exec(r: &mut Run) {
    create_alice(r);
    r.call(1, &["AUTH", "alice", "pw"]);
    r.call(1, &["MULTI"]);
    r.call(1, &["SET", "k1", "v"]);
    r.call(1, &["GET", "k1"]);
    r.call(0, &["ACL", "SETUSER", "alice", "-get"]);
    r.call(1, &["EXEC"]);
    r.call(1, &["MULTI"]);
    r.call(1, &["SET", "k1", "v"]);
    r.call(1, &["SET", "k2", "v"]);
    r.call(0, &["ACL", "SETUSER", "alice", "resetkeys", "~k2"]);
    r.call(1, &["EXEC"]);
}

fn noauth(r: &mut Run) {
    r.call(0, &["GET", "k"]);
    r.call(0, &["NOSUCH"]);
    r.call(0, &["AUTH", "wrong"]);
    r.call(0, &["AUTH", "default", "wrong"]);
    r.call(0, &["HELLO", "2", "AUTH", "default", "wrong"]);
    r.call(0, &["MULTI"]);
    r.call(0, &["AUTH", "secret"]);
    r.call(0, &["GET", "k"]);
    r.call(0, &["AUTH", "secret", "extra", "args"]);
}

fn oom_rejections(r: &mut Run) {
    r.call(0, &["SET", "k", "v"]);
    r.call(0, &["GET", "k"]);
    r.call(0, &["LPUSH", "l", "x"]);
    r.call(0, &["DEL", "k"]);
    r.call(0, &["MULTI"]);
    r.call(0, &["SET", "k", "v"]);
    r.call(0, &["EXEC"]);
    r.call(0, &["MULTI"]);
    r.call(0, &["GET", "k"]);
    r.call(0, &["EXEC"]);
    // Left out: writes from scripts, which Redis refuses with OOM and
    // moat runs (a scripting behaviour difference, see the report).
    r.call(0, &["EVAL", "return 1", "0"]);
}

fn evictions(r: &mut Run) {
    r.call(0, &["SET", "a", "1"]);
    r.call(0, &["SET", "b", "2"]);
    r.call(0, &["CONFIG", "SET", "maxmemory-policy", "allkeys-random"]);
    r.call(0, &["CONFIG", "SET", "maxmemory", "1"]);
    r.call(0, &["GET", "a"]);
    r.call(0, &["SET", "c", "3"]);
    r.call(0, &["CONFIG", "SET", "maxmemory", "0"]);
    r.call(0, &["SET", "d", "4"]);
}

fn rejected_connection(r: &mut Run) {
    // The control connection and client 0 fill `maxclients 2`.
    r.call(0, &["PING"]);
    let refused = r.client(1).read_frame();
    r.transcript.push(format!("c1 < {refused:?}"));
    r.close(1);
    r.pause(30);
}

fn tracking_tables(r: &mut Run) {
    r.call(0, &["SET", "a", "1"]);
    r.call(0, &["CLIENT", "TRACKING", "ON"]);
    r.call(0, &["GET", "a"]);
    r.call(0, &["GET", "b"]);
    r.call(0, &["MGET", "a", "c"]);
    r.call(
        1,
        &[
            "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:", "PREFIX", "x",
        ],
    );
    r.call(2, &["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:"]);
    r.call(3, &["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user"]);
    r.call(2, &["CLIENT", "TRACKING", "ON", "OPTIN", "BCAST"]);
    r.call(4, &["CLIENT", "TRACKING", "ON", "REDIRECT", "999999"]);
}

fn protected_debug(r: &mut Run) {
    r.call(0, &["DEBUG", "SLEEP", "0"]);
    r.call(0, &["DEBUG"]);
    r.call(0, &["MODULE", "LIST"]);
}
