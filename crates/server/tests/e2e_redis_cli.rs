//! The product seeds' redis-cli sessions, run with the real redis-cli
//! binary against moat-server. redis-cli's stdout is not a terminal here,
//! so it prints in its raw style (no quotes, no `(integer)`), except where
//! a test passes `--no-raw` to see the interactive layout.

use moat_testkit::{redis_cli, ServerProcess};

const DEVOPS_RULES: &[&str] = &[
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

/// A moat-server, or `None` (test skipped) when redis-cli is not installed.
fn moat_and_cli() -> Option<ServerProcess> {
    moat_testkit::moat_for_redis_cli(option_env!("CARGO_BIN_EXE_moat-server"))
}

fn cli(server: &ServerProcess, args: &[&str]) -> String {
    redis_cli(server.port(), args).unwrap()
}

#[test]
fn basic_commands_through_redis_cli() {
    let Some(server) = moat_and_cli() else { return };
    assert_eq!(cli(&server, &["PING"]), "PONG\n");
    assert_eq!(cli(&server, &["SET", "k", "v"]), "OK\n");
    assert_eq!(cli(&server, &["GET", "k"]), "v\n");
    assert_eq!(cli(&server, &["--no-raw", "GET", "k"]), "\"v\"\n");
    assert_eq!(cli(&server, &["--no-raw", "INCR", "n"]), "(integer) 1\n");
    assert_eq!(
        cli(&server, &["--no-raw", "FOO", "a"]).trim_end(),
        "(error) ERR unknown command 'FOO', with args beginning with: 'a'"
    );
}

#[test]
fn read_only_cache_reader_is_denied_writes() {
    let Some(server) = moat_and_cli() else { return };
    let setuser = [
        "ACL",
        "SETUSER",
        "cachereader",
        "on",
        ">CacheReaderPassword",
        "%R~cache:*",
        "+@read",
    ];
    assert_eq!(cli(&server, &setuser), "OK\n");
    let url = format!(
        "redis://cachereader:CacheReaderPassword@127.0.0.1:{}",
        server.port()
    );
    assert_eq!(
        cli(&server, &["-u", &url, "SET", "cache:test", "value"]).trim_end(),
        "NOPERM User cachereader has no permissions to run the 'set' command"
    );
    assert_eq!(cli(&server, &["-u", &url, "GET", "cache:test"]), "\n");
}

#[test]
fn devops_user_getuser_matches_the_seed() {
    let Some(server) = moat_and_cli() else { return };
    assert_eq!(cli(&server, DEVOPS_RULES), "OK\n");
    let getuser = cli(&server, &["--no-raw", "ACL", "GETUSER", "devops_api_user"]);
    let expected = r#" 1) "flags"
 2) 1) "on"
    2) "sanitize-payload"
 3) "passwords"
 4) 1) "3507e38950cdd87d25b568fb4a047edd76ced6de5f61c4cde224a444f3bbf2e6"
 5) "commands"
 6) "-@all +@hash +@read +@write -flushall -flushdb"
 7) "keys"
 8) "~user:profile:*"
 9) "channels"
10) ""
11) "selectors"
12) (empty array)
"#;
    assert_eq!(getuser, expected);
    // Seed 000: the JSON rules stack onto the existing command rules.
    assert_eq!(
        cli(
            &server,
            &[
                "ACL",
                "SETUSER",
                "devops_api_user",
                "+json.set",
                "+json.get"
            ]
        ),
        "OK\n"
    );
    let commands = cli(&server, &["--no-raw", "ACL", "GETUSER", "devops_api_user"]);
    assert!(
        commands.contains(
            r#" 6) "-@all +@hash +@read +@write -flushall -flushdb +json.set +json.get""#
        ),
        "{commands}"
    );
}

#[test]
fn acl_list_users_and_whoami_match_the_seed() {
    let Some(server) = moat_and_cli() else { return };
    assert_eq!(cli(&server, DEVOPS_RULES), "OK\n");
    assert_eq!(
        cli(
            &server,
            &[
                "ACL",
                "SETUSER",
                "faustobranco",
                "on",
                ">1234qwer",
                "~*",
                "+@all"
            ]
        ),
        "OK\n"
    );
    assert_eq!(
        cli(&server, &["ACL", "LIST"]),
        "user default on nopass sanitize-payload ~* &* +@all\n\
         user devops_api_user on sanitize-payload #3507e38950cdd87d25b568fb4a047edd76ced6de5f61c4cde224a444f3bbf2e6 ~user:profile:* resetchannels -@all +@hash +@read +@write -flushall -flushdb\n\
         user faustobranco on sanitize-payload #ef51306214d9a6361ee1d5b452e6d2bb70dc7ebb85bf9e02c3d4747fb57d6bec ~* resetchannels +@all\n"
    );
    assert_eq!(
        cli(&server, &["--no-raw", "ACL", "USERS"]),
        "1) \"default\"\n2) \"devops_api_user\"\n3) \"faustobranco\"\n"
    );
    let whoami = cli(
        &server,
        &[
            "--user",
            "faustobranco",
            "--pass",
            "1234qwer",
            "ACL",
            "WHOAMI",
        ],
    );
    assert_eq!(whoami, "faustobranco\n");
}

#[test]
fn disabling_the_default_user_requires_authentication() {
    let Some(server) = moat_and_cli() else { return };
    assert_eq!(
        cli(
            &server,
            &["ACL", "SETUSER", "admin", "on", ">adminpw", "~*", "&*", "+@all"]
        ),
        "OK\n"
    );
    assert_eq!(cli(&server, &["ACL", "SETUSER", "default", "off"]), "OK\n");
    assert_eq!(
        cli(&server, &["GET", "k"]).trim_end(),
        "NOAUTH Authentication required."
    );
    assert_eq!(
        cli(&server, &["--user", "admin", "--pass", "adminpw", "PING"]),
        "PONG\n"
    );
}
