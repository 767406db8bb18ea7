//! The one error type of the test kit.
//!
//! Every failure carries enough context to be read straight from a test's
//! panic message: the server's captured log when a process dies, the
//! `file:line` when a script is malformed.

use std::io;
use std::path::PathBuf;
use thiserror::Error;

/// Everything that can go wrong while driving servers and scripts.
#[derive(Debug, Error)]
pub enum TestkitError {
    /// An operating-system call (spawn, socket, file) failed.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
    /// The server process exited, or never answered PING, while starting.
    #[error("server {binary} did not start: {reason}\n--- server output ---\n{log}")]
    ServerStart {
        binary: PathBuf,
        reason: String,
        log: String,
    },
    /// The peer closed the connection while a reply was expected.
    #[error("connection closed by the server")]
    ConnectionClosed,
    /// No complete reply arrived within the client's timeout.
    #[error("no reply within {0:?}")]
    Timeout(std::time::Duration),
    /// The bytes the server sent are not valid RESP.
    #[error(transparent)]
    Decode(#[from] moat_resp::DecodeError),
    /// A golden or differential script is malformed.
    #[error("{path}:{line}: {message}")]
    Script {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// The server sent a different kind of frame than the call expects.
    #[error("unexpected reply: {0}")]
    UnexpectedReply(String),
    /// A helper binary (redis-cli) is missing or failed to run, or a script
    /// directive (`[resp3]`) was refused.
    #[error("{0}")]
    Tool(String),
}

impl TestkitError {
    /// Wraps an I/O error with what was being attempted.
    pub fn io(context: impl Into<String>, source: io::Error) -> TestkitError {
        TestkitError::Io {
            context: context.into(),
            source,
        }
    }
}

/// The kit's result type.
pub type Result<T, E = TestkitError> = std::result::Result<T, E>;
