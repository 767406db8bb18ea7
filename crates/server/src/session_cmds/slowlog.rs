//! SLOWLOG and LATENCY: reading what [`crate::slowlog`] recorded.

use super::{help_reply, subcommand_syntax_error};
use crate::dispatch::{KeyspaceLock, SessionHandler};
use crate::session::Session;
use crate::shared::now_ms;
use bytes::Bytes;
use moat_resp::Frame;
use std::fmt::Write as _;

pub const HANDLERS: &[(&str, SessionHandler)] = &[
    ("slowlog|get", slowlog_get),
    ("slowlog|len", slowlog_len),
    ("slowlog|reset", slowlog_reset),
    ("slowlog|help", slowlog_help),
    ("latency|latest", latency_latest),
    ("latency|history", latency_history),
    ("latency|reset", latency_reset),
    ("latency|doctor", latency_doctor),
    ("latency|help", latency_help),
    ("latency|histogram", latency_histogram),
    ("latency|graph", latency_graph),
];

fn bulk(bytes: impl Into<Bytes>) -> Frame {
    Frame::Bulk(bytes.into())
}

fn slowlog_get(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    if argv.len() > 3 {
        return subcommand_syntax_error("SLOWLOG", &argv[1]);
    }
    let count = match argv.get(2) {
        None => Some(10),
        Some(arg) => match std::str::from_utf8(arg)
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
        {
            Some(-1) => None,
            Some(n) if n >= 0 => Some(n as usize),
            _ => return Frame::error("ERR count should be greater than or equal to -1"),
        },
    };
    let log = session.shared.slowlog.lock();
    Frame::Array(
        log.newest(count)
            .map(|entry| {
                Frame::Array(vec![
                    Frame::Integer(entry.id as i64),
                    Frame::Integer(entry.time_secs),
                    Frame::Integer(entry.duration_us as i64),
                    Frame::Array(entry.argv.iter().cloned().map(Frame::Bulk).collect()),
                    bulk(entry.peer.clone()),
                    bulk(entry.client_name.clone()),
                ])
            })
            .collect(),
    )
}

fn slowlog_len(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    if argv.len() != 2 {
        return subcommand_syntax_error("SLOWLOG", &argv[1]);
    }
    Frame::Integer(session.shared.slowlog.lock().len() as i64)
}

fn slowlog_reset(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    if argv.len() != 2 {
        return subcommand_syntax_error("SLOWLOG", &argv[1]);
    }
    session.shared.slowlog.lock().reset();
    Frame::ok()
}

fn slowlog_help(_: &mut Session, _: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    help_reply(&[
        "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
        "HELP",
        "    Print this help.",
    ])
}

fn latency_latest(session: &mut Session, _: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    let monitor = session.shared.latency.lock();
    Frame::Array(
        monitor
            .events()
            .filter_map(|(name, event)| {
                let (time, latest) = *event.samples.back()?;
                Some(Frame::Array(vec![
                    bulk(name),
                    Frame::Integer(time),
                    Frame::Integer(latest as i64),
                    Frame::Integer(event.max_ms as i64),
                ]))
            })
            .collect(),
    )
}

fn latency_history(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    let monitor = session.shared.latency.lock();
    let samples = monitor
        .event(&argv[2])
        .map(|e| e.samples.clone())
        .unwrap_or_default();
    Frame::Array(
        samples
            .into_iter()
            .map(|(time, latency)| {
                Frame::Array(vec![Frame::Integer(time), Frame::Integer(latency as i64)])
            })
            .collect(),
    )
}

/// `LATENCY HISTOGRAM [command ...]`: a map of command name to its calls
/// and cumulative buckets; unknown names are skipped and a container
/// stands for its subcommands, as Redis's `lookupCommandBySds` and
/// `latencySpecificCommandsFillCDF` have it.
fn latency_histogram(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    session.flush_stats();
    let table = &session.shared.table;
    let histograms = &session.shared.stats.latency;
    let mut out = Vec::new();
    let mut add = |cmd: &moat_commands::Command| {
        if let Some(histogram) = histograms.get(cmd.id as usize) {
            let buckets = histogram
                .cumulative_buckets()
                .into_iter()
                .map(|(usec, count)| (Frame::Integer(usec as i64), Frame::Integer(count as i64)))
                .collect();
            out.push((
                bulk(cmd.fullname.clone()),
                Frame::Map(vec![
                    (bulk("calls"), Frame::Integer(histogram.total() as i64)),
                    (bulk("histogram_usec"), Frame::Map(buckets)),
                ]),
            ));
        }
    };
    if argv.len() == 2 {
        for cmd in table.iter() {
            add(cmd);
        }
    } else {
        for name in &argv[2..] {
            // Redis looks a name up with at most one `|`.
            if name.iter().filter(|&&b| b == b'|').count() > 1 {
                continue;
            }
            let Some(cmd) = table.lookup_fullname(name) else {
                continue;
            };
            add(cmd);
            for sub in table.subcommands(cmd) {
                add(sub);
            }
        }
    }
    Frame::Map(out)
}

/// `LATENCY GRAPH event`: Redis's ASCII sparkline of the event's samples.
fn latency_graph(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    let monitor = session.shared.latency.lock();
    let Some(event) = monitor.event(&argv[2]).filter(|e| !e.samples.is_empty()) else {
        return super::quoting_error("ERR No samples available for event '{}'", &[&argv[2]]);
    };
    let name = String::from_utf8_lossy(&argv[2]).into_owned();
    let text = crate::sparkline::latency_graph(&name, event, now_ms() / 1000);
    Frame::Verbatim {
        format: *b"txt",
        text: Bytes::from(text),
    }
}

fn latency_reset(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    Frame::Integer(session.shared.latency.lock().reset(&argv[2..]) as i64)
}

fn latency_help(_: &mut Session, _: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    help_reply(&[
        "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return a human readable latency analysis report.",
        "GRAPH <event>",
        "    Return an ASCII latency graph for the <event> class.",
        "HISTORY <event>",
        "    Return time-latency samples for the <event> class.",
        "LATEST",
        "    Return the latest latency samples for all events.",
        "RESET [<event> ...]",
        "    Reset latency data of one or more <event> classes.",
        "    (default: reset all data for all event classes)",
        "HISTOGRAM [COMMAND ...]",
        "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
        "    If no commands are specified then all histograms are replied.",
        "HELP",
        "    Print this help.",
    ])
}

/// Redis's `LATENCY DOCTOR` report for the events moat records (command
/// and fast-command), with the same analysis and advice sentences.
fn latency_doctor(session: &mut Session, _: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    let threshold_ms = session.shared.limits.latency_threshold_ms();
    let slower_than_us = session.shared.limits.slowlog_slower_than_us();
    let monitor = session.shared.latency.lock();
    let text = doctor_report(&monitor, threshold_ms, slower_than_us, now_ms() / 1000);
    Frame::Verbatim {
        format: *b"txt",
        text: Bytes::from(text),
    }
}

fn doctor_report(
    monitor: &crate::slowlog::LatencyMonitor,
    threshold_ms: u64,
    slower_than_us: i64,
    now_secs: i64,
) -> String {
    if threshold_ms == 0 && monitor.is_empty() {
        return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n".to_string();
    }
    if monitor.is_empty() {
        return "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n".to_string();
    }
    let mut out = String::from("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
    let (
        mut slowlog_enabled,
        mut slowlog_tuning,
        mut slowlog_inspect,
        mut large_objects,
        mut scheduler,
    ) = (false, false, false, false, false);
    for (number, (name, event)) in monitor.events().enumerate() {
        let samples: Vec<u64> = event.samples.iter().map(|(_, l)| *l).collect();
        if samples.is_empty() {
            continue;
        }
        let count = samples.len() as u64;
        let average = samples.iter().sum::<u64>() / count;
        let deviation = samples.iter().map(|l| l.abs_diff(average)).sum::<u64>() / count;
        let oldest = event
            .samples
            .iter()
            .map(|(t, _)| *t)
            .min()
            .unwrap_or(now_secs);
        let period = (now_secs - oldest).max(1) as f64 / count as f64;
        let _ = writeln!(
            out,
            "{}. {name}: {count} latency spikes (average {average}ms, mean deviation {deviation}ms, period {period:.2} sec). Worst all time event {}ms.",
            number + 1,
            event.max_ms
        );
        match name {
            "command" => {
                if slower_than_us < 0 {
                    slowlog_enabled = true;
                } else if slower_than_us as u64 / 1000 > threshold_ms {
                    slowlog_tuning = true;
                }
                slowlog_inspect = true;
                large_objects = true;
            }
            "fast-command" => scheduler = true,
            _ => {}
        }
    }
    out.push_str("\nI have a few advices for you:\n\n");
    if slowlog_enabled {
        let _ = writeln!(out, "- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {}'. If the Slow Log is disabled Redis is not able to log slow commands execution for you.", threshold_ms * 1000);
    }
    if slowlog_tuning {
        let _ = writeln!(out, "- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {}'.", threshold_ms * 1000);
    }
    if slowlog_inspect {
        out.push_str("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n");
    }
    if scheduler {
        out.push_str("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / VM just for Redis if you are running other software in the same system.\n  3) Check if you have a \"noisy neighbour\" problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n");
    }
    if large_objects {
        out.push_str("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n");
    }
    out
}
