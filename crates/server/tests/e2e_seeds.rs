//! The three product seed documents (`/work/shared/seeds/`), replayed with
//! the real redis-cli against moat-server: every ACL rule, command and
//! scenario in them, except pub/sub message delivery and hash/JSON data,
//! which have their own tests. JSON *rules* are here: their acceptance, the
//! GETUSER/LIST text and the decisions (ACL DRYRUN) they lead to.
//!
//! redis-cli's stdout is not a terminal, so it prints raw (no quotes, no
//! `(integer)`) unless a call passes `--no-raw`.

use moat_testkit::{moat_server, redis_cli, redis_cli_output, reference, ServerProcess};
use std::path::Path;

const DEVOPS_PASSWORD: &str = "Pr4UmfeLGGJEnBu8zX6VgAYux65C0ide";
const DEVOPS_HASH: &str = "3507e38950cdd87d25b568fb4a047edd76ced6de5f61c4cde224a444f3bbf2e6";
/// sha256("1234qwer"), faustobranco's password.
const FAUSTO_HASH: &str = "ef51306214d9a6361ee1d5b452e6d2bb70dc7ebb85bf9e02c3d4747fb57d6bec";
const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

/// A moat-server, or `None` (test skipped) when redis-cli is not installed.
fn moat() -> Option<ServerProcess> {
    moat_testkit::moat_for_redis_cli(option_env!("CARGO_BIN_EXE_moat-server"))
}

/// A moat-server reading `config` as its redis.conf (written in `dir`).
fn moat_with_config(dir: &Path, config: &str) -> Option<ServerProcess> {
    reference::redis_cli()?;
    let path = dir.join("redis.conf");
    std::fs::write(&path, config).unwrap();
    Some(
        moat_server(option_env!("CARGO_BIN_EXE_moat-server"))
            .config_file(path)
            .start()
            .unwrap(),
    )
}

fn cli(server: &ServerProcess, args: &[&str]) -> String {
    redis_cli(server.port(), args).unwrap_or_else(|e| panic!("redis-cli {args:?}: {e}"))
}

/// The single line redis-cli printed, without its newline.
fn line(server: &ServerProcess, args: &[&str]) -> String {
    cli(server, args).trim_end().to_string()
}

/// Runs redis-cli and returns (stdout line, stderr): a failed `-a`/`-u`
/// AUTH is reported on stderr only, and the command is still sent.
fn cli_with_auth_error(server: &ServerProcess, args: &[&str]) -> (String, String) {
    let output = redis_cli_output(server.port(), args).unwrap();
    (output.stdout.trim_end().to_string(), output.stderr)
}

fn assert_auth_failed(stderr: &str) {
    assert!(
        stderr.contains(&format!("AUTH failed: {WRONGPASS}")),
        "expected a failed AUTH, stderr: {stderr}"
    );
}

fn url(server: &ServerProcess, user: &str, password: &str) -> String {
    server.url(user, password)
}

fn setuser(server: &ServerProcess, user: &str, rules: &[&str]) -> String {
    let mut args = vec!["ACL", "SETUSER", user];
    args.extend_from_slice(rules);
    line(server, &args)
}

fn dryrun(server: &ServerProcess, user: &str, request: &[&str]) -> String {
    let mut args = vec!["ACL", "DRYRUN", user];
    args.extend_from_slice(request);
    line(server, &args)
}

/// The `commands` field of `ACL GETUSER` (raw output: field, value lines).
fn commands_of(server: &ServerProcess, user: &str) -> String {
    let getuser = cli(server, &["ACL", "GETUSER", user]);
    let mut lines = getuser.lines();
    lines.by_ref().find(|l| *l == "commands");
    lines.next().unwrap_or_default().to_string()
}

fn devops_user(server: &ServerProcess) {
    let rules = [
        "on",
        ">Pr4UmfeLGGJEnBu8zX6VgAYux65C0ide",
        "~user:profile:*",
        "+@hash",
        "+@read",
        "+@write",
        "-flushall",
        "-flushdb",
    ];
    assert_eq!(setuser(server, "devops_api_user", &rules), "OK");
}

// ---- Seed 000: devops_api_user, stacking, precedence, reset, superuser ----

#[test]
fn seed_000_devops_user_is_jailed_to_its_keys() {
    let Some(server) = moat() else { return };
    devops_user(&server);
    let devops = url(&server, "devops_api_user", DEVOPS_PASSWORD);
    assert_eq!(
        line(&server, &["-u", &devops, "SET", "user:profile:1", "x"]),
        "OK"
    );
    assert_eq!(
        line(&server, &["-u", &devops, "GET", "user:profile:1"]),
        "x"
    );
    assert_eq!(
        dryrun(
            &server,
            "devops_api_user",
            &["HSET", "user:profile:1", "name", "x"]
        ),
        "OK"
    );
    assert_eq!(
        dryrun(&server, "devops_api_user", &["HGETALL", "user:profile:1"]),
        "OK"
    );
    assert_eq!(
        line(&server, &["-u", &devops, "GET", "admin:settings"]),
        "NOPERM No permissions to access a key"
    );
    assert_eq!(
        line(&server, &["-u", &devops, "SET", "other_app:data", "v"]),
        "NOPERM No permissions to access a key"
    );
    assert_eq!(
        line(&server, &["-u", &devops, "FLUSHALL"]),
        "NOPERM User devops_api_user has no permissions to run the 'flushall' command"
    );
    assert_eq!(
        line(&server, &["-u", &devops, "FLUSHDB"]),
        "NOPERM User devops_api_user has no permissions to run the 'flushdb' command"
    );
    // ACL WHOAMI is only @slow: not granted, but the refusal names the user.
    assert_eq!(
        line(&server, &["-u", &devops, "ACL", "WHOAMI"]),
        "NOPERM User devops_api_user has no permissions to run the 'acl|whoami' command"
    );
}

#[test]
fn seed_000_permissions_stack_incrementally() {
    let Some(server) = moat() else { return };
    assert_eq!(setuser(&server, "devops_api_user", &["+get"]), "OK");
    assert_eq!(setuser(&server, "devops_api_user", &["+set"]), "OK");
    assert_eq!(commands_of(&server, "devops_api_user"), "-@all +get +set");
    assert_eq!(
        dryrun(&server, "devops_api_user", &["GET", "k"]),
        "User devops_api_user has no permissions to access the 'k' key"
    );
    assert_eq!(setuser(&server, "devops_api_user", &["~*"]), "OK");
    assert_eq!(dryrun(&server, "devops_api_user", &["GET", "k"]), "OK");
    assert_eq!(dryrun(&server, "devops_api_user", &["SET", "k", "v"]), "OK");

    // The seed's own session: the JSON rules are appended, the password and
    // the key patterns are untouched.
    let server = moat().unwrap();
    devops_user(&server);
    assert_eq!(
        setuser(&server, "devops_api_user", &["+json.set", "+json.get"]),
        "OK"
    );
    let getuser = cli(&server, &["--no-raw", "ACL", "GETUSER", "devops_api_user"]);
    let expected = format!(
        r#" 1) "flags"
 2) 1) "on"
    2) "sanitize-payload"
 3) "passwords"
 4) 1) "{DEVOPS_HASH}"
 5) "commands"
 6) "-@all +@hash +@read +@write -flushall -flushdb +json.set +json.get"
 7) "keys"
 8) "~user:profile:*"
 9) "channels"
10) ""
11) "selectors"
12) (empty array)
"#
    );
    assert_eq!(getuser, expected);
    assert_eq!(
        dryrun(
            &server,
            "devops_api_user",
            &["JSON.SET", "user:profile:1", "$", "1"]
        ),
        "OK"
    );
    assert_eq!(
        dryrun(&server, "devops_api_user", &["JSON.GET", "user:profile:1"]),
        "OK"
    );
    assert_eq!(
        dryrun(&server, "devops_api_user", &["JSON.GET", "other:1"]),
        "User devops_api_user has no permissions to access the 'other:1' key"
    );
}

#[test]
fn seed_000_rules_apply_left_to_right() {
    let Some(server) = moat() else { return };
    // +@json then -json.del: everything in the category except delete.
    assert_eq!(
        setuser(
            &server,
            "devops_api_user",
            &["~user:*", "+@json", "-json.del"]
        ),
        "OK"
    );
    assert_eq!(
        commands_of(&server, "devops_api_user"),
        "-@all +@json -json.del"
    );
    assert_eq!(
        dryrun(&server, "devops_api_user", &["JSON.DEL", "user:1"]),
        "User devops_api_user has no permissions to run the 'json.del' command"
    );
    assert_eq!(
        dryrun(
            &server,
            "devops_api_user",
            &["JSON.SET", "user:1", "$", "1"]
        ),
        "OK"
    );
    assert_eq!(
        dryrun(&server, "devops_api_user", &["JSON.GET", "user:1"]),
        "OK"
    );
    assert_eq!(
        dryrun(&server, "devops_api_user", &["GET", "user:1"]),
        "User devops_api_user has no permissions to run the 'get' command"
    );

    // Reversed: the final +@json re-enables json.del.
    assert_eq!(
        setuser(&server, "reversed", &["~user:*", "-json.del", "+@json"]),
        "OK"
    );
    assert_eq!(commands_of(&server, "reversed"), "-@all -json.del +@json");
    assert_eq!(dryrun(&server, "reversed", &["JSON.DEL", "user:1"]), "OK");
}

#[test]
fn seed_000_reset_starts_from_a_clean_slate() {
    let Some(server) = moat() else { return };
    devops_user(&server);
    assert_eq!(
        setuser(
            &server,
            "devops_api_user",
            &["reset", "on", ">new_password_123", "+@json", "~user:*"]
        ),
        "OK"
    );
    assert_eq!(
        line(&server, &["ACL", "LIST"])
            .lines()
            .nth(1)
            .unwrap_or_default(),
        "user devops_api_user on sanitize-payload \
         #28e2ed45ccf90e944ae971e6a064668c02f86d4e9d409927470582da22a8e0f0 \
         ~user:* resetchannels -@all +@json"
    );
    let old = url(&server, "devops_api_user", DEVOPS_PASSWORD);
    // The old password is gone; the connection stays the (open) default user.
    let (reply, stderr) = cli_with_auth_error(&server, &["-u", &old, "ACL", "WHOAMI"]);
    assert_auth_failed(&stderr);
    assert_eq!(reply, "default");
    let new = url(&server, "devops_api_user", "new_password_123");
    assert_eq!(
        line(&server, &["-u", &new, "HSET", "user:1", "f", "v"]),
        "NOPERM User devops_api_user has no permissions to run the 'hset' command"
    );
}

#[test]
fn seed_000_superuser_list_users_and_whoami() {
    let Some(server) = moat() else { return };
    devops_user(&server);
    assert_eq!(setuser(&server, "devops_api_user", &["+json.set"]), "OK");
    assert_eq!(
        setuser(&server, "faustobranco", &["on", ">1234qwer", "~*", "+@all"]),
        "OK"
    );
    assert_eq!(
        cli(&server, &["ACL", "LIST"]),
        format!(
            "user default on nopass sanitize-payload ~* &* +@all\n\
             user devops_api_user on sanitize-payload #{DEVOPS_HASH} ~user:profile:* resetchannels -@all +@hash +@read +@write -flushall -flushdb +json.set\n\
             user faustobranco on sanitize-payload #{FAUSTO_HASH} ~* resetchannels +@all\n"
        )
    );
    assert_eq!(
        cli(&server, &["--no-raw", "ACL", "USERS"]),
        "1) \"default\"\n2) \"devops_api_user\"\n3) \"faustobranco\"\n"
    );
    let fausto = url(&server, "faustobranco", "1234qwer");
    assert_eq!(
        cli(&server, &["--no-raw", "-u", &fausto, "ACL", "WHOAMI"]),
        "\"faustobranco\"\n"
    );
    assert_eq!(line(&server, &["-u", &fausto, "SET", "any:key", "v"]), "OK");
    assert_eq!(
        line(&server, &["-u", &fausto, "CONFIG", "GET", "maxmemory"]),
        "maxmemory\n0"
    );
}

#[test]
fn seed_000_option_a_default_user_off() {
    let Some(server) = moat() else { return };
    assert_eq!(
        setuser(&server, "faustobranco", &["on", ">1234qwer", "~*", "+@all"]),
        "OK"
    );
    assert_eq!(setuser(&server, "default", &["off"]), "OK");
    assert_eq!(
        line(&server, &["GET", "k"]),
        "NOAUTH Authentication required."
    );
    // `off` keeps `nopass`, so a password alone is refused as Redis does.
    let (reply, stderr) =
        cli_with_auth_error(&server, &["-a", "anything", "--no-auth-warning", "PING"]);
    assert_eq!(
        stderr.trim_end(),
        "AUTH failed: ERR AUTH <password> called without any password configured for the \
         default user. Are you sure your configuration is correct?"
    );
    assert_eq!(reply, "NOAUTH Authentication required.");
    let (reply, stderr) = cli_with_auth_error(
        &server,
        &[
            "--user",
            "default",
            "--pass",
            "x",
            "--no-auth-warning",
            "PING",
        ],
    );
    assert_auth_failed(&stderr);
    assert_eq!(reply, "NOAUTH Authentication required.");
    let fausto = url(&server, "faustobranco", "1234qwer");
    assert!(line(&server, &["-u", &fausto, "ACL", "LIST"])
        .contains("user default off nopass sanitize-payload ~* &* +@all"));
}

#[test]
fn seed_000_option_b_default_user_with_a_password() {
    let Some(server) = moat() else { return };
    let password = "ef51306214d9a6361ee1d5b452e6d2bb70dc7ebb85bf9e02c3d4747fb57d6bec";
    assert_eq!(
        setuser(&server, "default", &[&format!(">{password}")]),
        "OK"
    );
    assert_eq!(line(&server, &["PING"]), "NOAUTH Authentication required.");
    let default = url(&server, "default", password);
    assert_eq!(line(&server, &["-u", &default, "PING"]), "PONG");
    // The text given after `>` is a password, hashed like any other.
    assert_eq!(
        line(&server, &["-u", &default, "ACL", "LIST"]),
        "user default on sanitize-payload \
         #ab2fde54f4216bd6427cffef0d251ce3cfd405a456814f8b7010e19afc9d0215 ~* &* +@all"
    );
    let (reply, stderr) =
        cli_with_auth_error(&server, &["-a", "wrong", "--no-auth-warning", "PING"]);
    assert_auth_failed(&stderr);
    assert_eq!(reply, "NOAUTH Authentication required.");
}

// ---- Seed 001: rule syntax, key permissions, channels, selectors ----

#[test]
fn seed_001_commands_categories_and_module_commands() {
    let Some(server) = moat() else { return };
    assert_eq!(
        setuser(&server, "reader", &["on", "nopass", "~*", "+@read", "+SET"]),
        "OK"
    );
    assert_eq!(commands_of(&server, "reader"), "-@all +@read +set");
    assert_eq!(dryrun(&server, "reader", &["SET", "k", "v"]), "OK");
    assert_eq!(dryrun(&server, "reader", &["GET", "k"]), "OK");
    assert_eq!(
        dryrun(&server, "reader", &["DEL", "k"]),
        "User reader has no permissions to run the 'del' command"
    );
    // RediSearch is not loaded, so its commands are unknown, as on Redis
    // without the module; the failed SETUSER changes nothing.
    assert_eq!(
        setuser(&server, "reader", &["+@read", "+FT.INFO", "+FT.SEARCH"]),
        "ERR Error in ACL SETUSER modifier '+FT.INFO': Unknown command or category name in ACL"
    );
    assert_eq!(commands_of(&server, "reader"), "-@all +@read +set");
    // +@all covers module commands too.
    assert_eq!(
        setuser(&server, "everything", &["nopass", "~*", "+@all"]),
        "OK"
    );
    assert_eq!(dryrun(&server, "everything", &["JSON.GET", "k"]), "OK");
    assert_eq!(
        setuser(&server, "none", &["nopass", "~*", "+@all", "nocommands"]),
        "OK"
    );
    assert_eq!(
        dryrun(&server, "none", &["GET", "k"]),
        "User none has no permissions to run the 'get' command"
    );
}

#[test]
fn seed_001_read_write_key_patterns() {
    let Some(server) = moat() else { return };
    assert_eq!(
        setuser(
            &server,
            "app",
            &["on", ">pw", "+@all", "~app1*", "%R~app2*"]
        ),
        "OK"
    );
    let app = url(&server, "app", "pw");
    assert_eq!(line(&server, &["-u", &app, "SET", "app1:x", "v"]), "OK");
    assert_eq!(line(&server, &["-u", &app, "GET", "app1:x"]), "v");
    assert_eq!(line(&server, &["-u", &app, "GET", "app2:x"]), "");
    assert_eq!(
        line(&server, &["-u", &app, "SET", "app2:x", "v"]),
        "NOPERM No permissions to access a key"
    );
    assert_eq!(
        line(&server, &["-u", &app, "GET", "app3:x"]),
        "NOPERM No permissions to access a key"
    );
    assert_eq!(
        setuser(
            &server,
            "rw",
            &["%RW~a", "%R~b", "%W~c", "allkeys", "resetkeys", "%W~w*"]
        ),
        "OK"
    );
    let getuser = cli(&server, &["ACL", "GETUSER", "rw"]);
    assert!(getuser.contains("keys\n%W~w*\n"), "{getuser}");
    assert_eq!(setuser(&server, "rw", &["%RW~a", "%R~b", "%W~c"]), "OK");
    assert!(cli(&server, &["ACL", "LIST"])
        .contains("user rw off sanitize-payload %W~w* ~a %R~b %W~c resetchannels -@all\n"));
    assert_eq!(
        setuser(&server, "rw", &["allkeys", "~more"]),
        "ERR Error in ACL SETUSER modifier '~more': Adding a pattern after the * pattern \
         (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' \
         to start with an empty list of patterns"
    );
}

#[test]
fn seed_001_channel_patterns() {
    let Some(server) = moat() else { return };
    assert_eq!(
        setuser(
            &server,
            "chan",
            &[
                "on",
                "nopass",
                "+@all",
                "resetchannels",
                "&channel1",
                "&channel2"
            ]
        ),
        "OK"
    );
    let getuser = cli(&server, &["ACL", "GETUSER", "chan"]);
    assert!(
        getuser.contains("channels\n&channel1 &channel2\n"),
        "{getuser}"
    );
    assert!(cli(&server, &["ACL", "LIST"]).contains(
        "user chan on nopass sanitize-payload resetchannels &channel1 &channel2 +@all\n"
    ));
    assert_eq!(dryrun(&server, "chan", &["PUBLISH", "channel1", "m"]), "OK");
    assert_eq!(
        dryrun(&server, "chan", &["SUBSCRIBE", "channel1", "channel2"]),
        "OK"
    );
    assert_eq!(
        dryrun(&server, "chan", &["PUBLISH", "channel3", "m"]),
        "User chan has no permissions to access the 'channel3' channel"
    );
    let chan = url(&server, "chan", "x");
    assert_eq!(
        line(&server, &["-u", &chan, "PUBLISH", "channel3", "m"]),
        "NOPERM No permissions to access a channel"
    );

    assert_eq!(setuser(&server, "all", &["allchannels"]), "OK");
    assert_eq!(setuser(&server, "all", &["&*"]), "OK");
    assert!(setuser(&server, "all", &["&x"])
        .ends_with("Try 'resetchannels' to start with an empty list of channels"));
}

#[test]
fn seed_001_selectors() {
    let Some(server) = moat() else { return };
    assert_eq!(
        setuser(
            &server,
            "sel",
            &["on", ">pw", "+GET", "~key1", "(+SET ~key2)"]
        ),
        "OK"
    );
    let getuser = cli(&server, &["--no-raw", "ACL", "GETUSER", "sel"]);
    let selectors = getuser.split_once("11) \"selectors\"\n").map(|(_, s)| s);
    assert_eq!(
        selectors,
        Some(
            "12) 1) 1) \"commands\"\n       2) \"-@all +set\"\n       3) \"keys\"\n       \
             4) \"~key2\"\n       5) \"channels\"\n       6) \"\"\n"
        ),
        "{getuser}"
    );
    let sel = url(&server, "sel", "pw");
    assert_eq!(line(&server, &["-u", &sel, "GET", "key1"]), "");
    assert_eq!(line(&server, &["-u", &sel, "SET", "key2", "v"]), "OK");
    assert_eq!(
        line(&server, &["-u", &sel, "SET", "key1", "v"]),
        "NOPERM No permissions to access a key"
    );
    assert_eq!(
        line(&server, &["-u", &sel, "GET", "key2"]),
        "NOPERM No permissions to access a key"
    );
    assert_eq!(
        line(&server, &["-u", &sel, "DEL", "key2"]),
        "NOPERM User sel has no permissions to run the 'del' command"
    );
    assert!(cli(&server, &["ACL", "LIST"]).contains(&format!(
        "user sel on sanitize-payload #{} ~key1 resetchannels -@all +get \
         (~key2 resetchannels -@all +set)\n",
        sha256_hex("pw")
    )));
    // Nested selectors are not valid.
    assert_eq!(
        setuser(
            &server,
            "sel",
            &["+GET", "~key1", "(+SET", "(+SET", "~key2)", "~key3)"]
        ),
        "ERR Error in ACL SETUSER modifier '(+SET (+SET ~key2)': Syntax error"
    );
    assert_eq!(setuser(&server, "sel", &["clearselectors"]), "OK");
    assert_eq!(
        line(&server, &["-u", &sel, "SET", "key2", "v"]),
        "NOPERM User sel has no permissions to run the 'set' command"
    );
    assert!(cli(&server, &["ACL", "LIST"]).contains("~key1 resetchannels -@all +get\n"));
}

// ---- Seed 002: configuration methods, scenarios, default hardening ----

#[test]
fn seed_002_inline_users_in_redis_conf() {
    let dir = tempfile::tempdir().unwrap();
    let config = "user default off\n\
                  user appservice on >AppPassword ~app:* +@read +@write\n\
                  user readonly on >ReadPassword ~app:* +@read\n";
    let Some(server) = moat_with_config(dir.path(), config) else {
        return;
    };
    assert_eq!(line(&server, &["PING"]), "NOAUTH Authentication required.");
    let app = url(&server, "appservice", "AppPassword");
    assert_eq!(line(&server, &["-u", &app, "SET", "app:1", "v"]), "OK");
    let readonly = url(&server, "readonly", "ReadPassword");
    assert_eq!(line(&server, &["-u", &readonly, "GET", "app:1"]), "v");
    assert_eq!(
        line(&server, &["-u", &readonly, "SET", "app:1", "w"]),
        "NOPERM User readonly has no permissions to run the 'set' command"
    );
    assert_eq!(
        line(&server, &["-u", &app, "ACL", "USERS"]),
        "NOPERM User appservice has no permissions to run the 'acl|users' command"
    );
    // A password alone authenticates as default, which is off.
    let (reply, stderr) =
        cli_with_auth_error(&server, &["-a", "AppPassword", "--no-auth-warning", "PING"]);
    assert_auth_failed(&stderr);
    assert_eq!(reply, "NOAUTH Authentication required.");
}

#[test]
fn seed_002_acl_file_save_and_load() {
    let dir = tempfile::tempdir().unwrap();
    let acl_file = dir.path().join("users.acl");
    std::fs::write(&acl_file, "").unwrap();
    let config = format!("aclfile {}\n", acl_file.display());
    let Some(server) = moat_with_config(dir.path(), &config) else {
        return;
    };

    assert_eq!(
        setuser(
            &server,
            "alice",
            &["on", ">AliceSecret", "~data:*", "+@read"]
        ),
        "OK"
    );
    assert_eq!(line(&server, &["ACL", "SAVE"]), "OK");
    // Saved as hashes: no plaintext password stays on disk.
    let saved = std::fs::read_to_string(&acl_file).unwrap();
    assert_eq!(
        saved,
        format!(
            "user alice on sanitize-payload #{} ~data:* resetchannels -@all +@read\n\
             user default on nopass sanitize-payload ~* &* +@all\n",
            sha256_hex("AliceSecret")
        )
    );

    // Runtime changes not saved are discarded by ACL LOAD.
    assert_eq!(
        setuser(
            &server,
            "alice",
            &["on", ">AliceSecret", "~data:*", "+@read", "+@write"]
        ),
        "OK"
    );
    assert_eq!(setuser(&server, "bob", &["on", ">b"]), "OK");
    assert_eq!(line(&server, &["ACL", "LOAD"]), "OK");
    assert_eq!(cli(&server, &["ACL", "USERS"]), "alice\ndefault\n");
    assert_eq!(commands_of(&server, "alice"), "-@all +@read");
    let alice = url(&server, "alice", "AliceSecret");
    assert_eq!(
        line(&server, &["-u", &alice, "SET", "data:1", "v"]),
        "NOPERM User alice has no permissions to run the 'set' command"
    );
    assert_eq!(
        line(&server, &["-u", &alice, "ACL", "WHOAMI"]),
        "NOPERM User alice has no permissions to run the 'acl|whoami' command"
    );
    assert_eq!(line(&server, &["ACL", "DELUSER", "alice"]), "1");
    assert_eq!(cli(&server, &["ACL", "USERS"]), "default\n");

    // The seed's file lines: a plaintext password, then a pre-hashed one.
    std::fs::write(&acl_file, "user alice on >YourPassword ~* +@all\n").unwrap();
    assert_eq!(line(&server, &["ACL", "LOAD"]), "OK");
    let alice = url(&server, "alice", "YourPassword");
    assert_eq!(line(&server, &["-u", &alice, "ACL", "WHOAMI"]), "alice");
    let hash = sha256_hex("YourPassword");
    std::fs::write(&acl_file, format!("user alice on #{hash} ~* +@all\n")).unwrap();
    assert_eq!(line(&server, &["ACL", "LOAD"]), "OK");
    assert!(cli(&server, &["ACL", "LIST"]).contains(&format!(
        "user alice on sanitize-payload #{hash} ~* resetchannels +@all\n"
    )));
    assert_eq!(line(&server, &["-u", &alice, "ACL", "WHOAMI"]), "alice");
    // A broken file changes nothing.
    std::fs::write(&acl_file, "user alice on +nosuchcommand\n").unwrap();
    assert_eq!(
        line(&server, &["ACL", "LOAD"]),
        format!(
            "ERR {}:1: Error in applying operation '+nosuchcommand': Unknown command or category \
             name in ACL. WARNING: ACL errors detected, no change to the previously active ACL \
             rules was performed",
            acl_file.display()
        )
    );
    assert_eq!(line(&server, &["-u", &alice, "ACL", "WHOAMI"]), "alice");
}

#[test]
fn seed_002_acl_save_without_a_file_fails() {
    let Some(server) = moat() else { return };
    assert_eq!(
        line(&server, &["ACL", "SAVE"]),
        "ERR This Redis instance is not configured to use an ACL file. You may want to specify \
         users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a \
         Redis configuration file set) in order to store users in the Redis configuration."
    );
}

#[test]
fn seed_002_cache_reader_is_read_only() {
    let Some(server) = moat() else { return };
    assert_eq!(
        setuser(
            &server,
            "cachereader",
            &["on", ">CacheReaderPassword", "%R~cache:*", "+@read"]
        ),
        "OK"
    );
    let reader = url(&server, "cachereader", "CacheReaderPassword");
    assert_eq!(
        line(&server, &["-u", &reader, "SET", "cache:test", "value"]),
        "NOPERM User cachereader has no permissions to run the 'set' command"
    );
    assert_eq!(line(&server, &["SET", "cache:test", "value"]), "OK");
    assert_eq!(
        line(&server, &["-u", &reader, "GET", "cache:test"]),
        "value"
    );
    assert_eq!(
        line(&server, &["-u", &reader, "GET", "other"]),
        "NOPERM No permissions to access a key"
    );
    assert_eq!(
        cli(&server, &["--no-raw", "ACL", "GETUSER", "cachereader"]),
        r#" 1) "flags"
 2) 1) "on"
    2) "sanitize-payload"
 3) "passwords"
 4) 1) "8f6ba3b1c1ae5f3f1e0e8a2e6ce0e7c7a14ea8f12af4b5c8d4ad6e7f6d4a0d63"
 5) "commands"
 6) "-@all +@read"
 7) "keys"
 8) "%R~cache:*"
 9) "channels"
10) ""
11) "selectors"
12) (empty array)
"#
        .replace(
            "8f6ba3b1c1ae5f3f1e0e8a2e6ce0e7c7a14ea8f12af4b5c8d4ad6e7f6d4a0d63",
            &sha256_hex("CacheReaderPassword")
        )
    );
}

#[test]
fn seed_002_order_service_namespaces() {
    let Some(server) = moat() else { return };
    assert_eq!(
        setuser(
            &server,
            "orderservice",
            &[
                "on",
                ">OrderServicePassword",
                "~orders:*",
                "+@read",
                "+@write"
            ]
        ),
        "OK"
    );
    let orders = url(&server, "orderservice", "OrderServicePassword");
    assert_eq!(
        line(&server, &["-u", &orders, "SET", "orders:1", "v"]),
        "OK"
    );
    assert_eq!(
        line(&server, &["-u", &orders, "GET", "shared:config"]),
        "NOPERM No permissions to access a key"
    );
    assert_eq!(
        line(&server, &["-u", &orders, "CONFIG", "SET", "maxmemory", "0"]),
        "NOPERM User orderservice has no permissions to run the 'config|set' command"
    );
    // Read-only access to a shared namespace.
    assert_eq!(
        setuser(
            &server,
            "orderservice",
            &[
                "reset",
                "on",
                ">OrderServicePassword",
                "%R~shared:*",
                "~orders:*",
                "+@read",
                "+@write"
            ]
        ),
        "OK"
    );
    assert_eq!(line(&server, &["SET", "shared:config", "c"]), "OK");
    assert_eq!(line(&server, &["-u", &orders, "GET", "shared:config"]), "c");
    assert_eq!(
        line(&server, &["-u", &orders, "SET", "shared:config", "x"]),
        "NOPERM No permissions to access a key"
    );
    assert_eq!(
        line(
            &server,
            &["-u", &orders, "COPY", "shared:config", "orders:copy"]
        ),
        "1"
    );
    assert_eq!(
        line(&server, &["-u", &orders, "COPY", "orders:copy", "shared:x"]),
        "NOPERM No permissions to access a key"
    );
    assert_eq!(
        dryrun(
            &server,
            "orderservice",
            &["RENAME", "shared:config", "orders:2"]
        ),
        "User orderservice has no permissions to access the 'shared:config' key"
    );
}

#[test]
fn seed_002_pub_sub_roles() {
    let Some(server) = moat() else { return };
    let users: &[(&str, &[&str])] = &[
        (
            "eventlistener",
            &[
                "on",
                ">ListenerPassword",
                "resetchannels",
                "&events:*",
                "+subscribe",
                "+psubscribe",
                "-publish",
            ],
        ),
        (
            "eventproducer",
            &[
                "on",
                ">ProducerPassword",
                "resetchannels",
                "&notifications:orders",
                "+publish",
                "-subscribe",
                "-psubscribe",
            ],
        ),
        (
            "monitor",
            &[
                "on",
                ">MonitorPassword",
                "resetchannels",
                "allchannels",
                "+subscribe",
                "+psubscribe",
                "+publish",
            ],
        ),
        (
            "monitor-subscriber",
            &[
                "on",
                ">MonitorSubPassword",
                "resetchannels",
                "allchannels",
                "+subscribe",
                "+psubscribe",
                "-publish",
            ],
        ),
        (
            "monitor-publisher",
            &[
                "on",
                ">MonitorPubPassword",
                "resetchannels",
                "&monitor:control",
                "+publish",
                "-subscribe",
                "-psubscribe",
            ],
        ),
    ];
    for (user, rules) in users {
        assert_eq!(setuser(&server, user, rules), "OK", "{user}");
    }
    let listener = url(&server, "eventlistener", "ListenerPassword");
    assert_eq!(
        line(
            &server,
            &["-u", &listener, "PUBLISH", "events:orders", "test"]
        ),
        "NOPERM User eventlistener has no permissions to run the 'publish' command"
    );
    assert_eq!(
        dryrun(&server, "eventlistener", &["SUBSCRIBE", "events:orders"]),
        "OK"
    );
    assert_eq!(
        dryrun(&server, "eventlistener", &["PSUBSCRIBE", "events:*"]),
        "OK"
    );
    assert_eq!(
        dryrun(&server, "eventlistener", &["PSUBSCRIBE", "events:o*"]),
        "User eventlistener has no permissions to access the 'events:o*' channel"
    );
    assert_eq!(
        dryrun(&server, "eventlistener", &["SUBSCRIBE", "other"]),
        "User eventlistener has no permissions to access the 'other' channel"
    );
    assert_eq!(
        dryrun(&server, "eventlistener", &["GET", "k"]),
        "User eventlistener has no permissions to run the 'get' command"
    );
    let producer = url(&server, "eventproducer", "ProducerPassword");
    assert_eq!(
        dryrun(
            &server,
            "eventproducer",
            &["PUBLISH", "notifications:orders", "m"]
        ),
        "OK"
    );
    assert_eq!(
        line(
            &server,
            &["-u", &producer, "PUBLISH", "notifications:other", "m"]
        ),
        "NOPERM No permissions to access a channel"
    );
    assert_eq!(
        dryrun(
            &server,
            "eventproducer",
            &["SUBSCRIBE", "notifications:orders"]
        ),
        "User eventproducer has no permissions to run the 'subscribe' command"
    );
    assert_eq!(
        dryrun(&server, "monitor", &["PUBLISH", "anything", "m"]),
        "OK"
    );
    assert_eq!(
        dryrun(&server, "monitor-subscriber", &["PSUBSCRIBE", "*"]),
        "OK"
    );
    assert_eq!(
        dryrun(
            &server,
            "monitor-subscriber",
            &["PUBLISH", "monitor:control", "m"]
        ),
        "User monitor-subscriber has no permissions to run the 'publish' command"
    );
    assert_eq!(
        dryrun(
            &server,
            "monitor-publisher",
            &["PUBLISH", "monitor:control", "m"]
        ),
        "OK"
    );
    let publisher = url(&server, "monitor-publisher", "MonitorPubPassword");
    assert_eq!(
        line(&server, &["-u", &publisher, "SUBSCRIBE", "monitor:control"]),
        "NOPERM User monitor-publisher has no permissions to run the 'subscribe' command"
    );
    let list = cli(&server, &["ACL", "LIST"]);
    assert!(
        list.contains(" resetchannels &events:* -@all +subscribe +psubscribe -publish\n"),
        "{list}"
    );
    assert!(
        list.contains(" &* -@all +subscribe +psubscribe +publish\n"),
        "{list}"
    );
    assert!(
        list.contains(" resetchannels &monitor:control -@all +publish -subscribe -psubscribe\n"),
        "{list}"
    );
}

#[test]
fn seed_002_option_1_default_user_with_a_password() {
    let dir = tempfile::tempdir().unwrap();
    let Some(server) = moat_with_config(dir.path(), "user default on >DefaultPassword ~* +@all\n")
    else {
        return;
    };
    assert_eq!(
        line(&server, &["SET", "k", "v"]),
        "NOAUTH Authentication required."
    );
    assert_eq!(
        line(
            &server,
            &[
                "-a",
                "DefaultPassword",
                "--no-auth-warning",
                "SET",
                "k",
                "v"
            ]
        ),
        "OK"
    );
    let default = url(&server, "default", "DefaultPassword");
    assert_eq!(line(&server, &["-u", &default, "GET", "k"]), "v");
    let (reply, stderr) =
        cli_with_auth_error(&server, &["-a", "nope", "--no-auth-warning", "GET", "k"]);
    assert_auth_failed(&stderr);
    assert_eq!(reply, "NOAUTH Authentication required.");
    // AUTH inside a session: failure keeps the connection unauthenticated.
    assert_eq!(cli(&server, &["AUTH", "nope"]).trim_end(), WRONGPASS);
}

#[test]
fn seed_002_option_2_default_user_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let config = "user default off\nuser appservice on >AppPassword ~app:* +@read +@write\n";
    let Some(server) = moat_with_config(dir.path(), config) else {
        return;
    };
    assert_eq!(
        line(&server, &["GET", "app:1"]),
        "NOAUTH Authentication required."
    );
    for password in ["AppPassword", "whatever"] {
        let (reply, stderr) =
            cli_with_auth_error(&server, &["-a", password, "--no-auth-warning", "PING"]);
        assert_auth_failed(&stderr);
        assert_eq!(reply, "NOAUTH Authentication required.");
    }
    let bad = url(&server, "appservice", "wrong");
    let (reply, stderr) = cli_with_auth_error(&server, &["-u", &bad, "GET", "app:1"]);
    assert_auth_failed(&stderr);
    assert_eq!(reply, "NOAUTH Authentication required.");
    let app = url(&server, "appservice", "AppPassword");
    assert_eq!(line(&server, &["-u", &app, "SET", "app:1", "v"]), "OK");
    assert_eq!(
        line(&server, &["-u", &app, "ACL", "WHOAMI"]),
        "NOPERM User appservice has no permissions to run the 'acl|whoami' command"
    );
}

#[test]
fn seed_002_option_3_default_user_restricted() {
    let dir = tempfile::tempdir().unwrap();
    let config = "user default on nopass ~* +@read -@write -@admin -@dangerous\n";
    let Some(server) = moat_with_config(dir.path(), config) else {
        return;
    };
    assert_eq!(line(&server, &["GET", "k"]), "");
    assert_eq!(
        line(&server, &["SET", "k", "v"]),
        "NOPERM User default has no permissions to run the 'set' command"
    );
    assert_eq!(
        line(&server, &["CONFIG", "GET", "maxmemory"]),
        "NOPERM User default has no permissions to run the 'config|get' command"
    );
    assert_eq!(
        line(&server, &["ACL", "WHOAMI"]),
        "NOPERM User default has no permissions to run the 'acl|whoami' command"
    );
    assert_eq!(
        line(&server, &["AUTH", "x"]),
        "ERR AUTH <password> called without any password configured for the default user. \
         Are you sure your configuration is correct?"
    );
}

#[test]
fn seed_002_acl_log_whoami_and_reset() {
    let Some(server) = moat() else { return };
    assert_eq!(
        setuser(
            &server,
            "cachereader",
            &["on", ">CacheReaderPassword", "%R~cache:*", "+@read"]
        ),
        "OK"
    );
    let reader = url(&server, "cachereader", "CacheReaderPassword");
    line(&server, &["-u", &reader, "SET", "cache:test", "value"]);
    line(&server, &["-u", &reader, "GET", "secret"]);
    let (reply, stderr) = cli_with_auth_error(
        &server,
        &["-u", &url(&server, "cachereader", "bad"), "PING"],
    );
    assert_auth_failed(&stderr);
    assert_eq!(reply, "PONG");
    assert_eq!(line(&server, &["ACL", "WHOAMI"]), "default");
    let log = cli(&server, &["ACL", "LOG"]);
    let fields: Vec<&str> = log.lines().collect();
    // Newest first: auth, key, command; 10 fields of name + value each.
    assert_eq!(fields.len(), 3 * 20, "{log}");
    let entry = |n: usize, field: &str| -> String {
        let at = fields[n * 20..(n + 1) * 20]
            .iter()
            .position(|f| *f == field)
            .unwrap();
        fields[n * 20 + at + 1].to_string()
    };
    assert_eq!(
        (entry(0, "reason"), entry(0, "object"), entry(0, "username")),
        ("auth".into(), "AUTH".into(), "cachereader".into())
    );
    assert_eq!(
        (entry(1, "reason"), entry(1, "object"), entry(1, "context")),
        ("key".into(), "secret".into(), "toplevel".into())
    );
    assert_eq!(
        (entry(2, "reason"), entry(2, "object"), entry(2, "count")),
        ("command".into(), "set".into(), "1".into())
    );
    assert_eq!(
        line(&server, &["ACL", "LOG", "1"]).lines().nth(3),
        Some("auth")
    );
    assert_eq!(line(&server, &["ACL", "LOG", "RESET"]), "OK");
    assert_eq!(line(&server, &["ACL", "LOG"]), "");
}

#[test]
fn seed_002_categories_are_listed() {
    let Some(server) = moat() else { return };
    assert_eq!(
        cli(&server, &["ACL", "CAT"]),
        "keyspace\nread\nwrite\nset\nsortedset\nlist\nhash\nstring\nbitmap\nhyperloglog\ngeo\n\
         stream\npubsub\nadmin\nfast\nslow\nblocking\ndangerous\nconnection\ntransaction\nscripting\n\
         json\n"
    );
    let read = cli(&server, &["ACL", "CAT", "read"]);
    let read: Vec<&str> = read.lines().collect();
    assert!(read.contains(&"get") && read.contains(&"hgetall") && !read.contains(&"set"));
    let json = cli(&server, &["ACL", "CAT", "json"]);
    assert!(json.lines().any(|c| c == "json.del") && json.lines().all(|c| c.starts_with("json.")));
}

/// sha256 as lowercase hex, as `>password` stores it.
fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
