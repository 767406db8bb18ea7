//! CONFIG GET/SET/RESETSTAT/REWRITE/HELP.
//!
//! The configuration table and its rules live in `moat-config`; this file
//! applies the side effects a changed value has on the running server
//! (the default user's password, the ACL log length, cached limits).

use super::{help_reply, subcommand_syntax_error};
use crate::dispatch::{KeyspaceLock, SessionHandler};
use crate::session::Session;
use bytes::Bytes;
use moat_config::ConfigSetError;
use moat_resp::Frame;

pub const HANDLERS: &[(&str, SessionHandler)] = &[
    ("config|get", get),
    ("config|set", set),
    ("config|resetstat", resetstat),
    ("config|rewrite", rewrite),
    ("config|help", help),
];

fn get(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    let pairs = session.shared.config.read().get(&argv[2..]);
    Frame::Map(
        pairs
            .into_iter()
            .map(|(name, value)| {
                (
                    Frame::Bulk(Bytes::from(name)),
                    Frame::Bulk(Bytes::from(value)),
                )
            })
            .collect(),
    )
}

fn set(session: &mut Session, ks: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    // A name without a value: Redis 7 answers a plain syntax error (the
    // "Unknown option or number of arguments" text is for unknown names).
    if !argv.len().is_multiple_of(2) {
        return ConfigSetError::Syntax.reply();
    }
    let pairs: Vec<(Bytes, Bytes)> = argv[2..]
        .chunks(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect();
    let changed = match session.shared.config.write().set(&pairs) {
        Ok(changed) => changed,
        Err(error) => return error.reply(),
    };
    for name in changed {
        apply_change(session, ks, name);
    }
    Frame::ok()
}

/// Propagates one changed directive to the running server.
fn apply_change(session: &mut Session, ks: &mut KeyspaceLock<'_>, name: &str) {
    let shared = &session.shared;
    let config = shared.config.read();
    match name {
        "requirepass" => {
            let password = config.requirepass().filter(|p| !p.is_empty());
            shared.acl.write().registry.set_requirepass(password);
            shared.bump_acl_epoch();
        }
        "acllog-max-len" => shared
            .acl
            .write()
            .log
            .set_max_len(config.get_int("acllog-max-len").unwrap_or(128).max(0) as usize),
        "acl-pubsub-default" => {
            let default = crate::startup::pubsub_default(&config);
            shared.acl.write().registry.set_pubsub_default(default);
        }
        "proto-max-bulk-len" => {
            shared.limits.refresh(&config);
            ks.get().apply_config(&config);
        }
        "notify-keyspace-events" | "lazyfree-lazy-expire" | "lazyfree-lazy-eviction" => {
            ks.get().apply_config(&config)
        }
        "client-output-buffer-limit" => shared.limits.load_output_buffer_limits(&config),
        "client-query-buffer-limit"
        | "slowlog-log-slower-than"
        | "latency-monitor-threshold"
        | "latency-tracking"
        | "busy-reply-threshold"
        | "timeout"
        | "maxmemory-clients" => shared.limits.refresh(&config),
        "tracking-table-max-keys" => {
            shared.limits.refresh(&config);
            crate::tracking::note_limit(shared, &ks.get().tracking);
        }
        "slowlog-max-len" => {
            shared.limits.refresh(&config);
            shared.slowlog.lock().trim(shared.limits.slowlog_max_len());
        }
        name if crate::db::THRESHOLD_DIRECTIVES.contains(&name) => {
            ks.get().apply_config(&config);
        }
        "maxmemory-policy"
        | "hll-sparse-max-bytes"
        | "rdbcompression"
        | "lfu-log-factor"
        | "lfu-decay-time"
        | "stream-node-max-entries"
        | "stream-node-max-bytes" => ks.get().apply_config(&config),
        "maxmemory" | "maxmemory-samples" | "maxmemory-eviction-tenacity" => {
            shared.limits.refresh(&config);
            ks.get().apply_config(&config);
            let (limit, used) = (shared.limits.maxmemory(), crate::oom::used_memory());
            if name == "maxmemory" && limit > 0 && limit < used {
                // Redis's words; the cron then evicts down to the limit.
                tracing::warn!("WARNING: the new maxmemory value set via CONFIG SET ({limit}) is smaller than the current memory usage ({used}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.");
            }
        }
        "appendfsync"
        | "aof-timestamp-enabled"
        | "auto-aof-rewrite-percentage"
        | "auto-aof-rewrite-min-size"
        | "aof-disable-auto-gc"
        | "aof-load-truncated"
        | "aof-use-rdb-preamble" => shared.aof.reconfigure(&config),
        "appendonly" => {
            let on = config.get_text("appendonly").as_deref() == Some("yes");
            drop(config);
            super::aof::apply_appendonly(session, ks, on);
        }
        _ => {}
    }
}

fn resetstat(session: &mut Session, ks: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    session.shared.stats.reset();
    ks.get().reset_stats();
    Frame::ok()
}

fn rewrite(session: &mut Session, _: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    let Some(path) = session.shared.config_file.clone() else {
        return Frame::error("ERR The server is running without a config file");
    };
    // With an aclfile users belong to ACL SAVE; otherwise they are written
    // back as `user` lines, passwords as #hashes only.
    let users = {
        let acl = session.shared.acl.read();
        match acl.aclfile {
            Some(_) => None,
            None => Some(
                acl.registry
                    .users()
                    .map(|u| u.describe())
                    .collect::<Vec<_>>(),
            ),
        }
    };
    match session.shared.config.read().rewrite(&path, users) {
        Ok(()) => {
            tracing::info!("CONFIG REWRITE executed with success.");
            Frame::ok()
        }
        Err(error) => {
            tracing::warn!(
                "CONFIG REWRITE failed: {}",
                crate::startup::io_error_text(&error)
            );
            Frame::error(format!(
                "ERR Rewriting config file: {}",
                crate::startup::io_error_text(&error)
            ))
        }
    }
}

fn help(_: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    if argv.len() != 2 {
        return subcommand_syntax_error("CONFIG", &argv[1]);
    }
    help_reply(&[
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        "HELP",
        "    Print this help.",
    ])
}
