//! Reply helpers shared by handlers, with Redis's exact texts.
//!
//! Handlers are written as functions returning [`Reply`] so that `?` can
//! carry an error reply out of argument parsing and type checks; the
//! command tables turn that back into a [`Frame`] with [`flatten`].

use super::Ctx;
use crate::db::DbView;
use moat_resp::Frame;

/// The database the calling client has selected, at the command's "now".
pub fn selected_db<'c>(ctx: &'c mut Ctx<'_>) -> DbView<'c> {
    ctx.ks.view(ctx.client.db, ctx.now_ms)
}

/// An error reply that quotes client arguments the way Redis's
/// `addReplyErrorFormat` does with `%s`: each `{}` of `template` becomes
/// an argument's raw bytes up to a NUL (pass `moat_resp::c_str_max(arg,
/// 128)` where Redis writes `%.128s`), and CR/LF become spaces.
pub fn quoting_error(template: &str, args: &[&[u8]]) -> Frame {
    let mut text = Vec::with_capacity(template.len() + 32);
    let mut args = args.iter();
    let mut pieces = template.split("{}");
    if let Some(first) = pieces.next() {
        text.extend_from_slice(first.as_bytes());
    }
    for piece in pieces {
        text.extend_from_slice(moat_resp::c_str(args.next().copied().unwrap_or_default()));
        text.extend_from_slice(piece.as_bytes());
    }
    Frame::error_bytes(text)
}

/// `ERR unknown subcommand or wrong number of arguments for '<sub>'. Try
/// <CMD> HELP.`, Redis's `addReplySubcommandSyntaxError` (the subcommand
/// as `%.128s`).
pub fn subcommand_syntax_error(container: &str, sub: &[u8]) -> Frame {
    quoting_error(
        &format!(
            "ERR unknown subcommand or wrong number of arguments for '{{}}'. Try {container} HELP."
        ),
        &[moat_resp::c_str_max(sub, 128)],
    )
}

/// A handler's outcome: `Err` holds an error reply, which is still a reply.
pub type Reply = Result<Frame, Frame>;

/// The reply a [`Reply`] stands for, error or not.
pub fn flatten(reply: Reply) -> Frame {
    reply.unwrap_or_else(|error| error)
}

/// `WRONGTYPE Operation against a key holding the wrong kind of value`
pub fn wrong_type() -> Frame {
    Frame::error("WRONGTYPE Operation against a key holding the wrong kind of value")
}

/// `ERR syntax error`
pub fn syntax_error() -> Frame {
    Frame::error("ERR syntax error")
}

/// `ERR no such key`
pub fn no_such_key() -> Frame {
    Frame::error("ERR no such key")
}

/// `ERR wrong number of arguments for '<command>' command`, for
/// commands whose argument count has constraints beyond the arity.
pub fn wrong_arity(command: &str) -> Frame {
    Frame::error(format!(
        "ERR wrong number of arguments for '{command}' command"
    ))
}

/// An integer reply from a count.
pub fn count(n: usize) -> Frame {
    Frame::Integer(i64::try_from(n).unwrap_or(i64::MAX))
}

/// `:1` / `:0`
pub fn flag(b: bool) -> Frame {
    Frame::Integer(i64::from(b))
}

/// The empty bulk string.
pub fn empty_bulk() -> Frame {
    Frame::Bulk(bytes::Bytes::new())
}

#[cfg(test)]
mod quoting_tests {
    use super::*;

    #[test]
    fn arguments_are_quoted_raw_up_to_a_nul_without_newlines() {
        assert_eq!(
            quoting_error("ERR a '{}' b '{}'", &[b"\xff\r\nx", b"k\0rest"]),
            Frame::Error(bytes::Bytes::from_static(b"ERR a '\xff  x' b 'k'"))
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flatten_keeps_errors_as_replies() {
        assert_eq!(
            flatten(Err(syntax_error())),
            Frame::error("ERR syntax error")
        );
        assert_eq!(flatten(Ok(Frame::Integer(1))), Frame::Integer(1));
        assert_eq!(
            wrong_arity("mset"),
            Frame::error("ERR wrong number of arguments for 'mset' command")
        );
        assert_eq!(count(3), Frame::Integer(3));
        assert_eq!(flag(false), Frame::Integer(0));
    }
}

/// Runs commands against a private keyspace, for handler unit tests.
#[cfg(test)]
pub mod testing {
    use crate::client::ClientState;
    use crate::cmd::{
        bits, dump, geo, hash, hll, keys, list, memory, set, sort, stream, strings, zset, Ctx,
        Handler,
    };
    use crate::db::Keyspace;
    use bytes::Bytes;
    use moat_resp::Frame;

    /// A keyspace, a client and a clock.
    pub struct Harness {
        pub ks: Keyspace,
        pub client: ClientState,
        pub now_ms: i64,
    }

    impl Default for Harness {
        fn default() -> Harness {
            Harness::new()
        }
    }

    impl Harness {
        pub fn new() -> Harness {
            Harness {
                ks: Keyspace::new(16),
                client: ClientState::default(),
                now_ms: 1_700_000_000_000,
            }
        }

        /// Runs a command given as whitespace-separated words.
        pub fn run(&mut self, line: &str) -> Frame {
            let argv: Vec<&[u8]> = line.split_whitespace().map(str::as_bytes).collect();
            self.run_args(&argv)
        }

        /// Runs a command given as raw arguments.
        pub fn run_args(&mut self, argv: &[&[u8]]) -> Frame {
            let argv: Vec<Bytes> = argv.iter().map(|a| Bytes::copy_from_slice(a)).collect();
            let handler = find_handler(&argv).expect("test runs a known command");
            // Counted as dispatch counts a data command's changes.
            let dirty_before = self.ks.dirty;
            let mut ctx = Ctx {
                ks: &mut self.ks,
                client: &mut self.client,
                now_ms: self.now_ms,
            };
            let reply = handler(&mut ctx, &argv);
            self.ks.settle_changes(dirty_before);
            reply
        }

        /// The changes (`rdb_changes_since_last_save`) `line` counts.
        pub fn changes(&mut self, line: &str) -> u64 {
            let before = self.ks.dirty;
            self.run(line);
            self.ks.dirty - before
        }
    }

    fn find_handler(argv: &[Bytes]) -> Option<Handler> {
        let name = String::from_utf8_lossy(&argv[0]).to_lowercase();
        let full_name = argv
            .get(1)
            .map(|sub| format!("{name}|{}", String::from_utf8_lossy(sub).to_lowercase()));
        let tables = [
            strings::handlers(),
            keys::handlers(),
            dump::handlers(),
            bits::handlers(),
            hash::handlers(),
            set::handlers(),
            zset::handlers(),
            list::handlers(),
            sort::handlers(),
            geo::handlers(),
            hll::handlers(),
            stream::handlers(),
            memory::handlers(),
        ];
        let find = |wanted: &str| {
            tables
                .iter()
                .flat_map(|t| t.iter())
                .find(|(n, _)| *n == wanted)
                .map(|(_, h)| *h)
        };
        full_name.as_deref().and_then(find).or_else(|| find(&name))
    }

    pub fn bulk(text: &str) -> Frame {
        Frame::Bulk(Bytes::copy_from_slice(text.as_bytes()))
    }

    pub fn int(n: i64) -> Frame {
        Frame::Integer(n)
    }

    pub fn err(text: &str) -> Frame {
        Frame::error(text)
    }

    pub fn ok() -> Frame {
        Frame::ok()
    }
}
