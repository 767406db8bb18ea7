//! What a standalone master answers to the cluster, replication and
//! module commands.
//!
//! moat runs as Redis does with `cluster-enabled no`, no replicas and no
//! modules loaded. Clients and tools probe these commands to learn the
//! topology (`ROLE`, `CLUSTER INFO`, `READONLY`, `MODULE LIST`), so each
//! gets the reply Redis gives in that state rather than "unknown
//! command". Starting replication (`REPLICAOF host port`) and loading a C
//! module are not things moat can do: those requests are refused with an
//! error saying so, after the argument checks Redis makes first.

use super::help_reply;
use crate::dispatch::{KeyspaceLock, SessionHandler};
use crate::session::Session;
use bytes::Bytes;
use moat_resp::Frame;

pub fn handlers() -> Vec<(&'static str, SessionHandler)> {
    // Every CLUSTER subcommand the table declares answers the same.
    let table = moat_commands::CommandTable::global();
    let mut all: Vec<(&'static str, SessionHandler)> = table
        .lookup(b"cluster")
        .map(|cluster| {
            table
                .subcommands(cluster)
                .map(|sub| (sub.fullname.as_str(), cluster_disabled as SessionHandler))
                .collect()
        })
        .unwrap_or_default();
    all.extend_from_slice(&[
        ("readonly", cluster_disabled as SessionHandler),
        ("readwrite", cluster_disabled),
        ("asking", cluster_disabled),
        ("role", role),
        ("replicaof", replicaof),
        ("slaveof", replicaof),
        ("module|list", module_list),
        ("module|help", module_help),
        ("module|load", module_load),
        ("module|loadex", module_load),
        ("module|unload", module_unload),
    ]);
    all
}

/// Redis checks `cluster_enabled` before anything else in CLUSTER,
/// READONLY, READWRITE and ASKING.
fn cluster_disabled(_: &mut Session, _: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    Frame::error("ERR This instance has cluster support disabled")
}

/// A master without replicas: its role, replication offset (no backlog
/// was ever created, so 0) and no replicas.
fn role(_: &mut Session, _: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    Frame::Array(vec![
        Frame::Bulk(Bytes::from_static(b"master")),
        Frame::Integer(0),
        Frame::Array(vec![]),
    ])
}

/// `REPLICAOF NO ONE` is what a master already is; a master address is
/// checked as Redis checks it, then refused: moat does not replicate.
fn replicaof(_: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    if argv[1].eq_ignore_ascii_case(b"no") && argv[2].eq_ignore_ascii_case(b"one") {
        return Frame::ok();
    }
    let port = moat_resp::string2ll(&argv[2]).filter(|port| (0..=65535).contains(port));
    if port.is_none() {
        return Frame::error("ERR Invalid master port");
    }
    Frame::error("ERR moat does not support replication: it cannot become a replica")
}

fn module_list(_: &mut Session, _: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    Frame::Array(vec![])
}

fn module_help(_: &mut Session, _: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    help_reply(&[
        "MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LIST",
        "    Return a list of loaded modules.",
        "LOAD <path> [<arg> ...]",
        "    Load a module library from <path>, passing to it any optional arguments.",
        "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
        "    Load a module library from <path>, while passing it module configurations and optional arguments.",
        "UNLOAD <name>",
        "    Unload a module.",
        "HELP",
        "    Print this help.",
    ])
}

/// Redis's reply when a module fails to load, with the reason in the log
/// as Redis logs it: moat has no module API to load a library into.
fn module_load(_: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    tracing::warn!(
        "Module {} failed to load: moat does not load Redis modules (its JSON documents are built in)",
        String::from_utf8_lossy(&argv[2])
    );
    Frame::error("ERR Error loading the extension. Please check the server logs.")
}

fn module_unload(_: &mut Session, _: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    Frame::error("ERR Error unloading module: no such module with that name")
}
