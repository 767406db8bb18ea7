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
    /// Whether the user running the current request may read every key
    /// with it (Redis's `ACLUserCheckCmdWithUnrestrictedKeyAccess`): the
    /// one permission a handler needs to know, because SORT's `BY` and
    /// `GET` patterns name keys no key spec can show. Dispatch sets it
    /// before each call of a command that asks ([`asks_for_any_key_read`]),
    /// and clears it for every other command, so it never outlives the
    /// request it was computed for.
    pub may_read_any_key: bool,
    /// Set by dispatch: false inside MULTI/EXEC, where blocking commands
    /// answer at once as if their timeout had expired.
    pub may_block: bool,
    /// A handler's request to block ([`crate::cmd::Ctx::block_on`]), taken
    /// by dispatch after the handler returns.
    pub block: Option<crate::blocking::BlockRequest>,
}

/// The commands whose handlers read [`ClientState::may_read_any_key`]:
/// SORT and SORT_RO, known by the key function the command table gives
/// them (their BY/GET patterns are what no key spec can describe).
pub fn asks_for_any_key_read(cmd: &moat_commands::Command) -> bool {
    use moat_commands::KeyFunction;
    matches!(
        cmd.key_function,
        Some(KeyFunction::Sort | KeyFunction::SortRo)
    )
}
