//! Users that outlive the process: `user` lines in redis.conf, `--user`
//! on the command line, the aclfile; ACL SAVE, ACL LOAD, CONFIG REWRITE,
//! `requirepass`, `acl-pubsub-default`, `acllog-max-len`, and start-ups
//! that must refuse a bad configuration (Redis 7.2 behaviour, spec §9).

mod support;

use moat_resp::Frame;
use support::*;

const ALICE: &str = "user alice on >alicepw ~app:* resetchannels -@all +@read +@write";
const READER: &str = "user reader on >readpw ~app:* &news (+get ~other:*)";

fn expected_alice() -> String {
    format!(
        "user alice on sanitize-payload #{} ~app:* resetchannels -@all +@read +@write",
        sha256_hex("alicepw")
    )
}

fn expected_reader() -> String {
    format!(
        "user reader on sanitize-payload #{} ~app:* resetchannels &news -@all (~other:* resetchannels -@all +get)",
        sha256_hex("readpw")
    )
}

#[test]
fn users_from_config_lines_survive_a_restart() {
    let files = tempfile::tempdir().unwrap();
    let conf = files.path().join("redis.conf");
    std::fs::write(
        &conf,
        format!("# users\n{ALICE}\n{READER}\nuser default on nopass ~* &* +@all\n"),
    )
    .unwrap();
    let mut server = moat().config_file(&conf).start().unwrap();
    let before = acl_list(&mut server.client().unwrap());
    assert_eq!(
        before,
        [
            expected_alice(),
            "user default on nopass sanitize-payload ~* &* +@all".into(),
            expected_reader(),
        ]
    );
    client_as(&server, "alice", "alicepw");
    server.restart().unwrap();
    assert_eq!(acl_list(&mut server.client().unwrap()), before);
}

#[test]
fn users_from_the_command_line_survive_a_restart() {
    // Each rule is its own argument, as with redis-server (one quoted
    // argument would be a username with spaces).
    let mut args = Vec::new();
    for user in [ALICE, READER] {
        args.push("--user");
        args.extend(user.split(' ').skip(1));
    }
    let mut server = moat().args(args).start().unwrap();
    let before = acl_list(&mut server.client().unwrap());
    assert_eq!(
        before,
        [
            expected_alice(),
            "user default on nopass sanitize-payload ~* &* +@all".into(),
            expected_reader(),
        ]
    );
    server.restart().unwrap();
    assert_eq!(acl_list(&mut server.client().unwrap()), before);
    client_as(&server, "reader", "readpw");
}

#[test]
fn users_from_an_aclfile_survive_a_restart() {
    let files = tempfile::tempdir().unwrap();
    let aclfile = files.path().join("users.acl");
    std::fs::write(&aclfile, format!("{READER}\n\n{ALICE}\n")).unwrap();
    let conf = files.path().join("redis.conf");
    std::fs::write(&conf, format!("aclfile {}\n", aclfile.display())).unwrap();
    let mut server = moat().config_file(&conf).start().unwrap();
    let before = acl_list(&mut server.client().unwrap());
    assert_eq!(
        before,
        [
            expected_alice(),
            "user default on nopass sanitize-payload ~* &* +@all".into(),
            expected_reader(),
        ]
    );
    server.restart().unwrap();
    assert_eq!(acl_list(&mut server.client().unwrap()), before);
}

fn aclfile_server(
    content: &str,
) -> (
    tempfile::TempDir,
    std::path::PathBuf,
    moat_testkit::ServerProcess,
) {
    let files = tempfile::tempdir().unwrap();
    let aclfile = files.path().join("users.acl");
    std::fs::write(&aclfile, content).unwrap();
    let server = moat()
        .args(["--aclfile", aclfile.to_str().unwrap()])
        .start()
        .unwrap();
    (files, aclfile, server)
}

#[test]
fn setuser_without_save_is_gone_after_a_restart() {
    let (_files, aclfile, mut server) = aclfile_server(&format!("{ALICE}\n"));
    let mut client = server.client().unwrap();
    ok(
        &mut client,
        &["ACL", "SETUSER", "bob", "on", ">bobpw", "+@all"],
    );
    ok(&mut client, &["ACL", "SETUSER", "alice", "off"]);
    server.restart().unwrap();
    let after = acl_list(&mut server.client().unwrap());
    assert_eq!(
        after,
        [
            expected_alice(),
            "user default on nopass sanitize-payload ~* &* +@all".into()
        ]
    );
    assert_eq!(
        std::fs::read_to_string(&aclfile).unwrap(),
        format!("{ALICE}\n")
    );
}

#[test]
fn acl_save_then_restart_keeps_users_in_canonical_form() {
    let (files, aclfile, mut server) = aclfile_server(&format!("{ALICE}\n"));
    let mut client = server.client().unwrap();
    ok(
        &mut client,
        &[
            "ACL",
            "SETUSER",
            "zed",
            "on",
            ">zedpw",
            "~z:*",
            "(+get ~y:*)",
            "+@read",
        ],
    );
    ok(
        &mut client,
        &["ACL", "SETUSER", "Bob", "on", "nopass", "+@all"],
    );
    ok(
        &mut client,
        &["ACL", "SETUSER", "alice", "<alicepw", ">newpw"],
    );
    let listed = acl_list(&mut client);
    ok(&mut client, &["ACL", "SAVE"]);
    let saved = std::fs::read_to_string(&aclfile).unwrap();
    // Every user, one ACL LIST line each, in byte order ("Bob" < "alice").
    assert_eq!(
        saved,
        listed.iter().map(|l| format!("{l}\n")).collect::<String>()
    );
    let names: Vec<&str> = saved
        .lines()
        .map(|l| l.split(' ').nth(1).unwrap())
        .collect();
    assert_eq!(names, ["Bob", "alice", "default", "zed"]);
    assert!(
        saved.contains(&format!("#{}", sha256_hex("zedpw"))),
        "{saved}"
    );
    assert!(saved.contains("(~y:* resetchannels -@all +get)"), "{saved}");
    assert!(
        !saved.contains('>') && !saved.contains("pw "),
        "plaintext on disk: {saved}"
    );
    assert!(temp_files(files.path()).is_empty());
    server.restart().unwrap();
    assert_eq!(acl_list(&mut server.client().unwrap()), listed);
    client_as(&server, "alice", "newpw");
    client_as(&server, "zed", "zedpw");
}

#[test]
fn acl_save_turns_plaintext_passwords_into_hashes() {
    let (_files, aclfile, server) = aclfile_server("user app on >AppPassword ~app:* +@read\n");
    ok(&mut server.client().unwrap(), &["ACL", "SAVE"]);
    let saved = std::fs::read_to_string(&aclfile).unwrap();
    assert!(!saved.contains("AppPassword"), "{saved}");
    assert!(
        saved.contains(&format!(
            "user app on sanitize-payload #{} ~app:*",
            sha256_hex("AppPassword")
        )),
        "{saved}"
    );
}

#[test]
fn acl_save_and_load_without_aclfile_are_refused() {
    let server = moat().start().unwrap();
    let mut client = server.client().unwrap();
    let message = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.";
    assert_eq!(error(&mut client, &["ACL", "SAVE"]), message);
    assert_eq!(error(&mut client, &["ACL", "LOAD"]), message);
}

#[test]
fn acl_load_with_one_bad_line_changes_nothing() {
    let (_files, aclfile, server) = aclfile_server(&format!("{ALICE}\n"));
    let mut client = server.client().unwrap();
    ok(
        &mut client,
        &["ACL", "SETUSER", "bob", "on", "nopass", "+@all"],
    );
    let before = acl_list(&mut client);
    let path = aclfile.display().to_string();
    std::fs::write(
        &aclfile,
        "user carol on >c +@all\nuser dave on +nosuchcmd ~*\nuser erin on\n",
    )
    .unwrap();
    assert_eq!(
        error(&mut client, &["ACL", "LOAD"]),
        format!(
            "ERR {path}:2: Error in applying operation '+nosuchcmd': Unknown command or category name in ACL. \
             WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
        )
    );
    assert_eq!(acl_list(&mut client), before);
    // Every error of the file is reported, each with its line.
    std::fs::write(&aclfile, "user a on\n# note\nuser a off\nuser b (~x\n").unwrap();
    assert_eq!(
        error(&mut client, &["ACL", "LOAD"]),
        format!(
            "ERR {path}:2 should start with user keyword followed by the username. \
             WARNING: Duplicate user 'a' found on line 3. \
             {path}:4: Unmatched parenthesis in selector definition.\
             WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
        )
    );
    assert_eq!(acl_list(&mut client), before);
    std::fs::remove_file(&aclfile).unwrap();
    assert_eq!(
        error(&mut client, &["ACL", "LOAD"]),
        format!("ERR Error loading ACLs, opening file '{path}': No such file or directory")
    );
    assert_eq!(acl_list(&mut client), before);
}

#[test]
fn acl_load_recreates_default_and_disconnects_other_users() {
    let (_files, aclfile, server) = aclfile_server(
        "user default on >defpw ~* &* +@all\nuser admin on >adminpw +@all ~*\nuser alice on >alicepw +@all ~*\n",
    );
    let mut admin = client_as(&server, "admin", "adminpw");
    let mut alice = client_as(&server, "alice", "alicepw");
    let mut default = client_as(&server, "default", "defpw");
    // The file lacks default: it comes back with its boot rules.
    std::fs::write(
        &aclfile,
        "user admin on >adminpw +@all ~*\nuser alice on >alicepw +@all ~*\n",
    )
    .unwrap();
    // The issuing client gets its reply first, then is closed.
    ok(&mut admin, &["ACL", "LOAD"]);
    admin.wait_closed().unwrap();
    alice.wait_closed().unwrap();
    assert_eq!(call(&mut default, &["PING"]), Frame::Simple("PONG".into()));
    assert_eq!(
        acl_list(&mut default)[2],
        "user default on nopass sanitize-payload ~* &* +@all"
    );
    client_as(&server, "alice", "alicepw");
}

#[test]
fn config_rewrite_writes_users_with_hashed_passwords() {
    let files = tempfile::tempdir().unwrap();
    let conf = files.path().join("redis.conf");
    let original = "# Users of the app\nuser default off\nuser appservice on >AppPassword ~app:* +@all\n\n# keep me\nmaxmemory-policy allkeys-lru\nuser readonly on >ReadPassword ~app:* +@read\n";
    std::fs::write(&conf, original).unwrap();
    let mut server = moat().config_file(&conf).start().unwrap();
    let mut client = client_as(&server, "appservice", "AppPassword");
    ok(
        &mut client,
        &["ACL", "SETUSER", "late", "on", ">LatePassword", "+get"],
    );
    let listed = acl_list(&mut client);
    ok(&mut client, &["CONFIG", "REWRITE"]);
    let rewritten = std::fs::read_to_string(&conf).unwrap();
    for plain in ["AppPassword", "ReadPassword", "LatePassword", ">"] {
        assert!(!rewritten.contains(plain), "{plain} left in: {rewritten}");
    }
    for line in &listed {
        assert!(
            rewritten.lines().any(|l| l == line),
            "{line} missing: {rewritten}"
        );
    }
    assert!(rewritten.contains(&format!("#{}", sha256_hex("AppPassword"))));
    assert!(rewritten.starts_with("# Users of the app\n"), "{rewritten}");
    assert!(
        rewritten.contains("# keep me\nmaxmemory-policy allkeys-lru\n"),
        "{rewritten}"
    );
    assert!(temp_files(files.path()).is_empty());
    server.restart().unwrap();
    assert_eq!(
        acl_list(&mut client_as(&server, "appservice", "AppPassword")),
        listed
    );
}

#[test]
fn config_rewrite_leaves_users_to_the_aclfile() {
    let files = tempfile::tempdir().unwrap();
    let aclfile = files.path().join("users.acl");
    std::fs::write(&aclfile, format!("{ALICE}\n")).unwrap();
    let conf = files.path().join("redis.conf");
    std::fs::write(&conf, format!("# mine\naclfile {}\n", aclfile.display())).unwrap();
    let mut server = moat().config_file(&conf).start().unwrap();
    let mut client = server.client().unwrap();
    ok(&mut client, &["ACL", "SETUSER", "bob", "on", ">bobpw"]);
    ok(&mut client, &["CONFIG", "REWRITE"]);
    let rewritten = std::fs::read_to_string(&conf).unwrap();
    assert!(
        !rewritten.lines().any(|l| l.starts_with("user ")),
        "{rewritten}"
    );
    assert!(rewritten.starts_with("# mine\n"), "{rewritten}");
    assert_eq!(
        std::fs::read_to_string(&aclfile).unwrap(),
        format!("{ALICE}\n")
    );
    // Users were not saved: bob is gone after a restart.
    server.restart().unwrap();
    assert_eq!(acl_list(&mut server.client().unwrap()).len(), 2);
}

#[test]
fn requirepass_sets_the_default_password_and_changes_at_run_time() {
    let server = moat().args(["--requirepass", "first"]).start().unwrap();
    let mut anonymous = server.client().unwrap();
    assert_eq!(
        error(&mut anonymous, &["GET", "k"]),
        "NOAUTH Authentication required."
    );
    let mut client = client_as(&server, "default", "first");
    let config_get =
        |client: &mut moat_testkit::Client| match call(client, &["CONFIG", "GET", "requirepass"]) {
            Frame::Array(items) | Frame::Set(items) => items.iter().map(text).collect::<Vec<_>>(),
            Frame::Map(pairs) => pairs.iter().flat_map(|(k, v)| [text(k), text(v)]).collect(),
            other => panic!("{other:?}"),
        };
    assert_eq!(config_get(&mut client), ["requirepass", "first"]);
    ok(&mut client, &["CONFIG", "SET", "requirepass", "second"]);
    assert_eq!(config_get(&mut client), ["requirepass", "second"]);
    assert_eq!(
        error(&mut server.client().unwrap(), &["AUTH", "first"]),
        "WRONGPASS invalid username-password pair or user is disabled."
    );
    client_as(&server, "default", "second");
    assert_eq!(
        acl_list(&mut client)[0],
        format!(
            "user default on sanitize-payload #{} ~* &* +@all",
            sha256_hex("second")
        )
    );
    ok(&mut client, &["CONFIG", "SET", "requirepass", ""]);
    assert_eq!(
        acl_list(&mut client)[0],
        "user default on nopass sanitize-payload ~* &* +@all"
    );
    assert_eq!(
        call(&mut server.client().unwrap(), &["PING"]),
        Frame::Simple("PONG".into())
    );
}

#[test]
fn a_default_user_line_wins_over_requirepass() {
    let files = tempfile::tempdir().unwrap();
    let conf = files.path().join("redis.conf");
    std::fs::write(&conf, "requirepass foo\nuser default on nopass ~* +@all\n").unwrap();
    let server = moat().config_file(&conf).start().unwrap();
    let mut client = server.client().unwrap();
    assert_eq!(
        acl_list(&mut client),
        ["user default on nopass sanitize-payload ~* resetchannels +@all"]
    );
}

#[test]
fn acl_pubsub_default_applies_to_users_created_afterwards() {
    let (_files, _aclfile, server) = aclfile_server("user old on (+get)\n");
    let mut client = server.client().unwrap();
    ok(&mut client, &["ACL", "SETUSER", "r1", "(+get)"]);
    ok(
        &mut client,
        &["CONFIG", "SET", "acl-pubsub-default", "allchannels"],
    );
    ok(&mut client, &["ACL", "SETUSER", "a1", "(+get)"]);
    ok(&mut client, &["ACL", "SETUSER", "r1", "(+set)"]);
    let list = acl_list(&mut client);
    assert!(
        list.contains(&"user a1 off sanitize-payload &* -@all (&* -@all +get)".to_string()),
        "{list:?}"
    );
    assert!(
        list.contains(&"user r1 off sanitize-payload resetchannels -@all (resetchannels -@all +get) (&* -@all +set)".to_string()),
        "{list:?}"
    );
    assert!(
        list.contains(
            &"user old on sanitize-payload resetchannels -@all (resetchannels -@all +get)"
                .to_string()
        ),
        "{list:?}"
    );
    // ACL LOAD creates its users under the current setting too.
    ok(&mut client, &["ACL", "LOAD"]);
    assert_eq!(
        acl_list(&mut client)[1],
        "user old on sanitize-payload &* -@all (&* -@all +get)"
    );
}

#[test]
fn acl_pubsub_default_from_the_config_file() {
    let files = tempfile::tempdir().unwrap();
    let conf = files.path().join("redis.conf");
    std::fs::write(&conf, "acl-pubsub-default allchannels\nuser cfg on +get\n").unwrap();
    let server = moat().config_file(&conf).start().unwrap();
    let mut client = server.client().unwrap();
    ok(&mut client, &["ACL", "SETUSER", "new"]);
    assert_eq!(
        acl_list(&mut client),
        [
            "user cfg on sanitize-payload &* -@all +get",
            "user default on nopass sanitize-payload ~* &* +@all",
            "user new off sanitize-payload &* -@all",
        ]
    );
}

fn log_len(client: &mut moat_testkit::Client) -> usize {
    match call(client, &["ACL", "LOG", "100"]) {
        Frame::Array(entries) => entries.len(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn acllog_max_len_trims_only_when_an_entry_is_added() {
    let files = tempfile::tempdir().unwrap();
    let conf = files.path().join("redis.conf");
    std::fs::write(&conf, "acllog-max-len 3\nuser weak on >w +ping\n").unwrap();
    let server = moat().config_file(&conf).start().unwrap();
    let mut admin = server.client().unwrap();
    let mut weak = client_as(&server, "weak", "w");
    // Distinct objects so that no entry groups with another.
    for key in ["a", "b", "c", "d"] {
        let denied = error(&mut weak, &["GET", key]);
        assert!(denied.starts_with("NOPERM"), "{denied}");
        let denied = error(&mut weak, &["SET", key, "v"]);
        assert!(denied.starts_with("NOPERM"), "{denied}");
    }
    assert_eq!(log_len(&mut admin), 2, "get and set group: two entries");
    for command in [&["INCR", "x"][..], &["DEL", "x"], &["LPUSH", "x", "1"]] {
        error(&mut weak, command);
    }
    assert_eq!(log_len(&mut admin), 3);
    ok(&mut admin, &["CONFIG", "SET", "acllog-max-len", "1"]);
    assert_eq!(
        log_len(&mut admin),
        3,
        "lowering the limit keeps the entries"
    );
    error(&mut weak, &["HSET", "h", "f", "v"]);
    assert_eq!(log_len(&mut admin), 1);
    ok(&mut admin, &["CONFIG", "SET", "acllog-max-len", "0"]);
    assert_eq!(log_len(&mut admin), 1);
    error(&mut weak, &["SADD", "s", "m"]);
    assert_eq!(
        log_len(&mut admin),
        0,
        "with 0 the next event empties the log"
    );
}

#[test]
fn a_duplicate_user_is_a_fatal_config_error() {
    let files = tempfile::tempdir().unwrap();
    std::fs::write(
        files.path().join("redis.conf"),
        "port 0\nuser alice on\nuser alice off\n",
    )
    .unwrap();
    let exit = start_must_fail(files.path(), &["redis.conf"]);
    assert!(
        exit.stderr.contains(
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.2.4) ***\nReading the configuration file, at line 3\n>>> 'user alice off'\nError in user declaration 'alice': Duplicate user found. A user can only be defined once in config files"
        ),
        "{}",
        exit.output()
    );
    // The same from the command line.
    let exit = start_must_fail(
        files.path(),
        &["--user", "bob", "on", "--user", "bob", "off"],
    );
    assert!(
        exit.stderr
            .contains("Error in user declaration 'bob': Duplicate user found."),
        "{}",
        exit.output()
    );
}

#[test]
fn a_bad_user_rule_is_a_fatal_config_error_naming_its_line() {
    let files = tempfile::tempdir().unwrap();
    std::fs::write(files.path().join("redis.conf"), "\nuser alice on bogus\n").unwrap();
    let exit = start_must_fail(files.path(), &["redis.conf"]);
    assert!(
        exit.stderr.contains(
            "at line 2\n>>> 'user alice on bogus'\nError in user declaration 'alice': Syntax error"
        ),
        "{}",
        exit.output()
    );
    // Unknown commands are only known to be wrong once the users are created.
    std::fs::write(files.path().join("redis.conf"), "user alice +nosuch\n").unwrap();
    let exit = start_must_fail(files.path(), &["redis.conf"]);
    let output = exit.output();
    let rule = output
        .find("Error loading ACL rule '+nosuch' for the user named 'alice': Unknown command or category name in ACL")
        .expect(&output);
    let critical = output
        .find("Critical error while loading ACLs. Exiting.")
        .expect(&output);
    assert!(rule < critical, "{output}");
    std::fs::write(files.path().join("redis.conf"), "user \"a b\" on\n").unwrap();
    let exit = start_must_fail(files.path(), &["redis.conf"]);
    assert!(
        exit.output()
            .contains("Spaces not allowed in ACL usernames"),
        "{}",
        exit.output()
    );
}

#[test]
fn users_and_an_aclfile_together_are_refused() {
    let files = tempfile::tempdir().unwrap();
    std::fs::write(files.path().join("users.acl"), "user bob on\n").unwrap();
    std::fs::write(
        files.path().join("redis.conf"),
        "user alice on\naclfile users.acl\n",
    )
    .unwrap();
    let exit = start_must_fail(files.path(), &["redis.conf"]);
    assert!(
        exit.output().contains("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both."),
        "{}",
        exit.output()
    );
}

#[test]
fn a_bad_aclfile_stops_start_up_with_every_error() {
    let files = tempfile::tempdir().unwrap();
    std::fs::write(
        files.path().join("users.acl"),
        "user a on +nocmd\nfoo\nuser b (~x\n",
    )
    .unwrap();
    let exit = start_must_fail(files.path(), &["--aclfile", "users.acl"]);
    assert!(
        exit.output().contains(
            "Aborting Redis startup because of ACL errors: users.acl:1: Error in applying operation '+nocmd': Unknown command or category name in ACL. \
             users.acl:2 should start with user keyword followed by the username. \
             users.acl:3: Unmatched parenthesis in selector definition.\
             WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
        ),
        "{}",
        exit.output()
    );
    let exit = start_must_fail(files.path(), &["--aclfile", "missing.acl"]);
    assert!(
        exit.output().contains("Aborting Redis startup because of ACL errors: Error loading ACLs, opening file 'missing.acl': No such file or directory"),
        "{}",
        exit.output()
    );
}

#[test]
fn check_acl_validates_offline() {
    let files = tempfile::tempdir().unwrap();
    let dir = files.path();
    std::fs::write(dir.join("good.acl"), format!("{ALICE}\n{READER}\n")).unwrap();
    let exit = run_to_exit(&binary(), &["--check-acl", "good.acl"], dir);
    assert_eq!(exit.code, Some(0), "{}", exit.output());
    assert_eq!(exit.stdout, "good.acl: OK, 3 users\n");
    std::fs::write(
        dir.join("bad.acl"),
        "user a on +nocmd\n# comment\nuser a off\nuser b (~x\n",
    )
    .unwrap();
    let exit = run_to_exit(&binary(), &["--check-acl", "bad.acl"], dir);
    assert_eq!(exit.code, Some(1), "{}", exit.output());
    assert_eq!(
        exit.stderr,
        "bad.acl:1: Error in applying operation '+nocmd': Unknown command or category name in ACL.\n\
         bad.acl:2 should start with user keyword followed by the username.\n\
         WARNING: Duplicate user 'a' found on line 3.\n\
         bad.acl:4: Unmatched parenthesis in selector definition.\n"
    );
    // The pub/sub default decides whether `&x` may follow the implicit `&*`.
    std::fs::write(dir.join("chan.acl"), "user c on &x\n").unwrap();
    let exit = run_to_exit(&binary(), &["--check-acl", "chan.acl"], dir);
    assert_eq!(exit.code, Some(0), "{}", exit.output());
    let exit = run_to_exit(
        &binary(),
        &[
            "--check-acl",
            "chan.acl",
            "--acl-pubsub-default",
            "allchannels",
        ],
        dir,
    );
    assert_eq!(exit.code, Some(1), "{}", exit.output());
    assert!(
        exit.stderr.starts_with(
            "chan.acl:1: Adding a pattern after the * pattern (or the 'allchannels' flag)"
        ),
        "{}",
        exit.stderr
    );
    let exit = run_to_exit(&binary(), &["--check-acl", "nope.acl"], dir);
    assert_eq!(exit.code, Some(1));
    assert_eq!(
        exit.stderr,
        "Error loading ACLs, opening file 'nope.acl': No such file or directory\n"
    );
}

#[test]
fn check_config_validates_offline() {
    let files = tempfile::tempdir().unwrap();
    let dir = files.path();
    let check = |conf: &str| {
        std::fs::write(dir.join("redis.conf"), conf).unwrap();
        run_to_exit(&binary(), &["--check-config", "redis.conf"], dir)
    };
    let exit = check("port 7777\nuser alice on >pw +@all\n");
    assert_eq!(exit.code, Some(0), "{}", exit.output());
    assert_eq!(exit.stdout, "redis.conf: OK, 2 users (1 user directives)\n");
    let exit = check("port 7777\nuser alice on bogus\n");
    assert_eq!(exit.code, Some(1));
    assert!(
        exit.stderr.contains(
            "at line 2\n>>> 'user alice on bogus'\nError in user declaration 'alice': Syntax error"
        ),
        "{}",
        exit.stderr
    );
    let exit = check("maxmemory lots\n");
    assert_eq!(exit.code, Some(1));
    assert!(
        exit.stderr.contains("*** FATAL CONFIG FILE ERROR"),
        "{}",
        exit.stderr
    );
    std::fs::write(dir.join("users.acl"), "user a on +nocmd\nuser b on ~* ~x\n").unwrap();
    let exit = check(&format!("dir {}\naclfile users.acl\n", dir.display()));
    assert_eq!(exit.code, Some(1));
    assert_eq!(
        exit.stderr,
        "users.acl:1: Error in applying operation '+nocmd': Unknown command or category name in ACL.\n\
         users.acl:2: Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns.\n"
    );
    let exit = check("aclfile users.acl\nuser x on\n");
    assert_eq!(exit.code, Some(1));
    assert!(exit.stderr.contains("but not both."), "{}", exit.stderr);
}
