//! Key and channel extraction from a request, driven by key specs.

use crate::{Command, KeySpecFlags};
use bytes::Bytes;

/// A key argument and the flags of the key spec that found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRef {
    /// Index into argv.
    pub index: usize,
    pub flags: KeySpecFlags,
}

/// How a pub/sub argument is checked against channel permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    /// PUBLISH/SUBSCRIBE/SPUBLISH/SSUBSCRIBE: glob-matched by the user's patterns.
    Channel,
    /// PSUBSCRIBE: must literally equal one of the user's patterns.
    Pattern,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelRef {
    pub index: usize,
    pub kind: ChannelKind,
}

/// The keys of `argv` for `cmd`, as Redis extracts them for ACL checks and
/// `COMMAND GETKEYS(ANDFLAGS)`: key specs first; INCOMPLETE/unknown specs or
/// VARIABLE_FLAGS fall back to the command's own key function (SET with
/// GET, BITFIELD, SORT, MIGRATE, EVAL/FCALL, GEORADIUS STORE, ...); specs
/// with NOT_KEY are skipped. Invalid numkeys yields no keys.
pub fn extract_keys(cmd: &Command, argv: &[Bytes]) -> Vec<KeyRef> {
    let _ = (cmd, argv);
    todo!("moat-commands: extract_keys")
}

/// The channel arguments ACL checks for `cmd` (empty for commands that
/// are not PUBLISH, SPUBLISH, SUBSCRIBE, SSUBSCRIBE or PSUBSCRIBE).
pub fn extract_channels(cmd: &Command, argv: &[Bytes]) -> Vec<ChannelRef> {
    let _ = (cmd, argv);
    todo!("moat-commands: extract_channels")
}
