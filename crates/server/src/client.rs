//! Per-connection state that handlers may read or change.

use moat_resp::Protocol;

/// The part of a connection's state that command handlers see. Identity
/// (the user) is deliberately absent: handlers never decide permissions.
#[derive(Debug, Default)]
pub struct ClientState {
    pub id: u64,
    /// Selected database index.
    pub db: usize,
    pub name: Option<bytes::Bytes>,
    pub protocol: Protocol,
    /// Set by dispatch: false inside MULTI/EXEC, where blocking commands
    /// answer at once as if their timeout had expired.
    pub may_block: bool,
    /// A handler's request to block ([`crate::cmd::Ctx::block_on`]), taken
    /// by dispatch after the handler returns.
    pub block: Option<crate::blocking::BlockRequest>,
}
