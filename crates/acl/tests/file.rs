//! ACL files and `user` config directives (§9).

mod common;

use bytes::Bytes;
use common::*;
use moat_acl::{
    apply_config_users, load_acl_file, render_acl_file, validate_user_declaration, AclError,
    PubsubDefault, Registry,
};

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

/// Config users as the config crate keeps them: name first, no keyword.
fn declared(text: &str) -> Vec<Bytes> {
    words(text)[1..].to_vec()
}

fn config_users(lines: &[&str], pubsub: PubsubDefault) -> Result<Registry, AclError> {
    let mut registry = Registry::new(pubsub);
    let users: Vec<Vec<Bytes>> = lines.iter().map(|l| declared(l)).collect();
    apply_config_users(&mut registry, &users)?;
    Ok(registry)
}

#[test]
fn config_user_directives() {
    let reg = config_users(
        &["user default off", "user alice on >pw ~* +@all"],
        PubsubDefault::ResetChannels,
    )
    .unwrap();
    assert_eq!(
        reg.default_user().describe(),
        "user default off sanitize-payload resetchannels -@all"
    );
    assert!(reg.get(b"alice").unwrap().authenticate(b"pw"));

    let late = config_users(&["user alice +nosuch"], PubsubDefault::ResetChannels).unwrap_err();
    assert_eq!(
        late.to_string(),
        "Error loading ACL rule '+nosuch' for the user named 'alice': Unknown command or category name in ACL"
    );
    let channels = config_users(&["user alice &chat"], PubsubDefault::AllChannels).unwrap_err();
    assert!(
        channels
            .to_string()
            .contains("Adding a pattern after the * pattern"),
        "{channels}"
    );
    let spaced = vec![vec![Bytes::from_static(b"a b"), Bytes::from_static(b"on")]];
    let mut registry = Registry::new(PubsubDefault::ResetChannels);
    assert_eq!(
        apply_config_users(&mut registry, &spaced)
            .unwrap_err()
            .to_string(),
        "Spaces not allowed in ACL usernames"
    );
    assert_eq!(registry.len(), 1, "a failed load adds nobody");
}

#[test]
fn requirepass_is_replaced_by_a_default_user_line() {
    let mut registry = Registry::new(PubsubDefault::ResetChannels);
    registry.set_requirepass(Some(b"secret"));
    apply_config_users(
        &mut registry,
        &[declared("user default on nopass ~* +@all")],
    )
    .unwrap();
    assert_eq!(
        registry.default_user().describe(),
        "user default on nopass sanitize-payload ~* resetchannels +@all"
    );
    let mut registry = Registry::new(PubsubDefault::ResetChannels);
    registry.set_requirepass(Some(b"secret"));
    apply_config_users(&mut registry, &[declared("user alice on")]).unwrap();
    assert!(registry.default_user().authenticate(b"secret"));
}

#[test]
fn declaration_errors_name_what_redis_names() {
    let check = |text: &str| validate_user_declaration(&words(text));
    assert_eq!(check("user alice on ~* +@all"), Ok(()));
    // Unknown commands wait for the modules.
    assert_eq!(check("user alice on +nosuch"), Ok(()));
    // Redis indexes the directive with the rule's position.
    assert_eq!(
        check("user alice on bogus"),
        Err((1, "Syntax error".into()))
    );
    assert_eq!(
        check("user a on (+get ~x) >pw bogus"),
        Err((3, "Syntax error".into()))
    );
    assert_eq!(check("user a (+get"), Err((0, "Syntax error".into())));
    assert_eq!(
        check("user a #abc"),
        Err((
            0,
            "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters".into()
        ))
    );
}

/// Each file's error as redis-server 7.0.15 printed it for ACL LOAD
/// (filename `f`).
#[test]
fn edge_case_files_fail_as_in_redis() {
    let warning =
        "WARNING: ACL errors detected, no change to the previously active ACL rules was performed";
    let cases: &[(&[u8], &str)] = &[
        (b"# comment\nuser a on\n", "f:1 should start with user keyword followed by the username. "),
        (b"user a on\nuser  b on\n", "f:2: Syntax error. "),
        (b"user a (~x\n", "f:1: Unmatched parenthesis in selector definition."),
        (
            b"user a\nuser b on ~* ~x\nuser c on #zz >p <q\n",
            "f:2: Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns. \
             f:3: The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters. ",
        ),
        // fgets + strlen: the NUL cuts the read and its newline, joining the lines.
        (b"user a on\0x\nuser b on\n", "f:1: Syntax error. "),
        (
            b"user a on\tx\n\tuser\tb\nuser c\ton\n",
            "f:1: Syntax error. f:2 should start with user keyword followed by the username. \
             'f:3: username 'c\ton' contains invalid characters. ",
        ),
    ];
    for (text, expected) in cases {
        let err = load_acl_file(text, "f", PubsubDefault::ResetChannels).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{expected}{warning}"),
            "{:?}",
            String::from_utf8_lossy(text)
        );
    }
}

/// Pitfall #9: `%RW~*` is a pattern, not `allkeys`, so `%RW~* ~x` is
/// accepted by SETUSER, listed as `~* ~x`, saved so, and refused by LOAD.
#[test]
fn read_write_star_pattern_does_not_round_trip() {
    let mut registry = Registry::new(PubsubDefault::ResetChannels);
    registry
        .set_user(b"pit", &words("on %RW~* ~x +get"))
        .unwrap();
    let saved = render_acl_file(&registry);
    let text = String::from_utf8(saved.clone()).unwrap();
    assert!(
        text.contains("user pit on sanitize-payload ~* ~x resetchannels -@all +get\n"),
        "{text}"
    );
    let err = load_acl_file(&saved, "f", PubsubDefault::ResetChannels).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("f:2: Adding a pattern after the * pattern"),
        "{err}"
    );
}

/// The empty username and a user without rules survive SAVE then LOAD,
/// and so do selectors and `#hash` passwords.
#[test]
fn unusual_users_round_trip() {
    let mut registry = Registry::new(PubsubDefault::ResetChannels);
    registry.set_user(b"", &words("on nopass")).unwrap();
    registry.set_user(b"norules", &[]).unwrap();
    registry
        .set_user(b"sel", &words("on >pw ~a* (+get ~b* &c) (%R~r* +@read)"))
        .unwrap();
    let saved = render_acl_file(&registry);
    let text = String::from_utf8(saved.clone()).unwrap();
    assert!(text.starts_with("user  on nopass"), "{text}");
    assert!(!text.contains(">pw"), "{text}");
    let loaded = load_acl_file(&saved, "f", PubsubDefault::ResetChannels).unwrap();
    assert_eq!(render_acl_file(&loaded), saved);
    assert!(loaded.get(b"sel").unwrap().authenticate(b"pw"));
}

#[test]
fn allchannels_applies_to_file_users_and_selectors() {
    let loaded = load_acl_file(b"user a on (+get)\n", "f", PubsubDefault::AllChannels).unwrap();
    assert_eq!(
        loaded.get(b"a").unwrap().describe(),
        "user a on sanitize-payload &* -@all (&* -@all +get)"
    );
    let loaded = load_acl_file(b"user a on (+get)\n", "f", PubsubDefault::ResetChannels).unwrap();
    assert_eq!(
        loaded.get(b"a").unwrap().describe(),
        "user a on sanitize-payload resetchannels -@all (resetchannels -@all +get)"
    );
}

/// Found by the fuzz target: `%RW~*` after another pattern saves as
/// `~*`, which reads back as `allkeys` and drops the other pattern; the
/// second save is then stable. Redis's own ACLSetSelector does the same.
#[test]
fn a_read_write_star_after_a_pattern_becomes_allkeys_on_reload() {
    let first = load_acl_file(
        b"user pit on ~*t %RW~*\n",
        "f",
        PubsubDefault::ResetChannels,
    )
    .unwrap();
    let saved = render_acl_file(&first);
    assert!(String::from_utf8_lossy(&saved)
        .contains("user pit on sanitize-payload ~*t ~* resetchannels -@all\n"));
    let second = load_acl_file(&saved, "f", PubsubDefault::ResetChannels).unwrap();
    let canonical = render_acl_file(&second);
    assert!(String::from_utf8_lossy(&canonical)
        .contains("user pit on sanitize-payload ~* resetchannels -@all\n"));
    let third = load_acl_file(&canonical, "f", PubsubDefault::ResetChannels).unwrap();
    assert_eq!(render_acl_file(&third), canonical);
}
