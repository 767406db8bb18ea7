//! The ACL command: administering users, the log, and the ACL file.
//!
//! These handlers change users; they never decide whether the *caller* may
//! do something (dispatch did that before they ran). After any change the
//! ACL epoch is bumped so every connection picks up the new permissions on
//! its next command, and connections that Redis would close are closed.

use super::{help_reply, subcommand_syntax_error};
use crate::cmd::args::parse_i64;
use crate::dispatch::{arity_error, KeyspaceLock, SessionHandler};
use crate::session::Session;
use crate::shared::now_ms;
use bytes::Bytes;
use moat_acl::error::{without_newlines, CText};
use moat_acl::user::UserView;
use moat_acl::AclError;
use moat_acl::User;
use moat_commands::Resolved;
use moat_resp::Frame;

pub const HANDLERS: &[(&str, SessionHandler)] = &[
    ("acl|cat", cat),
    ("acl|deluser", deluser),
    ("acl|dryrun", dryrun),
    ("acl|genpass", genpass),
    ("acl|getuser", getuser),
    ("acl|help", help),
    ("acl|list", list),
    ("acl|load", load),
    ("acl|log", log),
    ("acl|save", save),
    ("acl|setuser", setuser),
    ("acl|users", users),
    ("acl|whoami", whoami),
];

fn bulk(text: impl Into<Bytes>) -> Frame {
    Frame::Bulk(text.into())
}

/// `ERR <error>`, with the error's arguments as typed (see
/// [`AclError::reply_text`]).
fn acl_error(error: &AclError) -> Frame {
    Frame::Error(Bytes::from([&b"ERR "[..], &error.reply_text()].concat()))
}

/// An error naming one argument the way Redis's `addReplyErrorFormat`
/// with `%s` does: raw bytes up to a NUL, CR and LF turned into spaces.
fn error_with_arg(before: &[u8], arg: &[u8], after: &[u8]) -> Frame {
    let arg = CText::new(arg);
    let text = [before, arg.as_bytes(), after].concat();
    Frame::Error(Bytes::from(without_newlines(text)))
}

fn field(name: &'static str) -> Frame {
    Frame::Bulk(Bytes::from_static(name.as_bytes()))
}

fn cat(_: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    match argv.get(2) {
        None => Frame::Array(
            moat_acl::categories()
                .into_iter()
                .map(|c| bulk(c.to_string()))
                .collect(),
        ),
        Some(name) if argv.len() == 3 => match moat_acl::category_commands(name) {
            Ok(commands) => Frame::Array(commands.into_iter().map(bulk).collect()),
            Err(error) => acl_error(&error),
        },
        Some(_) => subcommand_syntax_error("ACL", &argv[1]),
    }
}

fn whoami(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    if argv.len() != 2 {
        return subcommand_syntax_error("ACL", &argv[1]);
    }
    bulk(Bytes::copy_from_slice(session.user.name()))
}

fn users(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    if argv.len() != 2 {
        return subcommand_syntax_error("ACL", &argv[1]);
    }
    let acl = session.shared.acl.read();
    Frame::Array(
        acl.registry
            .users()
            .map(|u| bulk(Bytes::copy_from_slice(u.name())))
            .collect(),
    )
}

fn list(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    if argv.len() != 2 {
        return subcommand_syntax_error("ACL", &argv[1]);
    }
    let acl = session.shared.acl.read();
    Frame::Array(acl.registry.users().map(|u| bulk(u.describe())).collect())
}

fn help(_: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    if argv.len() != 2 {
        return arity_error("acl|help");
    }
    help_reply(&moat_acl::help_lines())
}

fn getuser(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    let user = session.shared.acl.read().registry.get(&argv[2]).cloned();
    match user {
        Some(user) => user_view_reply(&user.view()),
        None => Frame::Null,
    }
}

fn user_view_reply(view: &UserView) -> Frame {
    let mut fields = vec![
        (
            field("flags"),
            Frame::Set(view.flags.iter().map(|f| field(f)).collect()),
        ),
        (
            field("passwords"),
            Frame::Array(view.passwords.iter().map(|p| bulk(p.clone())).collect()),
        ),
        (field("commands"), bulk(view.commands.clone())),
        (field("keys"), bulk(view.keys.clone())),
        (field("channels"), bulk(view.channels.clone())),
    ];
    if view.databases != "alldbs" {
        fields.push((field("databases"), bulk(view.databases.clone())));
    }
    let selectors = view
        .selectors
        .iter()
        .map(|s| {
            let mut selector = vec![
                (field("commands"), bulk(s.commands.clone())),
                (field("keys"), bulk(s.keys.clone())),
                (field("channels"), bulk(s.channels.clone())),
            ];
            if s.databases != "alldbs" {
                selector.push((field("databases"), bulk(s.databases.clone())));
            }
            Frame::Map(selector)
        })
        .collect();
    fields.push((field("selectors"), Frame::Array(selectors)));
    Frame::Map(fields)
}

fn setuser(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    let outcome = session
        .shared
        .acl
        .write()
        .registry
        .set_user(&argv[2], &argv[3..]);
    match outcome {
        Ok(outcome) => {
            session.shared.bump_acl_epoch();
            if let Some(old) = &outcome.old {
                kill_subscribers_that_lost_channels(session, old, &outcome.new);
            }
            Frame::ok()
        }
        Err(error) => acl_error(&error),
    }
}

/// Redis closes a user's pub/sub clients whose subscriptions the new
/// rules no longer allow.
fn kill_subscribers_that_lost_channels(session: &mut Session, old: &User, new: &User) {
    let Some(check) = moat_acl::registry::subscriber_kill_check(old, new) else {
        return;
    };
    let name = Bytes::copy_from_slice(new.name());
    let me = session.client.id;
    let killed_me = std::cell::Cell::new(false);
    session.shared.clients.kill_where(|info| {
        let subscribed = !(info.channels.is_empty()
            && info.patterns.is_empty()
            && info.shard_channels.is_empty());
        let kill = info.user == name
            && subscribed
            && check.must_kill(&info.channels, &info.patterns, &info.shard_channels);
        if kill && info.id == me {
            killed_me.set(true);
        }
        kill
    });
    if killed_me.get() {
        session.close_after_reply = true;
    }
}

fn deluser(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    let deleted = session.shared.acl.write().registry.delete_users(&argv[2..]);
    match deleted {
        Ok(deleted) => {
            session.shared.bump_acl_epoch();
            close_clients_of(
                session,
                deleted
                    .iter()
                    .map(|u| Bytes::copy_from_slice(u.name()))
                    .collect(),
            );
            Frame::Integer(deleted.len() as i64)
        }
        Err(error) => acl_error(&error),
    }
}

/// Closes every client authenticated as one of `names`; the caller, if it
/// is one of them, first gets its reply.
fn close_clients_of(session: &mut Session, names: Vec<Bytes>) {
    if names.is_empty() {
        return;
    }
    let me = session.client.id;
    let mut killed_me = false;
    session.shared.clients.kill_where(|info| {
        let kill = names.contains(&info.user);
        if kill && info.id == me {
            killed_me = true;
        }
        kill && info.id != me
    });
    if killed_me {
        session.close_after_reply = true;
    }
}

fn dryrun(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    let Some(user) = session.shared.acl.read().registry.get(&argv[2]).cloned() else {
        return error_with_arg(b"ERR User '", &argv[2], b"' not found");
    };
    let request = &argv[3..];
    let cmd = match session.shared.table.resolve(request) {
        Resolved::Command(cmd) => cmd,
        _ => return error_with_arg(b"ERR Command '", &argv[3], b"' not found"),
    };
    if !cmd.arity_ok(request.len()) {
        return arity_error(&cmd.fullname);
    }
    match user.check(cmd, request) {
        Ok(()) => Frame::ok(),
        Err(denial) => bulk(denial.dryrun_reply(user.name(), &cmd.fullname, request)),
    }
}

fn genpass(_: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    if argv.len() > 3 {
        return subcommand_syntax_error("ACL", &argv[1]);
    }
    let bits = match argv.get(2) {
        None => 256,
        // Redis's strict string2ll: no `+`, no leading zeros, no spaces.
        Some(arg) => match parse_i64(arg) {
            Ok(bits) => bits,
            Err(error) => return error,
        },
    };
    match moat_acl::genpass(bits) {
        Ok(password) => bulk(password),
        Err(error) => acl_error(&error),
    }
}

fn log(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    if argv.len() > 3 {
        return subcommand_syntax_error("ACL", &argv[1]);
    }
    let mut count = 10i64;
    if let Some(arg) = argv.get(2) {
        if arg.eq_ignore_ascii_case(b"reset") {
            session.shared.acl.write().log.reset();
            return Frame::ok();
        }
        match parse_i64(arg) {
            Ok(n) => count = n,
            Err(error) => return error,
        }
    }
    let now = now_ms();
    let acl = session.shared.acl.read();
    let entries = acl.log.entries(count);
    Frame::Array(
        entries
            .map(|e| {
                Frame::Map(vec![
                    (field("count"), Frame::Integer(e.count as i64)),
                    (field("reason"), field(e.reason.as_str())),
                    (field("context"), field(e.context.as_str())),
                    (field("object"), bulk(e.object.clone())),
                    (field("username"), bulk(e.username.clone())),
                    (field("age-seconds"), Frame::Double(e.age_seconds(now))),
                    (field("client-info"), bulk(e.client_info.to_line())),
                    (field("entry-id"), Frame::Integer(e.entry_id as i64)),
                    (
                        field("timestamp-created"),
                        Frame::Integer(e.timestamp_created),
                    ),
                    (
                        field("timestamp-last-updated"),
                        Frame::Integer(e.timestamp_last_updated),
                    ),
                ])
            })
            .collect(),
    )
}

const NO_ACLFILE: &str = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.";

fn save(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    if argv.len() != 2 {
        return subcommand_syntax_error("ACL", &argv[1]);
    }
    let (path, text) = {
        let acl = session.shared.acl.read();
        let Some(path) = acl.aclfile.clone() else {
            return Frame::error(NO_ACLFILE);
        };
        (path, moat_acl::file::render_acl_file(&acl.registry))
    };
    match moat_config::atomic::replace_file(&path, &text) {
        Ok(()) => Frame::ok(),
        Err(failure) => {
            use moat_config::atomic::WriteStep;
            let step = match failure.step {
                WriteStep::Open => "Opening temp ACL file for ACL SAVE",
                WriteStep::Write => "Writing ACL file for ACL SAVE",
                WriteStep::Sync => "Syncing ACL file for ACL SAVE",
                WriteStep::Rename => "Renaming ACL file for ACL SAVE",
                WriteStep::SyncDirectory => "Syncing ACL directory for ACL SAVE",
            };
            tracing::warn!("{step}: {}", crate::startup::io_error_text(&failure.error));
            Frame::error("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
        }
    }
}

fn load(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    if argv.len() != 2 {
        return subcommand_syntax_error("ACL", &argv[1]);
    }
    let pubsub_default = crate::startup::pubsub_default(&session.shared.config.read());
    let Some(path) = session.shared.acl.read().aclfile.clone() else {
        return Frame::error(NO_ACLFILE);
    };
    let text = match std::fs::read(&path) {
        Ok(text) => text,
        Err(error) => {
            return Frame::error(format!(
                "ERR Error loading ACLs, opening file '{}': {}",
                path.display(),
                crate::startup::io_error_text(&error)
            ))
        }
    };
    let registry =
        match moat_acl::file::load_acl_file(&text, &path.display().to_string(), pubsub_default) {
            Ok(registry) => registry,
            Err(errors) => return Frame::error(format!("ERR {errors}")),
        };
    // A file without `default` re-creates it with its boot rules, as Redis does.
    let old_names: Vec<Bytes> = {
        let mut acl = session.shared.acl.write();
        let names = acl
            .registry
            .users()
            .filter(|u| u.name() != b"default")
            .map(|u| Bytes::copy_from_slice(u.name()))
            .collect();
        acl.registry.replace_users(registry);
        names
    };
    session.shared.bump_acl_epoch();
    // Redis 7.2 disconnects every client of a non-default user on ACL LOAD.
    close_clients_of(session, old_names);
    Frame::ok()
}
