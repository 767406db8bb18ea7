//! ACL files and `user` config directives (§9).

mod common;

use common::*;
use moat_acl::{load_acl_file, parse_config_users, render_acl_file, PubsubDefault};

#[test]
fn verified_load_errors() {
    let text = b"user default on nopass ~* &* +@all\n\
                 user alice on +nocmd +@nocat\n\
                 bob on\n\
                 user carol on (+get ~a\n\
                 user alice off\n";
    let err = load_acl_file(text, "users.acl", PubsubDefault::ResetChannels)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "users.acl:2: Error in applying operation '+nocmd': Unknown command or category name in ACL. \
         users.acl:2: Error in applying operation '+@nocat': Unknown command or category name in ACL. \
         users.acl:3 should start with user keyword followed by the username. \
         users.acl:4: Unmatched parenthesis in selector definition.\
         WARNING: Duplicate user 'alice' found on line 5. \
         WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
    );
}

#[test]
fn recorded_load_errors() {
    let err = load_acl_file(
        b"user app on +nosuch\nuser app off\nhello\n",
        "/etc/redis/users.acl",
        PubsubDefault::ResetChannels,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        err,
        "/etc/redis/users.acl:1: Error in applying operation '+nosuch': Unknown command or category name in ACL. \
         WARNING: Duplicate user 'app' found on line 2. \
         /etc/redis/users.acl:3 should start with user keyword followed by the username. \
         WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
    );
}

#[test]
fn only_the_first_other_error_of_a_line_is_reported() {
    let err = load_acl_file(
        b"user a bogus ~* ~x +nocmd <nopw\n",
        "f",
        PubsubDefault::ResetChannels,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        err,
        "f:1: Syntax error. f:1: Error in applying operation '+nocmd': Unknown command or category name in ACL. \
         WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
    );
}

#[test]
fn double_spaces_make_an_empty_username() {
    let err = load_acl_file(b"user  alice on\n", "f", PubsubDefault::ResetChannels)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("f:1: Syntax error. "), "{err}");
}

#[test]
fn load_and_save_round_trip() {
    let text = b"  user app on nopass ~app:* +@read \r\n\nuser default off\n";
    let reg = load_acl_file(text, "f", PubsubDefault::ResetChannels).unwrap();
    let saved = String::from_utf8(render_acl_file(&reg)).unwrap();
    assert_eq!(
        saved,
        "user app on nopass sanitize-payload ~app:* resetchannels -@all +@read\n\
         user default off sanitize-payload resetchannels -@all\n"
    );
    let again = load_acl_file(saved.as_bytes(), "f", PubsubDefault::ResetChannels).unwrap();
    assert_eq!(render_acl_file(&again), saved.as_bytes());
}

#[test]
fn missing_default_is_recreated() {
    let reg = load_acl_file(b"user a on\n", "f", PubsubDefault::ResetChannels).unwrap();
    assert_eq!(
        reg.default_user().describe(),
        "user default on nopass sanitize-payload ~* &* +@all"
    );
}

#[test]
fn config_user_directives() {
    let line = |text: &str| words(text);
    let reg = parse_config_users(
        &[line("user default off"), line("user alice on >pw ~* +@all")],
        PubsubDefault::ResetChannels,
    )
    .unwrap();
    assert_eq!(
        reg.default_user().describe(),
        "user default off sanitize-payload resetchannels -@all"
    );
    assert!(reg.get(b"alice").unwrap().authenticate(b"pw"));

    let dup = parse_config_users(
        &[line("user a on"), line("user a off")],
        PubsubDefault::ResetChannels,
    )
    .unwrap_err();
    assert_eq!(
        dup.to_string(),
        "Error in user declaration 'a': Duplicate user found. A user can only be defined once in config files"
    );
    let bad = parse_config_users(&[line("user alice on bogus")], PubsubDefault::ResetChannels)
        .unwrap_err();
    assert_eq!(
        bad.to_string(),
        "Error in user declaration 'alice': Syntax error"
    );
    let late = parse_config_users(&[line("user alice +nosuch")], PubsubDefault::ResetChannels)
        .unwrap_err();
    assert_eq!(
        late.to_string(),
        "Error loading ACL rule '+nosuch' for the user named 'alice': Unknown command or category name in ACL"
    );
    let channels =
        parse_config_users(&[line("user alice &chat")], PubsubDefault::AllChannels).unwrap_err();
    assert!(
        channels
            .to_string()
            .contains("Adding a pattern after the * pattern"),
        "{channels}"
    );
}
