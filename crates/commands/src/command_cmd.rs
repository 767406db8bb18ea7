//! The `COMMAND` container, answered entirely from the table.
//!
//! Living next to the table keeps `COMMAND GETKEYS` honest: it runs the
//! very key extraction the ACL engine uses, so what a client is told about
//! a command's keys is what permissions are checked against.

use crate::{
    command_docs_reply, command_info_reply, extract_keys, Category, Command, CommandFlags,
    CommandTable,
};
use crate::{KeySpecFlags, Resolved};
use bytes::Bytes;
use moat_resp::Frame;

const HELP: [&str; 21] = [
    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
    "HELP",
    "    Print this help.",
];

/// The reply to a `COMMAND ...` request (`argv[0]` is `COMMAND`).
/// Unknown subcommands and arity errors are answered with Redis's texts
/// too, so the function is total over any argv.
pub fn command_reply(table: &CommandTable, argv: &[Bytes]) -> Frame {
    if argv.len() <= 1 {
        return Frame::Array(table.top_level().map(command_info_reply).collect());
    }
    let sub = match table.resolve(argv) {
        Resolved::Command(sub) if sub.parent.is_some() => sub,
        _ => {
            return Frame::error(format!(
                "ERR unknown subcommand '{}'. Try COMMAND HELP.",
                printable_arg(&argv[1])
            ))
        }
    };
    if !sub.arity_ok(argv.len()) {
        return Frame::error(format!(
            "ERR wrong number of arguments for '{}' command",
            sub.fullname
        ));
    }
    let args = &argv[2..];
    match sub.name.as_str() {
        "count" => Frame::Integer(table.top_level().count() as i64),
        "info" if args.is_empty() => {
            Frame::Array(table.top_level().map(command_info_reply).collect())
        }
        "info" => Frame::Array(
            args.iter()
                .map(|name| {
                    table
                        .lookup_fullname(name)
                        .map_or(Frame::Null, command_info_reply)
                })
                .collect(),
        ),
        "docs" => {
            let docs = |cmd: &Command| {
                (
                    Frame::Bulk(Bytes::from(cmd.fullname.clone())),
                    command_docs_reply(cmd),
                )
            };
            if args.is_empty() {
                Frame::Map(table.top_level().map(docs).collect())
            } else {
                Frame::Map(
                    args.iter()
                        .filter_map(|name| table.lookup_fullname(name))
                        .map(docs)
                        .collect(),
                )
            }
        }
        "list" => list_reply(table, args),
        "getkeys" => getkeys_reply(table, args, false),
        "getkeysandflags" => getkeys_reply(table, args, true),
        "help" => Frame::Array(HELP.iter().map(|line| Frame::simple(line)).collect()),
        _ => Frame::error(format!(
            "ERR unknown subcommand '{}'. Try COMMAND HELP.",
            printable_arg(&argv[1])
        )),
    }
}

/// `COMMAND LIST [FILTERBY MODULE m | ACLCAT c | PATTERN p]`.
fn list_reply(table: &CommandTable, args: &[Bytes]) -> Frame {
    let names = |filter: &dyn Fn(&Command) -> bool| {
        Frame::Array(
            table
                .iter()
                .filter(|c| filter(c))
                .map(|c| Frame::Bulk(Bytes::from(c.fullname.clone())))
                .collect(),
        )
    };
    match args {
        [] => names(&|_| true),
        [filterby, kind, arg] if filterby.eq_ignore_ascii_case(b"filterby") => {
            if kind.eq_ignore_ascii_case(b"module") {
                names(&|c| {
                    c.module
                        .as_deref()
                        .is_some_and(|m| m.as_bytes().eq_ignore_ascii_case(arg))
                })
            } else if kind.eq_ignore_ascii_case(b"aclcat") {
                match Category::from_name(arg) {
                    Some(cat) => names(&|c| c.categories.contains(cat)),
                    None => Frame::Array(Vec::new()),
                }
            } else if kind.eq_ignore_ascii_case(b"pattern") {
                names(&|c| moat_glob::matches(arg, c.fullname.as_bytes(), true))
            } else {
                Frame::error("ERR syntax error")
            }
        }
        _ => Frame::error("ERR syntax error"),
    }
}

/// `COMMAND GETKEYS[ANDFLAGS] <full-command>`, `args` being the full command.
fn getkeys_reply(table: &CommandTable, args: &[Bytes], with_flags: bool) -> Frame {
    let cmd = match table.resolve(args) {
        Resolved::Command(cmd) => cmd,
        _ => return Frame::error("ERR Invalid command specified"),
    };
    let has_keys = cmd.key_function.is_some()
        || cmd
            .key_specs
            .iter()
            .any(|s| !s.flags.contains(KeySpecFlags::NOT_KEY));
    if !has_keys {
        return Frame::error("ERR The command has no key arguments");
    }
    if !cmd.arity_ok(args.len()) {
        return Frame::error("ERR Invalid number of arguments specified for command");
    }
    let keys = extract_keys(cmd, args);
    if keys.is_empty() && !cmd.flags.contains(CommandFlags::NO_MANDATORY_KEYS) {
        return Frame::error("ERR Invalid arguments specified for command");
    }
    Frame::Array(
        keys.iter()
            .map(|key| {
                let name = Frame::Bulk(args[key.index].clone());
                if with_flags {
                    let flags = key
                        .flags
                        .info_names()
                        .map(|f| Frame::Simple(Bytes::from_static(f.as_bytes())));
                    Frame::Array(vec![name, Frame::Set(flags.collect())])
                } else {
                    name
                }
            })
            .collect(),
    )
}

/// An argument as Redis's `%.128s` + newline scrubbing would print it in
/// an error line: cut at NUL or 128 bytes, CR/LF turned into spaces.
fn printable_arg(arg: &[u8]) -> String {
    let end = arg
        .iter()
        .position(|b| *b == 0)
        .unwrap_or(arg.len())
        .min(128);
    String::from_utf8_lossy(&arg[..end]).replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(args: &[&str]) -> Frame {
        let argv: Vec<Bytes> = args
            .iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect();
        command_reply(CommandTable::global(), &argv)
    }

    fn err(text: &str) -> Frame {
        Frame::error(text)
    }

    fn bulk(s: &str) -> Frame {
        Frame::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }

    #[test]
    fn count_and_all() {
        let t = CommandTable::global();
        assert_eq!(
            reply(&["COMMAND", "COUNT"]),
            Frame::Integer(t.top_level().count() as i64)
        );
        let Frame::Array(all) = reply(&["command"]) else {
            panic!()
        };
        assert_eq!(all.len(), t.top_level().count());
    }

    #[test]
    fn info_and_docs_for_unknown_names() {
        let Frame::Array(items) = reply(&["COMMAND", "INFO", "get", "nosuch", "client|kill"])
        else {
            panic!()
        };
        assert_eq!(items[1], Frame::Null);
        assert!(matches!(&items[2], Frame::Array(e) if e[0] == bulk("client|kill")));
        assert_eq!(reply(&["COMMAND", "DOCS", "nosuch"]), Frame::Map(vec![]));
        let Frame::Map(docs) = reply(&["COMMAND", "DOCS", "GET"]) else {
            panic!()
        };
        assert_eq!(docs[0].0, bulk("get"));
    }

    #[test]
    fn getkeys_errors_match_redis() {
        assert_eq!(
            reply(&["COMMAND", "GETKEYS", "nosuch", "a"]),
            err("ERR Invalid command specified")
        );
        assert_eq!(
            reply(&["COMMAND", "GETKEYS", "client", "nope"]),
            err("ERR Invalid command specified")
        );
        assert_eq!(
            reply(&["COMMAND", "GETKEYS", "ping", "x"]),
            err("ERR The command has no key arguments")
        );
        assert_eq!(
            reply(&["COMMAND", "GETKEYS", "get", "a", "b"]),
            err("ERR Invalid number of arguments specified for command")
        );
        assert_eq!(
            reply(&["COMMAND", "GETKEYS", "zunionstore", "d", "5", "a"]),
            err("ERR Invalid arguments specified for command")
        );
        assert_eq!(
            reply(&["COMMAND", "GETKEYS", "eval", "x", "0"]),
            Frame::Array(vec![])
        );
        assert_eq!(
            reply(&["COMMAND", "GETKEYS", "get"]),
            err("ERR wrong number of arguments for 'command|getkeys' command")
        );
    }

    #[test]
    fn getkeysandflags_pairs_keys_with_flags() {
        let r = reply(&["COMMAND", "GETKEYSANDFLAGS", "set", "a", "b", "get"]);
        let expected = Frame::Array(vec![Frame::Array(vec![
            bulk("a"),
            Frame::Set(vec![
                Frame::simple("RW"),
                Frame::simple("access"),
                Frame::simple("update"),
            ]),
        ])]);
        assert_eq!(r, expected);
    }

    #[test]
    fn list_filters() {
        let Frame::Array(json) = reply(&["COMMAND", "LIST", "FILTERBY", "MODULE", "rejson"]) else {
            panic!()
        };
        assert_eq!(
            json.len(),
            26,
            "24 commands plus json.debug's two subcommands"
        );
        let Frame::Array(scripting) =
            reply(&["COMMAND", "LIST", "FILTERBY", "aclcat", "scripting"])
        else {
            panic!()
        };
        assert_eq!(scripting.len(), 21);
        assert_eq!(
            reply(&["COMMAND", "LIST", "FILTERBY", "aclcat", "nosuch"]),
            Frame::Array(vec![])
        );
        assert_eq!(
            reply(&["COMMAND", "LIST", "FILTERBY", "foo", "x"]),
            err("ERR syntax error")
        );
        assert_eq!(reply(&["COMMAND", "LIST", "x"]), err("ERR syntax error"));
        let Frame::Array(all) = reply(&["COMMAND", "LIST"]) else {
            panic!()
        };
        assert_eq!(all.len(), CommandTable::global().len());
    }

    #[test]
    fn list_by_pattern_includes_subcommands() {
        let Frame::Array(client) = reply(&["COMMAND", "LIST", "FILTERBY", "PATTERN", "CLIENT*"])
        else {
            panic!()
        };
        assert!(client.contains(&bulk("client")) && client.contains(&bulk("client|kill")));
        assert!(client
            .iter()
            .all(|c| matches!(c, Frame::Bulk(b) if b.starts_with(b"client"))));
    }

    #[test]
    fn help_and_unknown_subcommand() {
        let Frame::Array(lines) = reply(&["COMMAND", "HELP"]) else {
            panic!()
        };
        assert_eq!(lines.len(), 21);
        assert_eq!(
            reply(&["COMMAND", "foo\r\n"]),
            err("ERR unknown subcommand 'foo  '. Try COMMAND HELP.")
        );
        assert_eq!(
            reply(&["COMMAND", "COUNT", "x"]),
            err("ERR wrong number of arguments for 'command|count' command")
        );
    }
}
