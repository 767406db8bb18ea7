//! A connection's last command lookup, kept by the exact name bytes.
//!
//! Clients repeat a handful of commands, in the same spelling each time.
//! Resolving a name means lowercasing it and probing the command table's
//! hash map; comparing it with the previous request's name is a few
//! instructions. Only plain commands are kept: a container's resolution
//! depends on its subcommand argument too.

use bytes::Bytes;
use moat_commands::{Command, CommandTable, Resolved};

/// Names longer than this are resolved every time.
const MAX_NAME: usize = 16;

#[derive(Default)]
pub struct CommandCache {
    name: [u8; MAX_NAME],
    len: usize,
    cmd: Option<&'static Command>,
}

impl CommandCache {
    /// [`CommandTable::resolve`], answered from the cache when `argv`
    /// names the same command with the same bytes as last time.
    pub fn resolve(&mut self, table: &'static CommandTable, argv: &[Bytes]) -> Resolved<'static> {
        if let (Some(cmd), Some(name)) = (self.cmd, argv.first()) {
            if name[..] == self.name[..self.len] {
                return Resolved::Command(cmd);
            }
        }
        let resolved = table.resolve(argv);
        if let (Resolved::Command(cmd), Some(name)) = (&resolved, argv.first()) {
            if cmd.parent.is_none() && !cmd.is_container() && name.len() <= MAX_NAME {
                self.name[..name.len()].copy_from_slice(name);
                self.len = name.len();
                self.cmd = Some(*cmd);
            }
        }
        resolved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<Bytes> {
        words
            .iter()
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect()
    }

    fn name(resolved: Resolved<'_>) -> String {
        match resolved {
            Resolved::Command(cmd) => cmd.fullname.clone(),
            Resolved::UnknownCommand => "unknown".into(),
            Resolved::UnknownSubcommand(_) => "unknown subcommand".into(),
        }
    }

    #[test]
    fn answers_like_the_table_whatever_came_before() {
        let table = CommandTable::global();
        let mut cache = CommandCache::default();
        let requests = [
            &["GET", "k"][..],
            &["GET", "k"],
            &["get", "k"],
            &["gets", "k"],
            &["GE"],
            &["client", "list"],
            &["client", "nosuch"],
            &["client", "list"],
            &["set", "k", "v"],
            &["SET", "k", "v"],
            &["averyveryverylongcommandname"],
            &["set"],
        ];
        for words in requests {
            let argv = argv(words);
            assert_eq!(
                name(cache.resolve(table, &argv)),
                name(table.resolve(&argv)),
                "{words:?}"
            );
        }
    }
}
