//! The table: every declaration, by id and by name.
//!
//! Lookup is on every request's hot path, so it never allocates: names are
//! lowercased into a stack buffer and looked up in a map of lowercase
//! names; subcommands are found by a case-insensitive scan of their
//! container's (short) list.

use crate::load::{load, Declared, DATA_FILES};
use crate::{Category, Command, CommandId, CommandsError};
use bytes::Bytes;
use hashbrown::HashMap;
use std::sync::OnceLock;

/// Longer names cannot be commands (the longest full name is ~30 bytes).
const MAX_NAME_LEN: usize = 64;

/// What the first argument(s) of a request name.
#[derive(Debug)]
pub enum Resolved<'a> {
    /// A command or a subcommand of a container.
    Command(&'a Command),
    /// No such command: `ERR unknown command '<x>', with args beginning with: ...`
    UnknownCommand,
    /// A container with an unknown subcommand:
    /// `ERR unknown subcommand '<sub>'. Try <CMD> HELP.`
    UnknownSubcommand(&'a Command),
}

/// All commands and subcommands, built once from the declarations in `data/`.
pub struct CommandTable {
    commands: Vec<Command>,
    by_name: HashMap<Box<[u8]>, CommandId>,
    by_fullname: HashMap<Box<[u8]>, CommandId>,
}

impl CommandTable {
    /// The process-wide table (parsed on first use).
    pub fn global() -> &'static CommandTable {
        static TABLE: OnceLock<CommandTable> = OnceLock::new();
        // The data is compiled in and checked by this crate's tests, so a
        // failure here is a build defect, not a runtime condition.
        TABLE.get_or_init(|| CommandTable::load_embedded().expect("embedded command data is valid"))
    }

    /// Builds a table from the embedded data files.
    pub fn load_embedded() -> Result<CommandTable, CommandsError> {
        CommandTable::from_declared(load(&DATA_FILES)?)
    }

    /// Assigns dense ids: top-level commands by name, each followed by its
    /// subcommands by name, so a container's id precedes its subcommands'.
    fn from_declared(mut declared: Vec<Declared>) -> Result<CommandTable, CommandsError> {
        declared.sort_by(|a, b| a.command.name.cmp(&b.command.name));
        let total: usize = declared.iter().map(|d| 1 + d.subcommands.len()).sum();
        if total > usize::from(CommandId::MAX) {
            return Err(CommandsError::TooManyCommands(total));
        }
        let mut commands = Vec::with_capacity(total);
        for Declared {
            mut command,
            mut subcommands,
        } in declared
        {
            subcommands.sort_by(|a, b| a.name.cmp(&b.name));
            let parent_id = commands.len() as CommandId;
            command.id = parent_id;
            command.subcommands = (1..=subcommands.len())
                .map(|i| parent_id + i as CommandId)
                .collect();
            commands.push(command);
            for mut sub in subcommands {
                sub.id = commands.len() as CommandId;
                sub.parent = Some(parent_id);
                commands.push(sub);
            }
        }
        let mut by_name = HashMap::new();
        let mut by_fullname = HashMap::new();
        for cmd in &commands {
            if cmd.parent.is_none() {
                by_name.insert(cmd.name.as_bytes().into(), cmd.id);
            }
            by_fullname.insert(cmd.fullname.as_bytes().into(), cmd.id);
        }
        Ok(CommandTable {
            commands,
            by_name,
            by_fullname,
        })
    }

    /// Number of ids (commands plus subcommands); ids are `0..len()`.
    pub fn len(&self) -> usize {
        self.commands.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The command with `id`. Panics on an id this table never issued,
    /// which is a caller bug (ids come from this table).
    pub fn get(&self, id: CommandId) -> &Command {
        &self.commands[usize::from(id)]
    }

    /// Every command and subcommand, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Command> {
        self.commands.iter()
    }

    /// Top-level commands only.
    pub fn top_level(&self) -> impl Iterator<Item = &Command> {
        self.iter().filter(|c| c.parent.is_none())
    }

    /// The subcommands of `container`, by id.
    pub fn subcommands<'a>(
        &'a self,
        container: &'a Command,
    ) -> impl Iterator<Item = &'a Command> + 'a {
        container.subcommands.iter().map(|id| self.get(*id))
    }

    /// Case-insensitive lookup of a top-level command.
    pub fn lookup(&self, name: &[u8]) -> Option<&Command> {
        let mut buf = [0u8; MAX_NAME_LEN];
        let lower = lowercase_into(name, &mut buf)?;
        self.by_name.get(lower).map(|id| self.get(*id))
    }

    /// Case-insensitive lookup of a subcommand of `container`.
    pub fn lookup_subcommand(&self, container: &Command, sub: &[u8]) -> Option<&Command> {
        container
            .subcommands
            .iter()
            .map(|id| self.get(*id))
            .find(|c| c.name.as_bytes().eq_ignore_ascii_case(sub))
    }

    /// Lookup by full name (`get`, `client|kill`), case-insensitive.
    pub fn lookup_fullname(&self, fullname: &[u8]) -> Option<&Command> {
        let mut buf = [0u8; MAX_NAME_LEN];
        let lower = lowercase_into(fullname, &mut buf)?;
        self.by_fullname.get(lower).map(|id| self.get(*id))
    }

    /// Resolves a request's argv as Redis's `lookupCommand` does: a
    /// container followed by an argument names its subcommand (unknown:
    /// [`Resolved::UnknownSubcommand`]); a container given alone resolves to
    /// itself, so that its arity check fails with Redis's message.
    pub fn resolve(&self, argv: &[Bytes]) -> Resolved<'_> {
        let Some(name) = argv.first() else {
            return Resolved::UnknownCommand;
        };
        let Some(cmd) = self.lookup(name) else {
            return Resolved::UnknownCommand;
        };
        match argv.get(1) {
            Some(sub) if cmd.is_container() => match self.lookup_subcommand(cmd, sub) {
                Some(sub) => Resolved::Command(sub),
                None => Resolved::UnknownSubcommand(cmd),
            },
            _ => Resolved::Command(cmd),
        }
    }

    /// Commands and subcommands in `category`, by id.
    pub fn in_category(&self, category: Category) -> impl Iterator<Item = &Command> {
        self.iter().filter(move |c| c.categories.contains(category))
    }
}

/// `name` lowercased into `buf`, or `None` when it is too long to be a command.
fn lowercase_into<'b>(name: &[u8], buf: &'b mut [u8; MAX_NAME_LEN]) -> Option<&'b [u8]> {
    let out = buf.get_mut(..name.len())?;
    for (dst, src) in out.iter_mut().zip(name) {
        *dst = src.to_ascii_lowercase();
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn argv(args: &[&str]) -> Vec<Bytes> {
        args.iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect()
    }

    fn table() -> &'static CommandTable {
        CommandTable::global()
    }

    #[test]
    fn ids_are_dense_and_subcommands_follow_their_container() {
        for (i, cmd) in table().iter().enumerate() {
            assert_eq!(usize::from(cmd.id), i);
            for sub in table().subcommands(cmd) {
                assert_eq!(sub.parent, Some(cmd.id));
                assert!(sub.id > cmd.id);
                assert_eq!(sub.fullname, format!("{}|{}", cmd.name, sub.name));
            }
        }
    }

    #[test]
    fn lookup_ignores_case() {
        assert_eq!(table().lookup(b"GeT").unwrap().fullname, "get");
        assert_eq!(table().lookup(b"JSON.SET").unwrap().fullname, "json.set");
        assert!(table().lookup(b"nosuch").is_none());
        assert!(table().lookup(&[b'a'; 200]).is_none());
        assert!(
            table().lookup(b"kill").is_none(),
            "subcommands are not top-level"
        );
        let client = table().lookup(b"client").unwrap();
        assert_eq!(
            table().lookup_subcommand(client, b"KILL").unwrap().fullname,
            "client|kill"
        );
        assert_eq!(
            table().lookup_fullname(b"CLIENT|Kill").unwrap().fullname,
            "client|kill"
        );
        assert_eq!(
            table()
                .lookup_fullname(b"json.debug|memory")
                .unwrap()
                .fullname,
            "json.debug|memory"
        );
    }

    #[test]
    fn resolve_follows_lookup_command() {
        let t = table();
        assert!(
            matches!(t.resolve(&argv(&["get", "k"])), Resolved::Command(c) if c.fullname == "get")
        );
        assert!(
            matches!(t.resolve(&argv(&["Client", "LIST"])), Resolved::Command(c) if c.fullname == "client|list")
        );
        assert!(
            matches!(t.resolve(&argv(&["client"])), Resolved::Command(c) if c.fullname == "client")
        );
        assert!(
            matches!(t.resolve(&argv(&["client", "nope"])), Resolved::UnknownSubcommand(c) if c.fullname == "client")
        );
        assert!(matches!(
            t.resolve(&argv(&["nosuch"])),
            Resolved::UnknownCommand
        ));
        assert!(matches!(t.resolve(&[]), Resolved::UnknownCommand));
        // A non-container ignores argv[1].
        assert!(
            matches!(t.resolve(&argv(&["get", "list"])), Resolved::Command(c) if c.fullname == "get")
        );
    }

    #[test]
    fn sentinel_only_commands_are_absent() {
        assert!(table().lookup(b"sentinel").is_none());
    }

    #[test]
    fn seven_two_additions_are_present() {
        for name in [
            "waitaof",
            "client|setinfo",
            "client|no-touch",
            "cluster|myshardid",
        ] {
            assert!(table().lookup_fullname(name.as_bytes()).is_some(), "{name}");
        }
        assert_eq!(table().lookup(b"zrank").unwrap().arity, -3);
    }

    proptest! {
        #[test]
        fn lookup_is_case_insensitive_for_every_command(idx in 0usize..400, mask in any::<u64>()) {
            let t = table();
            let cmd = t.get((idx % t.len()) as CommandId);
            let mixed: Vec<u8> = cmd.fullname.bytes().enumerate()
                .map(|(i, b)| if mask >> (i % 64) & 1 == 1 { b.to_ascii_uppercase() } else { b })
                .collect();
            prop_assert_eq!(t.lookup_fullname(&mixed).map(|c| c.id), Some(cmd.id));
        }
    }
}
