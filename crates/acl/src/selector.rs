//! A selector: command bitmap, key patterns, channel patterns, databases.
//!
//! The selector keeps two views of the same permissions. The *source* view
//! (flags, ordered pattern lists, the retained `command_rules`) is what the
//! rules built and what `ACL LIST` prints back. The *compiled* view (pattern
//! sets per permission, see [`crate::matcher`]) is what the permission
//! check reads; it is built on first use after a change, so a user snapshot
//! shared by many connections compiles once.

use crate::command_bits::CommandBits;
use crate::error::RuleErrorKind;
use crate::matcher::PatternSet;
use crate::rules::{KeyPerms, SelectorRule};
use crate::user::PubsubDefault;
use bytes::Bytes;
use hashbrown::HashSet;
use moat_commands::{Category, Command, CommandId, CommandTable};
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// A key pattern and what it allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPattern {
    pub pattern: Bytes,
    pub perms: KeyPerms,
}

/// Which databases a selector may use (Valkey 9.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DatabasePermission {
    /// `alldbs`, the default.
    #[default]
    All,
    /// `db=...` (or `resetdbs`: the empty set).
    Only(BTreeSet<u32>),
}

impl DatabasePermission {
    pub fn allows(&self, db: i64) -> bool {
        match self {
            DatabasePermission::All => true,
            DatabasePermission::Only(ids) => u32::try_from(db).is_ok_and(|id| ids.contains(&id)),
        }
    }
}

/// One retained `+x`/`-x` command rule, lowercased (`get`, `@hash`,
/// `client|list`, `select|0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandRule {
    pub allow: bool,
    pub name: Vec<u8>,
}

/// One selector of a user.
#[derive(Debug, Clone)]
pub struct Selector {
    pub(crate) all_keys: bool,
    pub(crate) all_channels: bool,
    pub(crate) all_commands: bool,
    pub(crate) commands: CommandBits,
    /// Deprecated `+cmd|arg` allowances, by command id.
    pub(crate) first_args: Vec<(CommandId, Vec<Bytes>)>,
    pub(crate) keys: Vec<KeyPattern>,
    pub(crate) channels: Vec<Bytes>,
    pub(crate) command_rules: Vec<CommandRule>,
    pub(crate) databases: DatabasePermission,
    compiled: OnceLock<CompiledPatterns>,
}

/// The patterns grouped and compiled for the check.
#[derive(Debug, Clone)]
pub(crate) struct CompiledPatterns {
    read_write: PatternSet,
    read_only: PatternSet,
    write_only: PatternSet,
    channels: PatternSet,
    /// PSUBSCRIBE compares patterns literally.
    channel_literals: HashSet<Bytes>,
}

impl PartialEq for Selector {
    fn eq(&self, other: &Selector) -> bool {
        self.all_keys == other.all_keys
            && self.all_channels == other.all_channels
            && self.all_commands == other.all_commands
            && self.commands == other.commands
            && self.first_args == other.first_args
            && self.keys == other.keys
            && self.channels == other.channels
            && self.command_rules == other.command_rules
            && self.databases == other.databases
    }
}

impl Selector {
    /// A new selector: no commands, no keys, all databases, and every
    /// channel only when `acl-pubsub-default` is `allchannels`.
    pub fn new(pubsub_default: PubsubDefault) -> Selector {
        Selector {
            all_keys: false,
            all_channels: pubsub_default == PubsubDefault::AllChannels,
            all_commands: false,
            commands: CommandBits::default(),
            first_args: Vec::new(),
            keys: Vec::new(),
            channels: Vec::new(),
            command_rules: Vec::new(),
            databases: DatabasePermission::All,
            compiled: OnceLock::new(),
        }
    }

    pub fn has_all_keys(&self) -> bool {
        self.all_keys
    }

    pub fn has_all_channels(&self) -> bool {
        self.all_channels
    }

    pub fn has_all_commands(&self) -> bool {
        self.all_commands
    }

    pub fn key_patterns(&self) -> &[KeyPattern] {
        &self.keys
    }

    pub fn channel_patterns(&self) -> &[Bytes] {
        &self.channels
    }

    pub fn databases(&self) -> &DatabasePermission {
        &self.databases
    }

    /// Whether the command's bit is set (first-arg allowances aside).
    pub fn allows_command_id(&self, id: CommandId) -> bool {
        self.commands.get(id)
    }

    /// Applies one rule, as Redis's `ACLSetSelector`.
    pub fn apply(&mut self, rule: &SelectorRule) -> Result<(), RuleErrorKind> {
        self.compiled = OnceLock::new();
        let table = CommandTable::global();
        match rule {
            SelectorRule::AllCommands => {
                self.commands.set_all();
                self.all_commands = true;
                self.command_rules.clear();
                self.first_args.clear();
            }
            SelectorRule::NoCommands => {
                self.commands.clear_all();
                self.all_commands = false;
                self.command_rules.clear();
                self.first_args.clear();
            }
            SelectorRule::AllowCommand(id) | SelectorRule::DenyCommand(id) => {
                let allow = matches!(rule, SelectorRule::AllowCommand(_));
                let cmd = table.get(*id);
                self.change_command(cmd, allow);
                self.retain_command_rule(allow, cmd.fullname.as_bytes().to_vec());
            }
            SelectorRule::AllowFirstArg { command, first_arg } => {
                self.add_first_arg(*command, first_arg);
                let mut name = table.get(*command).fullname.as_bytes().to_vec();
                name.push(b'|');
                name.extend(first_arg.iter().map(u8::to_ascii_lowercase));
                self.retain_command_rule(true, name);
            }
            SelectorRule::AllowCategory(category) | SelectorRule::DenyCategory(category) => {
                let allow = matches!(rule, SelectorRule::AllowCategory(_));
                self.retain_command_rule(allow, format!("@{}", category.name()).into_bytes());
                self.change_category(table, *category, allow);
            }
            SelectorRule::AllKeys => {
                self.all_keys = true;
                self.keys.clear();
            }
            SelectorRule::ResetKeys => {
                self.all_keys = false;
                self.keys.clear();
            }
            SelectorRule::KeyPattern { pattern, perms } => {
                if self.all_keys {
                    return Err(RuleErrorKind::KeyPatternAfterAllKeys);
                }
                match self.keys.iter_mut().find(|k| k.pattern == *pattern) {
                    Some(existing) => existing.perms = existing.perms.union(*perms),
                    None => self.keys.push(KeyPattern {
                        pattern: pattern.clone(),
                        perms: *perms,
                    }),
                }
            }
            SelectorRule::InvalidKeyPattern if self.all_keys => {
                return Err(RuleErrorKind::KeyPatternAfterAllKeys)
            }
            SelectorRule::InvalidKeyPattern | SelectorRule::InvalidChannelPattern => {
                return Err(RuleErrorKind::Syntax)
            }
            SelectorRule::AllChannels => {
                self.all_channels = true;
                self.channels.clear();
            }
            SelectorRule::ResetChannels => {
                self.all_channels = false;
                self.channels.clear();
            }
            SelectorRule::ChannelPattern(pattern) => {
                if self.all_channels {
                    return Err(RuleErrorKind::ChannelPatternAfterAllChannels);
                }
                if !self.channels.contains(pattern) {
                    self.channels.push(pattern.clone());
                }
            }
            SelectorRule::AllDatabases => self.databases = DatabasePermission::All,
            SelectorRule::ResetDatabases => {
                self.databases = DatabasePermission::Only(BTreeSet::new())
            }
            SelectorRule::Databases(ids) => self.databases = DatabasePermission::Only(ids.clone()),
            SelectorRule::Invalid(kind) => return Err(*kind),
        }
        Ok(())
    }

    /// `+cmd`/`-cmd`: the command's bit and, for a container, every
    /// subcommand's bit; first-arg allowances of the command are dropped.
    fn change_command(&mut self, cmd: &Command, allow: bool) {
        self.set_command_bit(cmd.id, allow);
        self.first_args.retain(|(id, _)| *id != cmd.id);
        for &sub in &cmd.subcommands {
            self.set_command_bit(sub, allow);
        }
    }

    fn set_command_bit(&mut self, id: CommandId, allow: bool) {
        self.commands.set(id, allow);
        if !allow {
            self.all_commands = false;
        }
    }

    /// `+@cat`/`-@cat`: every command and subcommand in the category, each
    /// changed as `+cmd`/`-cmd` would (so a container in the category
    /// carries all its subcommands along, as in Redis).
    fn change_category(&mut self, table: &CommandTable, category: Category, allow: bool) {
        for cmd in table.in_category(category) {
            self.change_command(cmd, allow);
        }
    }

    fn add_first_arg(&mut self, command: CommandId, first_arg: &Bytes) {
        let position = self.first_args.iter().position(|(id, _)| *id == command);
        let args = match position {
            Some(i) => &mut self.first_args[i].1,
            None => {
                self.first_args.push((command, Vec::new()));
                &mut self.first_args.last_mut().expect("just pushed").1
            }
        };
        if !args.iter().any(|a| a.eq_ignore_ascii_case(first_arg)) {
            args.push(first_arg.clone());
        }
    }

    /// Appends a rule to the retained text after dropping every earlier
    /// rule for the same name or for one of its `name|...` children
    /// (Redis 7.2's `ACLUpdateCommandRules`).
    fn retain_command_rule(&mut self, allow: bool, name: Vec<u8>) {
        self.command_rules
            .retain(|rule| !names_same_or_child(&rule.name, &name));
        self.command_rules.push(CommandRule { allow, name });
    }

    /// Allowed first arguments of a command (deprecated `+cmd|arg`).
    pub(crate) fn first_args_of(&self, id: CommandId) -> Option<&[Bytes]> {
        self.first_args
            .iter()
            .find(|(cmd, _)| *cmd == id)
            .map(|(_, args)| args.as_slice())
    }

    pub(crate) fn may_run_future_commands(&self) -> bool {
        self.commands.may_run_future_commands()
    }

    pub(crate) fn compiled(&self) -> &CompiledPatterns {
        self.compiled.get_or_init(|| {
            let group = |want: KeyPerms| {
                PatternSet::new(
                    self.keys
                        .iter()
                        .filter(|k| k.perms == want)
                        .map(|k| k.pattern.as_ref()),
                )
            };
            CompiledPatterns {
                read_write: group(KeyPerms::READ_WRITE),
                read_only: group(KeyPerms {
                    read: true,
                    write: false,
                }),
                write_only: group(KeyPerms {
                    read: false,
                    write: true,
                }),
                channels: PatternSet::new(self.channels.iter().map(|c| c.as_ref())),
                channel_literals: self.channels.iter().cloned().collect(),
            }
        })
    }

    /// PUBLISH/SUBSCRIBE-style access: some channel pattern glob-matches.
    pub(crate) fn channel_allowed(&self, channel: &[u8]) -> bool {
        self.all_channels || self.compiled().channels.matches(channel)
    }

    /// PSUBSCRIBE-style access: the pattern is literally one of ours.
    /// Redis compares with `strcmp`, so the argument ends at a NUL byte.
    pub(crate) fn channel_pattern_allowed(&self, pattern: &[u8]) -> bool {
        if self.all_channels {
            return true;
        }
        let end = pattern
            .iter()
            .position(|&c| c == 0)
            .unwrap_or(pattern.len());
        self.compiled().channel_literals.contains(&pattern[..end])
    }

    /// SORT BY/GET: `allkeys`, or a literal `*` pattern with the perms.
    pub(crate) fn has_unrestricted_key_access(&self, needed: KeyPerms) -> bool {
        self.all_keys
            || self
                .keys
                .iter()
                .any(|k| k.perms.covers(needed) && k.pattern.as_ref() == b"*")
    }
}

impl CompiledPatterns {
    /// Whether some key pattern with at least the `needed` perms matches.
    #[inline]
    pub(crate) fn key_allowed(&self, key: &[u8], needed: KeyPerms) -> bool {
        self.read_write.matches(key)
            || (!needed.write && self.read_only.matches(key))
            || (!needed.read && self.write_only.matches(key))
    }
}

/// `existing` equals `new`, or is `new` followed by `|...`.
fn names_same_or_child(existing: &[u8], new: &[u8]) -> bool {
    existing
        .strip_prefix(new)
        .is_some_and(|rest| rest.is_empty() || rest[0] == b'|')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_match_themselves_and_their_children() {
        assert!(names_same_or_child(b"config", b"config"));
        assert!(names_same_or_child(b"config|get", b"config"));
        assert!(!names_same_or_child(b"configx", b"config"));
        assert!(!names_same_or_child(b"config", b"config|get"));
        assert!(names_same_or_child(b"@hash", b"@hash"));
    }

    #[test]
    fn database_permissions() {
        assert!(DatabasePermission::All.allows(5));
        let only = DatabasePermission::Only([0, 2].into_iter().collect());
        assert!(only.allows(0) && only.allows(2));
        assert!(!only.allows(1) && !only.allows(-1));
        assert!(!DatabasePermission::Only(BTreeSet::new()).allows(0));
    }
}
