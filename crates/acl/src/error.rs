//! The crate's one error type.
//!
//! Every variant's `Display` is the exact text Redis puts after `ERR ` (or
//! logs), so the server can reply with `ERR {error}` and clients see the
//! same bytes a real Redis would send. The errno-style reasons of a failed
//! rule live in [`RuleErrorKind`] because Redis reports them inside several
//! different envelopes (SETUSER, ACL LOAD, config lines).

use std::fmt;
use thiserror::Error;

/// An argument as Redis's `%s` prints it into an error: the bytes up to
/// the first NUL, kept raw. `Display` is lossy (for logs); replies use
/// [`AclError::reply_text`], which keeps the bytes as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CText(Vec<u8>);

impl CText {
    pub fn new(bytes: &[u8]) -> CText {
        CText(moat_resp::c_str(bytes).to_vec())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Display for CText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.0))
    }
}

/// Everything the ACL engine can refuse.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AclError {
    /// A rule failed; `arg` is the (merged) offending argument as typed.
    #[error("Error in ACL SETUSER modifier '{arg}': {kind}")]
    Modifier { arg: CText, kind: RuleErrorKind },
    /// A selector opened with `(` was never closed; the argument is the
    /// one that opened it.
    #[error("Unmatched parenthesis in acl selector starting at '{0}'.")]
    UnmatchedParenthesis(CText),
    /// Usernames cannot contain whitespace or NUL.
    #[error("Usernames can't contain spaces or null characters")]
    BadUsername,
    /// `ACL DELUSER default`.
    #[error("The 'default' user cannot be removed")]
    DefaultUserUndeletable,
    /// `ACL CAT <unknown>`; the name is already truncated to 128 bytes.
    #[error("Unknown category '{0}'")]
    UnknownCategory(CText),
    /// `ACL GENPASS` with a bit count outside 1..=4096.
    #[error("ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")]
    GenpassBits,
    /// The operating system's random source failed (never seen in practice).
    #[error("Unable to read random bytes for ACL GENPASS")]
    Random,
    /// A `user` config directive is invalid (fatal configuration error).
    /// `token` is the argument Redis names in the message (it indexes the
    /// directive's arguments with the rule's position, so it is often the
    /// username or the `user` keyword itself: Redis does exactly that).
    #[error("Error in user declaration '{token}': {message}")]
    UserDeclaration { token: String, message: String },
    /// A `user` config directive validated but failed when applied at
    /// startup (unknown command): Redis logs this and exits.
    #[error("Error loading ACL rule '{rule}' for the user named '{user}': {kind}")]
    LoadingRule {
        rule: String,
        user: String,
        kind: RuleErrorKind,
    },
    /// A `user` config directive names a user with whitespace or NUL
    /// (quotes allow it in redis.conf); Redis logs this and exits.
    #[error("Spaces not allowed in ACL usernames")]
    SpacesInConfigUsername,
    /// ACL file errors, concatenated exactly as `ACL LOAD` reports them
    /// (already ending with the `WARNING: ACL errors detected ...` sentence).
    #[error("{0}")]
    AclFile(String),
}

impl AclError {
    /// The text Redis replies after `ERR `, byte for byte: arguments are
    /// echoed raw (non-UTF-8 bytes included), and CR / LF become spaces as
    /// `addReplyErrorFormat` maps them, so that an argument holding a
    /// newline cannot break the reply's framing.
    pub fn reply_text(&self) -> Vec<u8> {
        let text = match self {
            AclError::Modifier { arg, kind } => [
                &b"Error in ACL SETUSER modifier '"[..],
                arg.as_bytes(),
                b"': ",
                kind.to_string().as_bytes(),
            ]
            .concat(),
            AclError::UnmatchedParenthesis(arg) => [
                &b"Unmatched parenthesis in acl selector starting at '"[..],
                arg.as_bytes(),
                b"'.",
            ]
            .concat(),
            AclError::UnknownCategory(name) => {
                [&b"Unknown category '"[..], name.as_bytes(), b"'"].concat()
            }
            other => other.to_string().into_bytes(),
        };
        without_newlines(text)
    }
}

/// Redis's `sdsmapchars(s, "\r\n", "  ", 2)` over an error text
/// ([`moat_resp::map_newlines`]).
pub fn without_newlines(mut text: Vec<u8>) -> Vec<u8> {
    moat_resp::map_newlines(&mut text);
    text
}

/// The name the skeleton used for rule errors; the crate has one error type.
pub type RuleError = AclError;
/// The error of [`crate::Registry::delete_users`].
pub type DeleteError = AclError;

/// Redis's errno-coded rule errors, with their verbatim messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RuleErrorKind {
    /// EINVAL.
    #[error("Syntax error")]
    Syntax,
    /// ENOENT.
    #[error("Unknown command or category name in ACL")]
    UnknownCommand,
    /// EEXIST.
    #[error("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns")]
    KeyPatternAfterAllKeys,
    /// EISDIR.
    #[error("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels")]
    ChannelPatternAfterAllChannels,
    /// ENODEV.
    #[error("The password you are trying to remove from the user does not exist")]
    NoSuchPassword,
    /// EBADMSG.
    #[error("The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters")]
    BadHash,
    /// EALREADY (config files only).
    #[error("Duplicate user found. A user can only be defined once in config files")]
    DuplicateUser,
    /// ECHILD.
    #[error("Allowing first-arg of a subcommand is not supported")]
    FirstArgOfSubcommand,
    /// Valkey 9.1: a `db=` id outside `0..=i32::MAX`.
    #[error("The provided database ID is out of range")]
    DatabaseOutOfRange,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_keep_argument_bytes_and_map_newlines_to_spaces() {
        let modifier = AclError::Modifier {
            arg: CText::new(b"bog\xff\r\nus\0tail"),
            kind: RuleErrorKind::Syntax,
        };
        assert_eq!(
            modifier.reply_text(),
            b"Error in ACL SETUSER modifier 'bog\xff  us': Syntax error"
        );
        assert_eq!(
            AclError::UnmatchedParenthesis(CText::new(b"(~a\nb")).reply_text(),
            b"Unmatched parenthesis in acl selector starting at '(~a b'."
        );
        assert_eq!(
            AclError::UnknownCategory(CText::new(b"\xff")).reply_text(),
            b"Unknown category '\xff'"
        );
        assert_eq!(
            AclError::DefaultUserUndeletable.reply_text(),
            b"The 'default' user cannot be removed"
        );
    }
}
