//! A user: flags, password hashes and selectors (the first is the root).

use crate::{Denial, Selector};
use bytes::Bytes;
use moat_commands::Command;

/// `acl-pubsub-default`: the channel rights of newly created users and selectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PubsubDefault {
    AllChannels,
    #[default]
    ResetChannels,
}

/// A user. Immutable once built: changes make a new `User` that replaces
/// this one in the [`crate::Registry`], so a connection can keep an
/// `Arc<User>` snapshot and check against it without locks.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    // owned by the implementation
    _selectors: Vec<Selector>,
}

/// The fields of `ACL GETUSER`, in Redis's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserView {
    pub flags: Vec<&'static str>,
    pub passwords: Vec<String>,
    pub commands: String,
    pub keys: String,
    pub channels: String,
    /// Valkey 9.1: `alldbs` or `db=0,1`.
    pub databases: String,
    pub selectors: Vec<SelectorView>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorView {
    pub commands: String,
    pub keys: String,
    pub channels: String,
    pub databases: String,
}

impl User {
    pub fn name(&self) -> &[u8] {
        todo!()
    }

    pub fn is_enabled(&self) -> bool {
        todo!()
    }

    pub fn is_nopass(&self) -> bool {
        todo!()
    }

    /// Whether `password` logs this user in: enabled, and `nopass` or a
    /// stored hash equal (constant time) to sha256(password).
    pub fn authenticate(&self, password: &[u8]) -> bool {
        let _ = password;
        todo!()
    }

    /// The permission check (see [`crate::check`]).
    pub fn check(&self, cmd: &Command, argv: &[Bytes]) -> Result<(), Denial> {
        let _ = (cmd, argv);
        todo!()
    }

    /// SORT's `BY`/`GET` patterns need, in a selector that allows the
    /// command, unrestricted read access to keys.
    pub fn may_sort_by_pattern(&self, cmd: &Command) -> bool {
        let _ = cmd;
        todo!()
    }

    /// The `ACL LIST` line: `user <name> <flags> <#hashes> <root> (<sel>)...`.
    pub fn describe(&self) -> String {
        todo!()
    }

    /// The `ACL GETUSER` fields.
    pub fn view(&self) -> UserView {
        todo!()
    }
}
