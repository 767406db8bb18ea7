//! Randomised differential test of the ACL engine: random users built from
//! random rules, and random requests checked with `ACL DRYRUN`, on moat and
//! on the reference servers at once.
//!
//! * Redis 7.0.15 (required under `MOAT_REQUIRE_REFERENCE=1`): every
//!   SETUSER reply and every DRYRUN decision must agree after the project's
//!   accepted 7.0-vs-7.2 normalisation; GETUSER and LIST are compared
//!   without their command rules, which 7.0 recomputes (see
//!   `REDIS_7_0_DESCRIPTION_DIFFERENCES`).
//! * Valkey 8.1 (7.2 ACL behaviour), when installed: everything is compared
//!   exactly, command rule text and DRYRUN wording included.
//!
//! The seed is printed and part of every failure; rerun one with
//! `MOAT_ACL_RANDOM_SEED=<seed>`. `MOAT_ACL_RANDOM_PAIRS` sets how many
//! (user, request) pairs are checked (default 30000, about a second or two; CI budget ~60 s).

mod gen;

use gen::Argv;
use moat_resp::Frame;
use moat_testkit::accepted_differences::{
    moat_is_stricter_on, normalise, normalise_for_redis_7_0_descriptions,
};
use moat_testkit::{moat_server, reference, render, Client, ServerProcess};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

const DEFAULT_PAIRS: usize = 30_000;
/// Requests checked per generated user.
const REQUESTS_PER_USER: usize = 60;
/// Stop collecting after this many divergences: the first few tell the story.
const MAX_REPORTED: usize = 12;

/// How a reference server's replies are compared with moat's.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Comparison {
    /// Redis 7.0: accepted differences normalised away.
    Redis70,
    /// Valkey 8.1: byte for byte.
    Exact,
}

struct Reference {
    name: &'static str,
    comparison: Comparison,
    client: Client,
    process: ServerProcess,
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

fn show(argv: &Argv) -> String {
    argv.iter()
        .map(|a| {
            let text = String::from_utf8_lossy(a);
            if text.is_empty() || text.contains([' ', '"', '\\']) {
                format!("{text:?}")
            } else {
                text.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Sends every command, then reads every reply (one pipelined batch).
fn run_batch(client: &mut Client, batch: &[Argv]) -> Vec<Frame> {
    let bytes: Vec<u8> = batch
        .iter()
        .flat_map(|argv| moat_testkit::encode_command(argv))
        .collect();
    client.send_raw(&bytes).expect("send batch");
    batch
        .iter()
        .map(|argv| {
            client
                .read_frame()
                .unwrap_or_else(|e| panic!("no reply to {}: {e}", show(argv)))
        })
        .collect()
}

fn comparable(comparison: Comparison, argv: &Argv, reply: Frame) -> Frame {
    match comparison {
        Comparison::Exact => reply,
        Comparison::Redis70 => normalise_for_redis_7_0_descriptions(argv, reply),
    }
}

/// What moat answered, by kind: proof that the run exercised both sides
/// of every decision rather than comparing "user not found" 12000 times.
#[derive(Debug, Default)]
struct Tally {
    setuser_ok: usize,
    setuser_err: usize,
    allowed: usize,
    denied_command: usize,
    denied_key: usize,
    denied_channel: usize,
    request_errors: usize,
    top_level_refusals: usize,
}

impl Tally {
    fn count(&mut self, argv: &Argv, reply: &Frame) {
        let sub = argv.get(1).map(|s| s.to_ascii_uppercase());
        match (sub.as_deref(), reply) {
            (Some(b"SETUSER"), Frame::Error(_)) => self.setuser_err += 1,
            (Some(b"SETUSER"), _) => self.setuser_ok += 1,
            (Some(b"DRYRUN"), Frame::Simple(_)) => self.allowed += 1,
            (Some(b"DRYRUN"), Frame::Bulk(text)) => {
                let text = String::from_utf8_lossy(text);
                if text.ends_with("' key") {
                    self.denied_key += 1;
                } else if text.ends_with("' channel") {
                    self.denied_channel += 1;
                } else {
                    self.denied_command += 1;
                }
            }
            (Some(b"DRYRUN"), other) => {
                self.request_errors += 1;
                if std::env::var_os("MOAT_ACL_RANDOM_DEBUG").is_some() {
                    println!("{} -> {}", show(argv), render(other).trim_end());
                }
            }
            _ => {}
        }
    }

    fn assert_meaningful(&self) {
        let sides = [
            self.setuser_ok,
            self.setuser_err,
            self.allowed,
            self.denied_command,
            self.denied_key,
            self.denied_channel,
            self.top_level_refusals,
        ];
        assert!(
            sides.iter().all(|&n| n > 0),
            "a decision was never exercised: {self:?}"
        );
    }
}

/// Makes `name` loggable (`on`, a password), runs `requests` as that user
/// on a new connection, then deletes the user (closing that connection).
fn run_as_user(admin: &mut Client, addr: SocketAddr, name: &str, requests: &[Argv]) -> Vec<Frame> {
    const PASSWORD: &str = "acl-random-password";
    let password_rule = format!(">{PASSWORD}");
    let enable = admin.call(&["ACL", "SETUSER", name, "on", &password_rule]);
    assert_eq!(enable.expect("enable user"), Frame::ok());
    let mut replies = Vec::new();
    if !requests.is_empty() {
        let mut client = Client::connect(addr).expect("connect as the user");
        assert_eq!(
            client.call(&["AUTH", name, PASSWORD]).expect("auth"),
            Frame::ok()
        );
        replies = run_batch(&mut client, requests);
    }
    let deleted = admin.call(&["ACL", "DELUSER", name]).expect("delete user");
    assert_eq!(deleted, Frame::Integer(1));
    replies
}

#[test]
fn acl_decisions_and_descriptions_match_the_reference_servers() {
    let Some(redis) = reference::redis_server() else {
        return;
    };
    let pairs = env_number("MOAT_ACL_RANDOM_PAIRS").unwrap_or(DEFAULT_PAIRS as u64) as usize;
    let seed = env_number("MOAT_ACL_RANDOM_SEED").unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
    });
    println!("acl_random: seed {seed} (MOAT_ACL_RANDOM_SEED={seed}), {pairs} pairs");

    let moat_process = moat_server(option_env!("CARGO_BIN_EXE_moat-server"))
        .start()
        .expect("start moat");
    let mut moat = moat_process.client().expect("connect to moat");
    let mut references = Vec::new();
    let redis_process = ServerProcess::start(redis, Vec::<String>::new()).expect("start redis");
    references.push(Reference {
        name: "redis 7.0",
        comparison: Comparison::Redis70,
        client: redis_process.client().expect("connect to redis"),
        process: redis_process,
    });
    if let Some(valkey) = reference::valkey_server() {
        let process = ServerProcess::start(valkey, Vec::<String>::new()).expect("start valkey");
        references.push(Reference {
            name: "valkey 8.1",
            comparison: Comparison::Exact,
            client: process.client().expect("connect to valkey"),
            process,
        });
    }

    let names: Vec<&str> = references.iter().map(|r| r.name).collect();
    println!("acl_random: comparing moat with {}", names.join(", "));
    let mut rng = gen::Gen::new(StdRng::seed_from_u64(seed));
    let mut divergences: Vec<String> = Vec::new();
    let mut checked = 0usize;
    let mut tally = Tally::default();
    let mut user_number = 0usize;
    while checked < pairs && divergences.len() < MAX_REPORTED {
        let name = format!("u{user_number}");
        user_number += 1;
        rng.forget_patterns();
        // A bare SETUSER creates the user, so that a later failing rule
        // list leaves a user to ask DRYRUN about.
        let mut batch: Vec<Argv> = vec![vec![
            b"ACL".to_vec(),
            b"SETUSER".to_vec(),
            name.clone().into(),
        ]];
        // One to three incremental SETUSERs, each followed by GETUSER and LIST.
        for _ in 0..rng.gen_range(1..4) {
            batch.push(gen::setuser(&mut rng, &name));
            batch.push(vec![
                b"ACL".to_vec(),
                b"GETUSER".to_vec(),
                name.clone().into(),
            ]);
            batch.push(vec![b"ACL".to_vec(), b"LIST".to_vec()]);
        }
        let first_request = batch.len();
        for _ in 0..REQUESTS_PER_USER {
            let mut argv = vec![b"ACL".to_vec(), b"DRYRUN".to_vec(), name.clone().into()];
            argv.extend(gen::request(&mut rng));
            batch.push(argv);
        }

        // Every server gets the batch before any reply is read, so they
        // work in parallel.
        let moat_bytes: Vec<u8> = batch
            .iter()
            .flat_map(|argv| moat_testkit::encode_command(argv))
            .collect();
        for reference in &mut references {
            let bytes = moat_bytes.clone();
            reference.client.send_raw(&bytes).expect("send batch");
        }
        let from_moat = run_batch(&mut moat, &batch);
        for (argv, reply) in batch.iter().zip(&from_moat) {
            tally.count(argv, reply);
        }
        // Requests every server's DRYRUN refuses: sent for real below.
        let mut refused_everywhere: Vec<bool> = from_moat
            .iter()
            .enumerate()
            .map(|(i, reply)| i >= first_request && matches!(reply, Frame::Bulk(_)))
            .collect();
        for reference in &mut references {
            let replies: Vec<Frame> = batch
                .iter()
                .map(|argv| {
                    reference.client.read_frame().unwrap_or_else(|e| {
                        panic!("{}: no reply to {}: {e}", reference.name, show(argv))
                    })
                })
                .collect();
            for (index, reply) in replies.iter().enumerate() {
                refused_everywhere[index] &= matches!(reply, Frame::Bulk(_));
            }
            for (index, argv) in batch.iter().enumerate() {
                let ours = comparable(reference.comparison, argv, from_moat[index].clone());
                let theirs = comparable(reference.comparison, argv, replies[index].clone());
                let stricter_by_design = argv[1].eq_ignore_ascii_case(b"DRYRUN")
                    && moat_is_stricter_on(&argv[3..])
                    && matches!(from_moat[index], Frame::Bulk(_));
                if ours != theirs && !stricter_by_design && divergences.len() < MAX_REPORTED {
                    let mut report = String::new();
                    let _ = writeln!(report, "vs {} (seed {seed}):", reference.name);
                    let setups = batch[..first_request]
                        .iter()
                        .filter(|a| a[1].eq_ignore_ascii_case(b"SETUSER"));
                    for setup in setups {
                        let _ = writeln!(report, "  > {}", show(setup));
                    }
                    let _ = writeln!(report, "  command: {}", show(argv));
                    let _ = writeln!(
                        report,
                        "  moat:      {}",
                        render(&from_moat[index]).trim_end()
                    );
                    let _ = writeln!(
                        report,
                        "  reference: {}",
                        render(&replies[index]).trim_end()
                    );
                    divergences.push(report);
                }
            }
        }

        // The same refusals at top level, as the user: dispatch must refuse
        // what DRYRUN refuses, with the same error as the reference (NOPERM,
        // or an error Redis checks for first, such as a protected DEBUG).
        let refused: Vec<Argv> = batch
            .iter()
            .zip(&refused_everywhere)
            .filter(|(_, refused)| **refused)
            .map(|(argv, _)| argv[3..].to_vec())
            .collect();
        let ours = run_as_user(&mut moat, moat_process.addr(), &name, &refused);
        tally.top_level_refusals += refused.len();
        for reference in &mut references {
            let addr = reference.process.addr();
            let theirs = run_as_user(&mut reference.client, addr, &name, &refused);
            for ((request, ours), theirs) in refused.iter().zip(&ours).zip(&theirs) {
                let (ours_cmp, theirs_cmp) = match reference.comparison {
                    Comparison::Exact => (ours.clone(), theirs.clone()),
                    Comparison::Redis70 => (
                        normalise(request, ours.clone()),
                        normalise(request, theirs.clone()),
                    ),
                };
                if ours_cmp != theirs_cmp && divergences.len() < MAX_REPORTED {
                    divergences.push(format!(
                        "vs {} (seed {seed}), top level as {name}:\n  command: {}\n  moat:      {}\n  reference: {}",
                        reference.name,
                        show(request),
                        render(ours).trim_end(),
                        render(theirs).trim_end()
                    ));
                }
            }
        }
        checked += REQUESTS_PER_USER;
    }
    println!("acl_random: {checked} pairs checked over {user_number} users; {tally:?}");
    assert!(
        divergences.is_empty(),
        "{} divergences (seed {seed}, rerun with MOAT_ACL_RANDOM_SEED={seed}):\n{}",
        divergences.len(),
        divergences.join("\n")
    );
    tally.assert_meaningful();
}
