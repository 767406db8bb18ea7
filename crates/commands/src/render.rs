//! `COMMAND INFO` and `COMMAND DOCS` replies, rendered from declarations.

use crate::Command;
use moat_resp::Frame;

/// One command's `COMMAND INFO` entry (10 elements, subcommands nested).
pub fn command_info_reply(cmd: &Command) -> Frame {
    let _ = cmd;
    todo!("moat-commands: command_info_reply")
}

/// One command's `COMMAND DOCS` value (a map; subcommands nested).
pub fn command_docs_reply(cmd: &Command) -> Frame {
    let _ = cmd;
    todo!("moat-commands: command_docs_reply")
}
