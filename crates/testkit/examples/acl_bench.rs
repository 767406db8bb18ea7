//! ACL overhead benchmark: throughput of one pipelined connection under
//! users with increasingly expensive permission checks.
//!
//! `cargo run --release -p moat-testkit --example acl_bench -- <port> [commands] [rounds]`
//!
//! It creates its users on the server at 127.0.0.1:<port> (the default user
//! must be open), then for each scenario sends `commands` GETs (default
//! 200000) in batches of 1000 and prints `scenario,ops_per_sec` lines.
//! Scenarios are measured in turn, `rounds` times (default 3). Each run is
//! timed in windows of 50 batches and a scenario's rate is its best window
//! over all rounds: on a machine shared with other work a run is often
//! interrupted, and the fastest stretch is the one the others did not
//! disturb, the same for every scenario. scripts/bench.sh runs it against moat and
//! redis-server and prints ratios, between servers and within each.
//!
//! The 100- and 1000-pattern users mix literal (`lit:i`), prefix
//! (`tenant:i:*`) and glob (`obj:i:[a-c]?*`) patterns, with the one that
//! matches last: a linear scan, as Redis does, tries them all. Denied
//! commands are included because they are not free: each one is logged in
//! ACL LOG (grouped with the previous identical entry).

use moat_resp::Frame;
use moat_testkit::Client;
use std::process::ExitCode;
use std::time::Instant;

const BATCH: usize = 1000;
/// Batches per timed window.
const WINDOW: usize = 50;
const DEFAULT_COMMANDS: usize = 200_000;
const DEFAULT_ROUNDS: usize = 3;

struct Scenario {
    name: &'static str,
    /// `None` runs as the default user.
    user: Option<&'static str>,
    key: &'static str,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "default user",
        user: None,
        key: "key:1",
    },
    Scenario {
        name: "acl user",
        user: Some("bench_one"),
        key: "key:1",
    },
    Scenario {
        name: "100 patterns",
        user: Some("bench_100"),
        key: "key:1",
    },
    Scenario {
        name: "1000 patterns",
        user: Some("bench_1000"),
        key: "key:1",
    },
    Scenario {
        name: "denied key",
        user: Some("bench_one"),
        key: "other:1",
    },
    Scenario {
        name: "denied command",
        user: Some("bench_noget"),
        key: "key:1",
    },
];

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("acl_bench: {message}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: acl_bench <port> [commands] [rounds]";
    let port: u16 = args.next().ok_or(usage)?.parse().map_err(|_| usage)?;
    let mut number = |default: usize| -> Result<usize, String> {
        match args.next() {
            Some(n) => n.parse().map_err(|_| usage.to_string()),
            None => Ok(default),
        }
    };
    let commands = number(DEFAULT_COMMANDS)?;
    let rounds = number(DEFAULT_ROUNDS)?.max(1);
    // ACL_BENCH_SETUP=0 uses the users an earlier run created, so that a
    // profiler zeroed before this run counts the scenario alone.
    if std::env::var("ACL_BENCH_SETUP").as_deref() != Ok("0") {
        let mut admin = Client::connect_port(port).map_err(|e| e.to_string())?;
        create_users(&mut admin)?;
    }
    // ACL_BENCH_ONLY=<scenario> measures one scenario (for profiling);
    // a name that is no scenario only creates the users.
    let only = std::env::var("ACL_BENCH_ONLY").ok();
    let mut best = vec![0f64; SCENARIOS.len()];
    for _ in 0..rounds {
        for (scenario, best) in SCENARIOS.iter().zip(&mut best) {
            if only.as_deref().is_none_or(|name| name == scenario.name) {
                *best = best.max(measure(port, scenario, commands)?);
            }
        }
    }
    println!("scenario,ops_per_sec");
    for (scenario, ops) in SCENARIOS.iter().zip(best) {
        println!("{},{ops:.0}", scenario.name);
    }
    Ok(())
}

fn create_users(admin: &mut Client) -> Result<(), String> {
    expect_ok(admin, &["SET", "key:1", "value"])?;
    expect_ok(
        admin,
        &[
            "ACL",
            "SETUSER",
            "bench_one",
            "reset",
            "on",
            "nopass",
            "~key*",
            "+@all",
        ],
    )?;
    expect_ok(
        admin,
        &[
            "ACL",
            "SETUSER",
            "bench_noget",
            "reset",
            "on",
            "nopass",
            "~key*",
            "+@all",
            "-get",
        ],
    )?;
    for (user, count) in [("bench_100", 100), ("bench_1000", 1000)] {
        // The matching pattern comes last: a linear scan tries them all.
        let mut rule: Vec<String> = ["ACL", "SETUSER", user, "reset", "on", "nopass", "+@all"]
            .map(String::from)
            .to_vec();
        rule.extend((0..count - 1).map(|i| match i % 3 {
            0 => format!("~tenant:{i}:*"),
            1 => format!("~lit:{i}"),
            _ => format!("~obj:{i}:[a-c]?*"),
        }));
        rule.push("~key*".into());
        expect_ok(admin, &rule)?;
    }
    Ok(())
}

fn expect_ok<A: AsRef<[u8]>>(client: &mut Client, args: &[A]) -> Result<(), String> {
    match client.call(args).map_err(|e| e.to_string())? {
        Frame::Simple(_) => Ok(()),
        other => Err(format!("setup command failed: {other:?}")),
    }
}

/// Commands per second for `commands` GETs in pipelined batches: the
/// best window's rate.
fn measure(port: u16, scenario: &Scenario, commands: usize) -> Result<f64, String> {
    let mut client = Client::connect_port(port).map_err(|e| e.to_string())?;
    if let Some(user) = scenario.user {
        expect_ok(&mut client, &["AUTH", user, "any"])?;
    }
    let batch: Vec<u8> = (0..BATCH)
        .flat_map(|_| moat_testkit::encode_command(&["GET", scenario.key]))
        .collect();
    let batches = commands.div_ceil(BATCH);
    let mut best = 0f64;
    let mut done = 0;
    while done < batches {
        let window = WINDOW.min(batches - done);
        let started = Instant::now();
        for _ in 0..window {
            client.send_raw(&batch).map_err(|e| e.to_string())?;
            for _ in 0..BATCH {
                client.read_frame().map_err(|e| e.to_string())?;
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        best = best.max((window * BATCH) as f64 / seconds.max(f64::EPSILON));
        done += window;
    }
    Ok(best)
}
