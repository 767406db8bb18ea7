//! The table: every declaration, by id and by name.

use crate::{Category, Command, CommandId};
use bytes::Bytes;

/// What the first argument(s) of a request name.
#[derive(Debug)]
pub enum Resolved<'a> {
    /// A command or a subcommand of a container.
    Command(&'a Command),
    /// No such command: `ERR unknown command '<x>', with args beginning with: ...`
    UnknownCommand,
    /// A container with an unknown (or missing) subcommand:
    /// `ERR unknown subcommand '<sub>'. Try <CMD> HELP.`
    UnknownSubcommand(&'a Command),
}

/// All commands and subcommands, built once from the declarations in `data/`.
pub struct CommandTable {
    // owned by the implementation
}

impl CommandTable {
    /// The process-wide table (parsed on first use).
    pub fn global() -> &'static CommandTable {
        todo!("moat-commands: global")
    }

    /// Number of ids (commands plus subcommands); ids are `0..len()`.
    pub fn len(&self) -> usize {
        todo!()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, id: CommandId) -> &Command {
        let _ = id;
        todo!()
    }

    /// Every command and subcommand, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Command> {
        std::iter::empty()
    }

    /// Top-level commands only.
    pub fn top_level(&self) -> impl Iterator<Item = &Command> {
        self.iter().filter(|c| c.parent.is_none())
    }

    /// Case-insensitive lookup of a top-level command.
    pub fn lookup(&self, name: &[u8]) -> Option<&Command> {
        let _ = name;
        todo!()
    }

    /// Case-insensitive lookup of a subcommand of `container`.
    pub fn lookup_subcommand(&self, container: &Command, sub: &[u8]) -> Option<&Command> {
        let _ = (container, sub);
        todo!()
    }

    /// Lookup by full name (`get`, `client|kill`), case-insensitive.
    pub fn lookup_fullname(&self, fullname: &[u8]) -> Option<&Command> {
        let _ = fullname;
        todo!()
    }

    /// Resolves a request's argv (argv[0] and, for containers, argv[1]) as
    /// Redis's `lookupCommand` does. A container given alone (`CLIENT`) is
    /// `UnknownSubcommand` only when... no: a container with argc 1 resolves
    /// to the container itself, whose arity check then fails.
    pub fn resolve(&self, argv: &[Bytes]) -> Resolved<'_> {
        let _ = argv;
        todo!()
    }

    /// Commands and subcommands in `category`, by id.
    pub fn in_category(&self, category: Category) -> impl Iterator<Item = &Command> {
        self.iter().filter(move |c| c.categories.contains(category))
    }
}
