//! Offline checks: `moat-server --check-acl FILE` and
//! `moat-server --check-config FILE [options]`.
//!
//! They read the files exactly as start-up and ACL LOAD do (the same
//! functions), print every problem on its own line on stderr, in Redis's
//! words and with its line number, and exit 1; a valid input prints a
//! one-line summary on stdout and exits 0. Nothing is bound or served.

use crate::startup::{io_error_text, load_config, load_users, UsersError};
use moat_acl::PubsubDefault;
use std::path::{Path, PathBuf};

/// `--check-acl FILE [--acl-pubsub-default allchannels|resetchannels]`:
/// the ACL file as ACL LOAD would read it. The pub/sub default matters
/// (under `allchannels` a `&pattern` after the implicit `&*` is an error),
/// so it can be given; Redis's default is `resetchannels`.
pub fn check_acl(args: &[String]) -> i32 {
    const USAGE: &str =
        "Usage: moat-server --check-acl <aclfile> [--acl-pubsub-default allchannels|resetchannels]";
    let (path, pubsub_default) = match args {
        [path] => (path, PubsubDefault::ResetChannels),
        [path, option, value] if option == "--acl-pubsub-default" => match value.as_str() {
            "allchannels" => (path, PubsubDefault::AllChannels),
            "resetchannels" => (path, PubsubDefault::ResetChannels),
            _ => {
                eprintln!("{USAGE}");
                return 1;
            }
        },
        _ => {
            eprintln!("{USAGE}");
            return 1;
        }
    };
    let text = match std::fs::read(path) {
        Ok(text) => text,
        Err(error) => {
            eprintln!(
                "Error loading ACLs, opening file '{path}': {}",
                io_error_text(&error)
            );
            return 1;
        }
    };
    match moat_acl::check_acl_file(&text, path, pubsub_default) {
        Ok(registry) => {
            println!("{path}: OK, {} users", registry.len());
            0
        }
        Err(errors) => {
            print_each(&errors);
            1
        }
    }
}

/// `--check-config FILE [options]`: the config file and command-line
/// options as start-up reads them (the first bad line is fatal, as in
/// Redis), then the users: `user` directives, or the aclfile it names
/// (every error of that file), and the both-at-once error.
pub fn check_config(args: &[String]) -> i32 {
    let Some((path, options)) = args.split_first() else {
        eprintln!("Usage: moat-server --check-config <redis.conf> [options]");
        return 1;
    };
    let config = match load_config(Some(Path::new(path)), options) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("{error}");
            return 1;
        }
    };
    // A relative aclfile is relative to `dir`, where the server would be.
    if let Err(error) = std::env::set_current_dir(config.dir()) {
        eprintln!(
            "Can't chdir to '{}': {}",
            config.dir().display(),
            io_error_text(&error)
        );
        return 1;
    }
    match load_users(&config) {
        Ok(acl) => {
            let source = match &acl.aclfile {
                Some(file) => format!("aclfile {}", PathBuf::from(file).display()),
                None => format!("{} user directives", config.users().len()),
            };
            println!("{path}: OK, {} users ({source})", acl.registry.len());
            0
        }
        Err(UsersError::Fatal(lines)) => {
            print_each(&lines);
            1
        }
        Err(UsersError::AclFile(errors)) => {
            print_each(&errors);
            1
        }
    }
}

fn print_each(errors: &[String]) {
    for error in errors {
        eprintln!("{}", error.trim_end());
    }
}
