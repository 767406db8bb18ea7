//! JSON commands under ACL rules, through the real redis-cli: the `@json`
//! category, command subtraction, key patterns, and seed 000's
//! devops_api_user stacking `+json.set +json.get`.

use moat_testkit::{redis_cli, ServerProcess};

/// A moat-server, or `None` (test skipped) when redis-cli is not installed.
fn moat_and_cli() -> Option<ServerProcess> {
    moat_testkit::moat_for_redis_cli(option_env!("CARGO_BIN_EXE_moat-server"))
}

fn cli(server: &ServerProcess, args: &[&str]) -> String {
    redis_cli(server.port(), args).unwrap()
}

/// Runs a command as `user` and returns its trimmed output.
fn as_user(server: &ServerProcess, user: &str, pass: &str, command: &[&str]) -> String {
    let mut args = vec!["--no-auth-warning", "--user", user, "--pass", pass];
    args.extend_from_slice(command);
    cli(server, &args).trim_end().to_owned()
}

#[test]
fn json_category_minus_del_on_user_keys() {
    let Some(server) = moat_and_cli() else { return };
    let setuser = [
        "ACL",
        "SETUSER",
        "jsonuser",
        "on",
        ">jsonpw",
        "~user:*",
        "+@json",
        "-json.del",
    ];
    assert_eq!(cli(&server, &setuser), "OK\n");
    let run = |command: &[&str]| as_user(&server, "jsonuser", "jsonpw", command);
    assert_eq!(
        run(&[
            "JSON.SET",
            "user:1",
            "$",
            r#"{"name":"Ada","langs":["en"]}"#
        ]),
        "OK"
    );
    assert_eq!(
        run(&["JSON.GET", "user:1"]),
        r#"{"name":"Ada","langs":["en"]}"#
    );
    assert_eq!(run(&["JSON.GET", "user:1", "$.name"]), r#"["Ada"]"#);
    assert_eq!(
        run(&["JSON.ARRAPPEND", "user:1", "$.langs", r#""fr""#]),
        "2"
    );
    assert_eq!(
        run(&["JSON.DEL", "user:1", "$.langs"]),
        "NOPERM User jsonuser has no permissions to run the 'json.del' command"
    );
    // FORGET is the same operation under another name, and stays granted.
    assert_eq!(run(&["JSON.FORGET", "user:1", "$.langs"]), "1");
    assert_eq!(
        run(&["JSON.SET", "admin:1", "$", "1"]),
        "NOPERM No permissions to access a key"
    );
    assert_eq!(
        run(&["JSON.GET", "admin:1"]),
        "NOPERM No permissions to access a key"
    );
    // JSON.MGET checks every key it names.
    assert_eq!(
        run(&["JSON.MGET", "user:1", "admin:1", "$"]),
        "NOPERM No permissions to access a key"
    );
    // @json holds no non-JSON commands.
    assert_eq!(
        run(&["GET", "user:1"]),
        "NOPERM User jsonuser has no permissions to run the 'get' command"
    );
    // The denials were logged with the command and key as Redis logs them.
    let log = cli(&server, &["ACL", "LOG"]);
    assert!(log.contains("json.del"), "{log}");
    assert!(log.contains("admin:1"), "{log}");
}

#[test]
fn rule_order_decides_whether_del_is_granted() {
    let Some(server) = moat_and_cli() else { return };
    let setuser = [
        "ACL",
        "SETUSER",
        "reordered",
        "on",
        ">pw",
        "~*",
        "-json.del",
        "+@json",
    ];
    assert_eq!(cli(&server, &setuser), "OK\n");
    assert_eq!(
        as_user(&server, "reordered", "pw", &["JSON.SET", "k", "$", "1"]),
        "OK"
    );
    assert_eq!(as_user(&server, "reordered", "pw", &["JSON.DEL", "k"]), "1");
}

#[test]
fn seed_devops_user_with_json_set_and_get() {
    let Some(server) = moat_and_cli() else { return };
    let setuser = [
        "ACL",
        "SETUSER",
        "devops_api_user",
        "on",
        ">Pr4UmfeLGGJEnBu8zX6VgAYux65C0ide",
        "~user:profile:*",
        "+@hash",
        "+@read",
        "+@write",
        "-flushall",
        "-flushdb",
    ];
    assert_eq!(cli(&server, &setuser), "OK\n");
    let stack = [
        "ACL",
        "SETUSER",
        "devops_api_user",
        "+json.set",
        "+json.get",
    ];
    assert_eq!(cli(&server, &stack), "OK\n");
    let pass = "Pr4UmfeLGGJEnBu8zX6VgAYux65C0ide";
    let run = |command: &[&str]| as_user(&server, "devops_api_user", pass, command);
    assert_eq!(
        run(&[
            "JSON.SET",
            "user:profile:42",
            "$",
            r#"{"plan":"pro","seats":3}"#
        ]),
        "OK"
    );
    assert_eq!(run(&["JSON.GET", "user:profile:42", "$.seats"]), "[3]");
    assert_eq!(
        run(&["JSON.NUMINCRBY", "user:profile:42", "$.seats", "2"]),
        "[5]"
    );
    assert_eq!(
        run(&["JSON.SET", "billing:42", "$", "1"]),
        "NOPERM No permissions to access a key"
    );
    // The rules read back as the seed shows them.
    let getuser = cli(&server, &["--no-raw", "ACL", "GETUSER", "devops_api_user"]);
    assert!(
        getuser.contains(r#""-@all +@hash +@read +@write -flushall -flushdb +json.set +json.get""#),
        "{getuser}"
    );
    // The seed's hard reset: only @json on user:*.
    let reset = [
        "ACL",
        "SETUSER",
        "devops_api_user",
        "reset",
        "on",
        ">new_password_123",
        "+@json",
        "~user:*",
    ];
    assert_eq!(cli(&server, &reset), "OK\n");
    let run = |command: &[&str]| as_user(&server, "devops_api_user", "new_password_123", command);
    assert_eq!(run(&["JSON.TYPE", "user:profile:42"]), "object");
    assert_eq!(run(&["JSON.DEL", "user:profile:42", "$.plan"]), "1");
    assert_eq!(
        run(&["HSET", "user:h", "f", "v"]),
        "NOPERM User devops_api_user has no permissions to run the 'hset' command"
    );
}
