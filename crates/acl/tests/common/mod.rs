//! Shared helpers: rules and requests written as space-separated text.

#![allow(dead_code)]

use bytes::Bytes;
use moat_acl::{Denial, DenyReason, PubsubDefault, Registry, User};
use moat_commands::{Command, CommandTable, Resolved};
use std::sync::Arc;

pub fn words(text: &str) -> Vec<Bytes> {
    text.split_whitespace()
        .map(|w| Bytes::copy_from_slice(w.as_bytes()))
        .collect()
}

pub fn registry() -> Registry {
    Registry::new(PubsubDefault::ResetChannels)
}

/// `ACL SETUSER name <rules>`, returning the new user or the error text.
pub fn setuser(registry: &mut Registry, name: &str, rules: &str) -> Result<Arc<User>, String> {
    registry
        .set_user(name.as_bytes(), &words(rules))
        .map(|o| o.new)
        .map_err(|e| e.to_string())
}

/// A fresh user built from `rules`.
pub fn user(rules: &str) -> Arc<User> {
    setuser(&mut registry(), "u", rules).unwrap_or_else(|e| panic!("rules {rules:?}: {e}"))
}

pub fn command(argv: &[Bytes]) -> &'static Command {
    match CommandTable::global().resolve(argv) {
        Resolved::Command(cmd) => cmd,
        _ => panic!("unknown command {argv:?}"),
    }
}

/// Checks a request written as text, e.g. `"GET key"`.
pub fn check(user: &User, request: &str) -> Result<(), Denial> {
    let argv = words(request);
    user.check(command(&argv), &argv)
}

pub fn check_in_db(user: &User, request: &str, db: i64) -> Result<(), Denial> {
    let argv = words(request);
    user.check_in_db(command(&argv), &argv, db)
}

/// What `ACL DRYRUN` answers: `OK` or the verbose denial text.
pub fn dryrun(user: &User, request: &str) -> String {
    let argv = words(request);
    let cmd = command(&argv);
    match user.check(cmd, &argv) {
        Ok(()) => "OK".to_string(),
        Err(denial) => denial.dryrun_message(user.name(), &cmd.fullname, &argv),
    }
}

/// The reason and refused argument of a denial, for compact assertions.
pub fn denied(user: &User, request: &str) -> (DenyReason, String) {
    let argv = words(request);
    let cmd = command(&argv);
    let denial = user
        .check(cmd, &argv)
        .expect_err("request should be denied");
    (
        denial.reason,
        String::from_utf8_lossy(denial.log_object(cmd, &argv)).into_owned(),
    )
}

/// The `commands` part of the root selector, as GETUSER shows it.
pub fn commands_of(user: &User) -> String {
    user.view().commands
}
