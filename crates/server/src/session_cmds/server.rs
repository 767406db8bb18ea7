//! INFO, COMMAND, TIME, LASTSAVE, SHUTDOWN, DEBUG.

use super::{help_reply, subcommand_syntax_error, REDIS_COMPAT_VERSION};
use crate::dispatch::{KeyspaceLock, SessionHandler};
use crate::session::Session;
use crate::shared::now_ms;
use bytes::Bytes;
use moat_resp::Frame;
use std::fmt::Write as _;
use std::sync::atomic::Ordering::Relaxed;

pub const HANDLERS: &[(&str, SessionHandler)] = &[
    ("info", info),
    ("command", command),
    ("command|count", command),
    ("command|info", command),
    ("command|docs", command),
    ("command|list", command),
    ("command|getkeys", command),
    ("command|getkeysandflags", command),
    ("command|help", command),
    ("time", time),
    ("shutdown", shutdown),
    ("debug", debug),
];

fn command(_: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    moat_commands::command_reply(moat_commands::CommandTable::global(), argv)
}

fn time(_: &mut Session, _: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Frame::Array(vec![
        Frame::Bulk(Bytes::from(now.as_secs().to_string())),
        Frame::Bulk(Bytes::from(now.subsec_micros().to_string())),
    ])
}

fn shutdown(session: &mut Session, ks: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    for arg in &argv[1..] {
        let known = [&b"nosave"[..], b"save", b"now", b"force", b"abort"];
        if !known.iter().any(|k| arg.eq_ignore_ascii_case(k)) {
            return Frame::error("ERR syntax error");
        }
    }
    if argv[1..].iter().any(|a| a.eq_ignore_ascii_case(b"abort")) {
        return Frame::error("ERR No shutdown in progress.");
    }
    let has = |word: &[u8]| argv[1..].iter().any(|a| a.eq_ignore_ascii_case(word));
    if has(b"save") && has(b"nosave") {
        return Frame::error("ERR syntax error");
    }
    tracing::warn!("User requested shutdown...");
    let shared = session.shared.clone();
    let wants_save =
        has(b"save") || (!has(b"nosave") && !shared.config.read().save_points().is_empty());
    if wants_save {
        tracing::info!("Saving the final RDB snapshot before exiting.");
        if crate::persist::jobs::save_now(&shared, ks.get()).is_err() && !has(b"force") {
            tracing::warn!("Error trying to save the DB, can't exit.");
            return Frame::error("ERR Errors trying to SHUTDOWN. Check logs.");
        }
    }
    session.shared.shutdown.notify_waiters();
    session.shared.shutdown.notify_one();
    session.close_after_reply = true;
    // Redis closes the connection without a reply on success.
    session.reply_mode = crate::session::ReplyMode::Off;
    Frame::ok()
}

fn debug(session: &mut Session, ks: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    // `enable-debug-command` was enforced by dispatch
    // (`protected_command_error`), before authentication as in Redis.
    // Redis matches the subcommand with `strcasecmp`, so a NUL ends it.
    let sub = String::from_utf8_lossy(moat_resp::c_str(&argv[1])).to_ascii_lowercase();
    match sub.as_str() {
        "sleep" if argv.len() == 3 => {
            let secs: f64 = std::str::from_utf8(&argv[2]).ok().and_then(|s| s.parse().ok()).unwrap_or(0.0);
            // Redis sleeps on its only thread, so nobody else runs
            // meanwhile: hold the keyspace for the whole sleep.
            let _keyspace = ks.get();
            std::thread::sleep(std::time::Duration::from_secs_f64(secs.max(0.0)));
            Frame::ok()
        }
        "set-active-expire" if argv.len() == 3 => {
            let on = argv[2].as_ref() != b"0";
            ks.get().active_expire = on;
            Frame::ok()
        }
        "reload" => debug_reload(session, ks, &argv[2..]),
        "loadaof" if argv.len() == 2 => {
            let shared = session.shared.clone();
            if crate::aof::load::reload(&shared, ks).is_err() {
                // The dataset was emptied and is not whole again: Redis
                // exits rather than serve part of it.
                std::process::exit(1);
            }
            tracing::info!("Append Only File loaded by DEBUG LOADAOF");
            Frame::ok()
        }
        "object" if argv.len() == 3 => debug_object(session, ks, &argv[2]),
        "help" => help_reply(&[
            "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "LOADAOF",
            "    Flush the AOF buffers on disk and reload the AOF in memory.",
            "OBJECT <key>",
            "    Show low level info about the `key` and associated value.",
            "SET-ACTIVE-EXPIRE <0|1>",
            "    Setting it to 0 disables expiring keys in background when they are not accessed (otherwise the Redis behavior). Setting it to 1 reenables back the default.",
            "SLEEP <seconds>",
            "    Stop the server for <seconds>. Decimals allowed.",
            "RELOAD [option ...]",
            "    Save the RDB on disk and reload it back to memory. Available <option> values:",
            "    * MERGE: conflicting keys will be loaded from RDB.",
            "    * NOFLUSH: the existing database will not be removed before load, but",
            "      conflicting keys will generate an exception and kill the server.",
            "    * NOSAVE: the database will be loaded from an existing RDB file.",
            "HELP",
            "    Print this help.",
        ]),
        _ => subcommand_syntax_error("DEBUG", &argv[1]),
    }
}

/// `DEBUG RELOAD [NOSAVE]`: save (unless NOSAVE), then load the file
/// back into a new keyspace that replaces the current one. MERGE and
/// NOFLUSH are refused rather than half-supported.
fn debug_reload(session: &mut Session, ks: &mut KeyspaceLock<'_>, options: &[Bytes]) -> Frame {
    let mut save = true;
    for option in options {
        if option.eq_ignore_ascii_case(b"nosave") {
            save = false;
        } else if option.eq_ignore_ascii_case(b"merge") || option.eq_ignore_ascii_case(b"noflush") {
            return Frame::error("ERR DEBUG RELOAD MERGE and NOFLUSH are not supported");
        } else {
            return Frame::error(
                "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
            );
        }
    }
    let shared = session.shared.clone();
    let keyspace = ks.get();
    if save && crate::persist::jobs::save_now(&shared, keyspace).is_err() {
        return Frame::error("ERR Error trying to save the DB");
    }
    let path = crate::persist::file::rdb_path(&shared.config.read());
    // Redis empties the data, functions included, and loads the file's.
    match crate::persist::jobs::load_file(&path, keyspace, &shared.scripting) {
        Ok(stats) => {
            let (loaded, expired) = stats.map_or((0, 0), |s| (s.loaded, s.expired));
            shared.persist.last_load_loaded.store(loaded, Relaxed);
            shared.persist.last_load_expired.store(expired, Relaxed);
            tracing::info!("DB reloaded by DEBUG RELOAD");
            Frame::ok()
        }
        Err(message) => {
            tracing::warn!("{message}");
            Frame::error("ERR Error trying to load the RDB dump, check server logs.")
        }
    }
}

/// The sections `INFO` prints by default, in Redis's order.
const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "errorstats",
    "cluster",
    "keyspace",
];

fn info(session: &mut Session, ks: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    session.flush_stats();
    let mut wanted: Vec<String> = argv[1..]
        .iter()
        .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
        .collect();
    let everything = wanted.iter().any(|w| w == "all" || w == "everything");
    if wanted.is_empty() || wanted.iter().any(|w| w == "default") {
        wanted.extend(DEFAULT_SECTIONS.iter().map(|s| s.to_string()));
    }
    if everything {
        wanted.extend(DEFAULT_SECTIONS.iter().map(|s| s.to_string()));
        wanted.push("commandstats".into());
        wanted.push("latencystats".into());
    }
    let order = [
        "server",
        "clients",
        "memory",
        "persistence",
        "stats",
        "replication",
        "cpu",
        "modules",
        "commandstats",
        "errorstats",
        "latencystats",
        "cluster",
        "keyspace",
    ];
    let mut text = String::new();
    for section in order {
        if !wanted.iter().any(|w| w == section) {
            continue;
        }
        if !text.is_empty() {
            text.push_str("\r\n");
        }
        write_section(session, ks, section, &mut text);
    }
    Frame::Verbatim {
        format: *b"txt",
        text: Bytes::from(text),
    }
}

fn write_section(session: &Session, ks: &mut KeyspaceLock<'_>, section: &str, out: &mut String) {
    let shared = &session.shared;
    let stats = &shared.stats;
    match section {
        "server" => {
            let uptime = shared.started.elapsed().as_secs();
            let config = shared.config.read();
            let hz = config.get_int("hz").unwrap_or(10);
            out.push_str("# Server\r\n");
            kv(out, "redis_version", &REDIS_COMPAT_VERSION);
            kv(out, "moat_version", &env!("CARGO_PKG_VERSION"));
            kv(out, "redis_git_sha1", &"00000000");
            kv(out, "redis_git_dirty", &0);
            kv(out, "redis_build_id", &"0");
            kv(out, "redis_mode", &"standalone");
            kv(out, "os", &std::env::consts::OS);
            kv(out, "arch_bits", &(usize::BITS));
            kv(out, "monotonic_clock", &crate::clock::description());
            kv(out, "multiplexing_api", &"epoll");
            kv(out, "atomicvar_api", &"c11-builtin");
            kv(out, "gcc_version", &"0.0.0");
            kv(out, "process_id", &std::process::id());
            kv(out, "process_supervised", &"no");
            kv(out, "run_id", &shared.run_id);
            kv(out, "tcp_port", &shared.port);
            kv(out, "server_time_usec", &(now_ms() * 1000));
            kv(out, "uptime_in_seconds", &uptime);
            kv(out, "uptime_in_days", &(uptime / 86400));
            kv(out, "hz", &hz);
            kv(out, "configured_hz", &hz);
            // Redis's 24-bit LRU clock: seconds, wrapping.
            kv(out, "lru_clock", &((now_ms() / 1000) & ((1 << 24) - 1)));
            kv(
                out,
                "executable",
                &std::env::current_exe()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            );
            kv(
                out,
                "config_file",
                &shared
                    .config_file
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            );
            kv(out, "io_threads_active", &0);
        }
        "clients" => {
            out.push_str("# Clients\r\n");
            kv(out, "connected_clients", &shared.clients.len());
            kv(out, "cluster_connections", &0);
            kv(
                out,
                "maxclients",
                &shared.config.read().get_int("maxclients").unwrap_or(10000),
            );
            kv(out, "client_recent_max_input_buffer", &0);
            kv(out, "client_recent_max_output_buffer", &0);
            let (blocked, timed, blocking_keys) = {
                let blocking = &ks.get().blocking;
                (
                    blocking.blocked_clients(),
                    blocking.timed_clients(),
                    blocking.blocking_keys(),
                )
            };
            kv(out, "blocked_clients", &blocked);
            kv(out, "tracking_clients", &ks.get().tracking.client_count());
            let pubsub_clients = shared
                .clients
                .snapshot()
                .iter()
                .filter(|c| {
                    let info = c.info.lock();
                    info.subscriptions + info.pattern_subscriptions + info.shard_subscriptions > 0
                })
                .count();
            kv(out, "pubsub_clients", &pubsub_clients);
            let (watching, watched) = {
                let keyspace = ks.get();
                (keyspace.watch.client_count(), keyspace.watch.key_count())
            };
            kv(out, "watching_clients", &watching);
            kv(out, "clients_in_timeout_table", &timed);
            kv(out, "total_watched_keys", &watched);
            kv(out, "total_blocking_keys", &blocking_keys);
            // Only XREADGROUP and modules wait for a key's deletion.
            kv(out, "total_blocking_keys_on_nokey", &0);
        }
        "memory" => {
            out.push_str("# Memory\r\n");
            super::memory::write_info(session, ks, out);
        }
        "persistence" => {
            out.push_str("# Persistence\r\n");
            kv(out, "loading", &0);
            kv(out, "async_loading", &0);
            for field in [
                "current_cow_peak",
                "current_cow_size",
                "current_cow_size_age",
            ] {
                kv(out, field, &0);
            }
            kv(out, "current_fork_perc", &"0.00");
            kv(out, "current_save_keys_processed", &0);
            kv(out, "current_save_keys_total", &0);
            kv(out, "rdb_changes_since_last_save", &ks.get().dirty);
            let last_save = shared.last_save_secs.load(Relaxed);
            for (name, value) in shared.persist.info_fields(now_ms(), last_save) {
                kv(out, name, &value);
            }
            shared.aof.info(out);
        }
        "stats" => {
            use crate::instantaneous::Metric;
            use crate::pubsub::Kind;
            let keyspace = ks.get();
            let (hits, misses, expired, evicted) = (
                keyspace.keyspace_hits,
                keyspace.keyspace_misses,
                keyspace.expired_keys,
                keyspace.evicted_keys,
            );
            let load = |counter: &std::sync::atomic::AtomicU64| counter.load(Relaxed);
            let kbps = |metric| format!("{:.2}", stats.instantaneous.get(metric) as f32 / 1024.0);
            out.push_str("# Stats\r\n");
            kv(
                out,
                "total_connections_received",
                &load(&stats.total_connections_received),
            );
            kv(
                out,
                "total_commands_processed",
                &load(&stats.total_commands_processed),
            );
            kv(
                out,
                "instantaneous_ops_per_sec",
                &stats.instantaneous.get(Metric::Commands),
            );
            kv(
                out,
                "total_net_input_bytes",
                &load(&stats.total_net_input_bytes),
            );
            kv(
                out,
                "total_net_output_bytes",
                &load(&stats.total_net_output_bytes),
            );
            // No replication, no forks, no active defrag, no I/O threads:
            // those figures are zero, as on a Redis that has none.
            kv(out, "total_net_repl_input_bytes", &0);
            kv(out, "total_net_repl_output_bytes", &0);
            kv(out, "instantaneous_input_kbps", &kbps(Metric::NetInput));
            kv(out, "instantaneous_output_kbps", &kbps(Metric::NetOutput));
            kv(out, "instantaneous_input_repl_kbps", &"0.00");
            kv(out, "instantaneous_output_repl_kbps", &"0.00");
            kv(
                out,
                "rejected_connections",
                &load(&stats.rejected_connections),
            );
            for field in ["sync_full", "sync_partial_ok", "sync_partial_err"] {
                kv(out, field, &0);
            }
            kv(out, "expired_keys", &expired);
            kv(out, "expired_stale_perc", &"0.00");
            kv(out, "expired_time_cap_reached_count", &0);
            kv(out, "expire_cycle_cpu_milliseconds", &0);
            kv(out, "evicted_keys", &evicted);
            kv(out, "evicted_clients", &load(&stats.evicted_clients));
            kv(out, "total_eviction_exceeded_time", &0);
            kv(out, "current_eviction_exceeded_time", &0);
            kv(out, "keyspace_hits", &hits);
            kv(out, "keyspace_misses", &misses);
            kv(out, "pubsub_channels", &shared.pubsub.len(Kind::Channel));
            kv(out, "pubsub_patterns", &shared.pubsub.len(Kind::Pattern));
            kv(out, "pubsubshard_channels", &shared.pubsub.len(Kind::Shard));
            for field in [
                "latest_fork_usec",
                "total_forks",
                "migrate_cached_sockets",
                "slave_expires_tracked_keys",
                "active_defrag_hits",
                "active_defrag_misses",
                "active_defrag_key_hits",
                "active_defrag_key_misses",
                "total_active_defrag_time",
                "current_active_defrag_time",
            ] {
                kv(out, field, &0);
            }
            let tracking = &ks.get().tracking;
            kv(out, "tracking_total_keys", &tracking.key_count());
            kv(out, "tracking_total_items", &tracking.item_count());
            kv(out, "tracking_total_prefixes", &tracking.prefix_count());
            kv(
                out,
                "unexpected_error_replies",
                &load(&stats.unexpected_error_replies),
            );
            kv(
                out,
                "total_error_replies",
                &load(&stats.total_error_replies),
            );
            kv(out, "dump_payload_sanitizations", &0);
            kv(
                out,
                "total_reads_processed",
                &load(&stats.total_reads_processed),
            );
            kv(
                out,
                "total_writes_processed",
                &load(&stats.total_writes_processed),
            );
            kv(out, "io_threaded_reads_processed", &0);
            kv(out, "io_threaded_writes_processed", &0);
            kv(
                out,
                "client_output_buffer_limit_disconnections",
                &load(&stats.client_output_buffer_limit_disconnections),
            );
            kv(out, "reply_buffer_shrinks", &0);
            kv(out, "reply_buffer_expands", &0);
            kv(
                out,
                "acl_access_denied_auth",
                &load(&stats.acl_access_denied_auth),
            );
            kv(
                out,
                "acl_access_denied_cmd",
                &load(&stats.acl_access_denied_cmd),
            );
            kv(
                out,
                "acl_access_denied_key",
                &load(&stats.acl_access_denied_key),
            );
            kv(
                out,
                "acl_access_denied_channel",
                &load(&stats.acl_access_denied_channel),
            );
        }
        "replication" => {
            out.push_str("# Replication\r\n");
            kv(out, "role", &"master");
            kv(out, "connected_slaves", &0);
            kv(out, "master_failover_state", &"no-failover");
            kv(out, "master_replid", &shared.run_id);
            kv(
                out,
                "master_replid2",
                &"0000000000000000000000000000000000000000",
            );
            kv(out, "master_repl_offset", &0);
            kv(out, "second_repl_offset", &-1);
            kv(out, "repl_backlog_active", &0);
            kv(
                out,
                "repl_backlog_size",
                &shared
                    .config
                    .read()
                    .get_int("repl-backlog-size")
                    .unwrap_or(1 << 20),
            );
            kv(out, "repl_backlog_first_byte_offset", &0);
            kv(out, "repl_backlog_histlen", &0);
        }
        "cpu" => {
            let (user, sys) = crate::alloc::cpu_times();
            out.push_str("# CPU\r\n");
            kv(out, "used_cpu_sys", &format!("{sys:.6}"));
            kv(out, "used_cpu_user", &format!("{user:.6}"));
            // Snapshots and rewrites run on threads: no child processes.
            kv(out, "used_cpu_sys_children", &"0.000000");
            kv(out, "used_cpu_user_children", &"0.000000");
            let (thread_user, thread_sys) = crate::alloc::thread_cpu_times();
            kv(out, "used_cpu_sys_main_thread", &format!("{thread_sys:.6}"));
            kv(
                out,
                "used_cpu_user_main_thread",
                &format!("{thread_user:.6}"),
            );
        }
        "modules" => out.push_str("# Modules\r\n"),
        "cluster" => {
            out.push_str("# Cluster\r\n");
            kv(out, "cluster_enabled", &0);
        }
        "errorstats" => {
            out.push_str("# Errorstats\r\n");
            for (code, count) in stats.error_counts() {
                kv(out, &format!("errorstat_{code}"), &format!("count={count}"));
            }
        }
        "commandstats" => {
            out.push_str("# Commandstats\r\n");
            for cmd in shared.table.iter() {
                let stat = &stats.commands[cmd.id as usize];
                let (calls, usec, rejected, failed) = (
                    stat.calls.load(Relaxed),
                    stat.usec.load(Relaxed),
                    stat.rejected_calls.load(Relaxed),
                    stat.failed_calls.load(Relaxed),
                );
                if calls + rejected + failed == 0 {
                    continue;
                }
                let per_call = if calls == 0 {
                    0.0
                } else {
                    usec as f64 / calls as f64
                };
                kv(
                    out,
                    &format!("cmdstat_{}", cmd.fullname),
                    &format!("calls={calls},usec={usec},usec_per_call={per_call:.2},rejected_calls={rejected},failed_calls={failed}"),
                );
            }
        }
        "latencystats" => {
            out.push_str("# Latencystats\r\n");
            if shared.limits.latency_tracking() {
                let percentiles = shared.config.read().latency_percentiles().to_vec();
                for cmd in shared.table.iter() {
                    if let Some(histogram) = stats.latency.get(cmd.id as usize) {
                        let values: Vec<String> = percentiles
                            .iter()
                            .map(|&p| {
                                format!(
                                    "p{}={:.3}",
                                    moat_config::numeric::format_percentile(p),
                                    histogram.value_at_percentile(p) as f64 / 1000.0
                                )
                            })
                            .collect();
                        kv(
                            out,
                            &format!("latency_percentiles_usec_{}", cmd.fullname),
                            &values.join(","),
                        );
                    }
                }
            }
        }
        "keyspace" => {
            out.push_str("# Keyspace\r\n");
            for l in ks.get().info_keyspace_lines() {
                out.push_str(&l);
                out.push_str("\r\n");
            }
        }
        _ => {}
    }
}

fn kv(out: &mut String, key: &str, value: &dyn std::fmt::Display) {
    let _ = write!(out, "{key}:{value}\r\n");
}

/// `1.37M`-style sizes, as Redis's bytesToHuman prints them.
pub(super) fn human_bytes(n: u64) -> String {
    let n = n as f64;
    let units = [
        ("B", 1.0),
        ("K", 1024.0),
        ("M", 1024.0 * 1024.0),
        ("G", 1024.0 * 1024.0 * 1024.0),
        ("T", 1024.0f64.powi(4)),
    ];
    for (i, (unit, size)) in units.iter().enumerate() {
        let next = units.get(i + 1).map(|u| u.1).unwrap_or(f64::INFINITY);
        if n < next {
            return if *unit == "B" {
                format!("{}B", n as u64)
            } else {
                format!("{:.2}{unit}", n / size)
            };
        }
    }
    format!("{n}B")
}

/// `DEBUG OBJECT key`: Redis's one-line description of a value. The
/// address is the value's own (stable while the key is not rewritten);
/// `serializedlength` is what the value takes in an RDB file.
fn debug_object(session: &mut Session, ks: &mut KeyspaceLock<'_>, key: &Bytes) -> Frame {
    let db_index = session.client.db;
    let compression = session
        .shared
        .config
        .read()
        .get_text("rdbcompression")
        .as_deref()
        != Some("no");
    let keyspace = ks.get();
    let db = keyspace.view(db_index, now_ms());
    let Some(slot) = db.find_stored(key) else {
        return Frame::error("ERR no such key");
    };
    let idle = db.idle_seconds(slot).unwrap_or(0);
    let Some(entry) = db.entry(slot) else {
        return Frame::error("ERR no such key");
    };
    let value = &entry.value;
    let serialized = crate::persist::serialized_length(key, value, compression).unwrap_or(0);
    let address = value as *const crate::db::Value as usize;
    Frame::Simple(Bytes::from(format!(
        "Value at:{address:#x} refcount:{} encoding:{} serializedlength:{serialized} lru:{} lru_seconds_idle:{idle}",
        value.refcount(),
        value.encoding(),
        entry.access_word() & 0x00ff_ffff,
    )))
}
