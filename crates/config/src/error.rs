//! The errors of this crate, worded exactly as Redis words them.
//!
//! Two audiences read these errors: an operator starting the server
//! ([`FatalConfigError`], printed on stderr before exiting) and a client
//! issuing CONFIG SET ([`ConfigSetError`], sent back as an `-ERR` reply).
//! Their `Display` output is the exact Redis text, so callers only print
//! them.

use std::path::PathBuf;

/// The Redis version named in the fatal error banner. moat answers clients
/// as Redis 7.2 does, so it presents itself as that version here too
/// (scripts that grep startup failures keep working).
pub const REDIS_COMPAT_VERSION: &str = "7.2.4";

/// A line could not be tokenized: a quote was left open, or a closing
/// quote was glued to the next character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Unbalanced quotes in configuration line")]
pub struct UnbalancedQuotes;

/// Why the server cannot start with the given configuration.
///
/// `Display` renders the exact text redis-server prints on stderr before
/// exiting with status 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FatalConfigError {
    /// A directive was refused. Rendered as Redis's banner:
    /// an empty line, `*** FATAL CONFIG FILE ERROR (Redis 7.2.4) ***`,
    /// the line number and the offending (trimmed) line, then the reason.
    #[error(
        "\n*** FATAL CONFIG FILE ERROR (Redis {version}) ***\nReading the configuration file, at line {line_number}\n>>> '{line}'\n{reason}",
        version = REDIS_COMPAT_VERSION
    )]
    BadLine {
        /// 1-based line number inside the file (or inside the text built
        /// from the file plus the command-line options) being read.
        line_number: usize,
        /// The line, trimmed of surrounding blanks, lossily decoded.
        line: String,
        /// Redis's reason, e.g. `Bad directive or wrong number of arguments`.
        reason: String,
    },
    /// A checked performed after every line was read failed (Redis prints
    /// the banner without a line in that case).
    #[error("\n*** FATAL CONFIG FILE ERROR (Redis {version}) ***\n{reason}", version = REDIS_COMPAT_VERSION)]
    Global {
        /// Redis's reason, e.g. `replicaof directive not allowed in cluster mode`.
        reason: String,
    },
    /// The config file (or an included one) cannot be read.
    #[error("Fatal error, can't open config file '{}': {reason}", path.display())]
    CannotOpen {
        /// The path as given.
        path: PathBuf,
        /// `strerror(errno)`, e.g. `No such file or directory`.
        reason: String,
    },
}

/// Why CONFIG SET refused a request; nothing was changed.
///
/// `Display` renders the error line without the leading `-`, e.g.
/// `ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer`,
/// with the client's bytes made lossy UTF-8 (for logs and tests); replies
/// use [`ConfigSetError::reply`], which keeps them raw as Redis does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigSetError {
    /// CONFIG SET was given an odd number of arguments.
    #[error("ERR syntax error")]
    Syntax,
    /// The first unknown parameter name, as the client spelled it (raw
    /// bytes; Redis prints them with `%s`, so up to a NUL).
    #[error(
        "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
        String::from_utf8_lossy(moat_resp::c_str(.0))
    )]
    UnknownOption(Vec<u8>),
    /// A parameter was refused. `name` is what Redis names: the client's
    /// spelling for immutable/protected/duplicate, the directive's own name
    /// (alias or canonical, lowercase) for a bad value.
    #[error(
        "ERR CONFIG SET failed (possibly related to argument '{}') - {reason}",
        String::from_utf8_lossy(moat_resp::c_str(name))
    )]
    Failed {
        /// The parameter Redis blames, raw bytes.
        name: Vec<u8>,
        /// Redis's reason, e.g. `can't set immutable config`.
        reason: String,
    },
}

impl ConfigSetError {
    /// The error reply, byte for byte as Redis's `addReplyErrorFormat`
    /// sends it: the name quoted raw up to a NUL, CR / LF made spaces.
    pub fn reply(&self) -> moat_resp::Frame {
        let text = match self {
            ConfigSetError::Syntax => b"ERR syntax error".to_vec(),
            ConfigSetError::UnknownOption(name) => [
                &b"ERR Unknown option or number of arguments for CONFIG SET - '"[..],
                moat_resp::c_str(name),
                b"'",
            ]
            .concat(),
            ConfigSetError::Failed { name, reason } => [
                &b"ERR CONFIG SET failed (possibly related to argument '"[..],
                moat_resp::c_str(name),
                b"') - ",
                reason.as_bytes(),
            ]
            .concat(),
        };
        moat_resp::Frame::error_bytes(text)
    }
}

/// A `user` directive rejected by the ACL layer's validator (see
/// [`crate::Config::load_with_user_validator`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserDeclarationError {
    /// Index into the directive's arguments (0 is `user`) that Redis names
    /// in `Error in user declaration '<arg>': <message>`.
    pub arg_index: usize,
    /// The ACL error text, e.g. `Syntax error`.
    pub message: String,
}

/// `strerror(errno)` for an I/O error: Rust's rendering minus its
/// ` (os error N)` suffix, which is exactly the C library's text.
pub(crate) fn strerror(err: &std::io::Error) -> String {
    let text = err.to_string();
    match text.rfind(" (os error ") {
        Some(cut) if err.raw_os_error().is_some() => text[..cut].to_owned(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_set_replies_quote_raw_bytes_up_to_a_nul() {
        let unknown = ConfigSetError::UnknownOption(b"\xffa\r\nb\0c".to_vec());
        assert_eq!(
            unknown.reply(),
            moat_resp::Frame::Error(bytes::Bytes::from_static(
                b"ERR Unknown option or number of arguments for CONFIG SET - '\xffa  b'"
            ))
        );
        assert_eq!(
            unknown.to_string(),
            "ERR Unknown option or number of arguments for CONFIG SET - '\u{fffd}a\r\nb'"
        );
        let failed = ConfigSetError::Failed {
            name: b"DAEMONIZE".to_vec(),
            reason: "can't set immutable config".into(),
        };
        assert_eq!(
            failed.reply(),
            moat_resp::Frame::error(failed.to_string()),
            "ASCII names render alike"
        );
        assert_eq!(
            ConfigSetError::Syntax.reply(),
            moat_resp::Frame::error("ERR syntax error")
        );
    }

    #[test]
    fn fatal_banner_matches_redis_layout() {
        let err = FatalConfigError::BadLine {
            line_number: 2,
            line: "foo bar".into(),
            reason: "Bad directive or wrong number of arguments".into(),
        };
        assert_eq!(
            err.to_string(),
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.2.4) ***\nReading the configuration file, at line 2\n>>> 'foo bar'\nBad directive or wrong number of arguments"
        );
    }

    #[test]
    fn cannot_open_names_path_and_strerror() {
        let io = std::io::Error::from_raw_os_error(libc::ENOENT);
        let err = FatalConfigError::CannotOpen {
            path: "/nonexist/x.conf".into(),
            reason: strerror(&io),
        };
        assert_eq!(
            err.to_string(),
            "Fatal error, can't open config file '/nonexist/x.conf': No such file or directory"
        );
    }

    #[test]
    fn set_errors_render_redis_text() {
        assert_eq!(
            ConfigSetError::UnknownOption("nope".into()).to_string(),
            "ERR Unknown option or number of arguments for CONFIG SET - 'nope'"
        );
        assert_eq!(
            ConfigSetError::Failed {
                name: "daemonize".into(),
                reason: "can't set immutable config".into()
            }
            .to_string(),
            "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"
        );
    }
}
