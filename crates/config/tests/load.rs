//! Loading files, includes and command-line options, and every fatal
//! error format.

use std::path::Path;

use bytes::Bytes;
use moat_config::{Config, FatalConfigError, SavePoint, UserDeclarationError};

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn load_text(text: &str) -> Result<Config, FatalConfigError> {
    Config::from_text(text)
}

fn fatal(text: &str) -> String {
    load_text(text).unwrap_err().to_string()
}

fn banner(line_number: usize, line: &str, reason: &str) -> String {
    format!(
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.2.4) ***\nReading the configuration file, at line {line_number}\n>>> '{line}'\n{reason}"
    )
}

#[test]
fn every_fatal_error_has_redis_wording() {
    let table: &[(&str, usize, &str, &str)] = &[
        ("port 0\nfoo bar\n", 2, "foo bar", "Bad directive or wrong number of arguments"),
        ("port 0\nappendonly maybe\n", 2, "appendonly maybe", "argument must be 'yes' or 'no'"),
        ("port 0 1\n", 1, "port 0 1", "wrong number of arguments"),
        ("port 0\nrequirepass \"abc\"x\n", 2, "requirepass \"abc\"x", "Unbalanced quotes in configuration line"),
        ("maxmemory 10q\n", 1, "maxmemory 10q", "argument must be a memory value"),
        ("port 99999\n", 1, "port 99999", "argument must be between 0 and 65535 inclusive"),
        ("save 10\n", 1, "save 10", "Invalid save parameters"),
        (
            "maxmemory-policy foo\n",
            1,
            "maxmemory-policy foo",
            "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction",
        ),
        ("databases 0\n", 1, "databases 0", "argument must be between 1 and 2147483647 inclusive"),
        ("mod.x\n", 1, "mod.x", "Module config specified without value"),
        (
            "shutdown-on-sigint save nosave\n",
            1,
            "shutdown-on-sigint save nosave",
            "shutdown options SAVE and NOSAVE can't be used simultaneously",
        ),
        (
            "user alice on\nuser alice off\n",
            2,
            "user alice off",
            "Error in user declaration 'alice': Duplicate user found. A user can only be defined once in config files",
        ),
        ("sentinel monitor x\n", 1, "sentinel monitor x", "sentinel directive while not in sentinel mode"),
        ("  \t foo   \r\n", 1, "foo", "Bad directive or wrong number of arguments"),
    ];
    for (text, line_number, line, reason) in table {
        assert_eq!(
            fatal(text),
            banner(*line_number, line, reason),
            "config {text:?}"
        );
    }
}

#[test]
fn missing_files_are_fatal() {
    let err = Config::load(Some(Path::new("/nonexistent/moat.conf")), &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Fatal error, can't open config file '/nonexistent/moat.conf': No such file or directory"
    );
    let err = load_text("include /nonexistent/x.conf\n").unwrap_err();
    assert!(matches!(err, FatalConfigError::CannotOpen { .. }));
}

#[test]
fn comments_blank_lines_and_case_are_ignored() {
    let config =
        load_text("# a comment\n\n   # indented comment\nPORT 7000\nMaxMemory 1mb\n").unwrap();
    assert_eq!(config.port(), 7000);
    assert_eq!(config.get_u64("maxmemory"), Some(1 << 20));
}

#[test]
fn save_lines_accumulate_and_empty_resets() {
    assert_eq!(load_text("").unwrap().save_points().len(), 3);
    let config = load_text("save 100 1\nsave 200 2\n").unwrap();
    assert_eq!(
        config.save_points(),
        &[
            SavePoint {
                seconds: 100,
                changes: 1
            },
            SavePoint {
                seconds: 200,
                changes: 2
            }
        ]
    );
    assert!(load_text("save 100 1\nsave \"\"\n")
        .unwrap()
        .save_points()
        .is_empty());
    assert_eq!(
        load_text("save \"\"\nsave 5 5\n")
            .unwrap()
            .save_points()
            .len(),
        1
    );
}

#[test]
fn aliases_bind_users_and_unimplemented_warnings() {
    let config = load_text(
        "slave-read-only no\nbind 127.0.0.1 ::1\nuser alice on >pw ~* +@all\nuser bob off\nmaxmemory 1gb\nlazyfree-lazy-eviction yes\nrename-command KEYS \"\"\nlist-max-ziplist-entries 5\n",
    )
    .unwrap();
    assert_eq!(config.get_bool("replica-read-only"), Some(false));
    assert_eq!(config.bind_addrs(), ["127.0.0.1", "::1"]);
    let users: Vec<Vec<&[u8]>> = config
        .users()
        .iter()
        .map(|u| u.iter().map(|b| &b[..]).collect())
        .collect();
    assert_eq!(
        users,
        vec![
            vec![&b"alice"[..], b"on", b">pw", b"~*", b"+@all"],
            vec![&b"bob"[..], b"off"]
        ]
    );
    assert_eq!(config.renamed_commands().len(), 1);
    let warnings = config.warnings().join("\n");
    assert!(warnings.contains("'lazyfree-lazy-eviction'"), "{warnings}");
    assert!(!warnings.contains("'maxmemory'"), "{warnings}");
    assert!(warnings.contains("'rename-command'"), "{warnings}");
    assert!(
        warnings.contains("'list-max-ziplist-entries'"),
        "{warnings}"
    );
    assert!(!warnings.contains("'bind'"), "{warnings}");
}

#[test]
fn user_validator_errors_name_the_blamed_argument() {
    let validator = |declaration: &[Bytes]| {
        if declaration.iter().any(|a| &a[..] == b"badrule") {
            Err(UserDeclarationError {
                arg_index: 1,
                message: "Syntax error".into(),
            })
        } else {
            Ok(())
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("users.conf");
    std::fs::write(&file, "user alice on badrule\n").unwrap();
    let err = Config::load_with_user_validator(Some(&file), &[], &validator).unwrap_err();
    assert_eq!(
        err.to_string(),
        banner(
            1,
            "user alice on badrule",
            "Error in user declaration 'alice': Syntax error"
        )
    );
}

#[test]
fn includes_and_globs() {
    let dir = tempfile::tempdir().unwrap();
    let confd = dir.path().join("conf.d");
    std::fs::create_dir(&confd).unwrap();
    std::fs::write(confd.join("a.conf"), "timeout 5\n").unwrap();
    std::fs::write(confd.join("b.conf"), "timeout 7\nhz 20\n").unwrap();
    std::fs::write(dir.path().join("one.conf"), "port 7001\n").unwrap();
    let main = dir.path().join("main.conf");
    std::fs::write(
        &main,
        format!(
            "include {}/one.conf\ninclude {}/*.conf\ninclude {}/empty/*.conf\n",
            dir.path().display(),
            confd.display(),
            dir.path().display()
        ),
    )
    .unwrap();
    let config = Config::load(Some(&main), &[]).unwrap();
    assert_eq!(config.port(), 7001);
    assert_eq!(config.get_int("timeout"), Some(7));
    assert_eq!(config.get_int("hz"), Some(20));
    assert_eq!(config.config_file(), Some(main.as_path()));

    // An error in an included file is reported with that file's line.
    std::fs::write(confd.join("c.conf"), "bogus\n").unwrap();
    let err = Config::load(Some(&main), &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        banner(4, "bogus", "Bad directive or wrong number of arguments")
    );
}

#[test]
fn command_line_options_override_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("main.conf");
    std::fs::write(&main, "port 7000\nsave 100 1\n").unwrap();
    let config = Config::load(
        Some(&main),
        &args(&[
            "--port",
            "7002",
            "--save",
            "",
            "--user",
            "alice on >pw",
            "--requirepass",
            "a b\"c",
        ]),
    )
    .unwrap();
    assert_eq!(config.port(), 7002);
    assert!(config.save_points().is_empty());
    assert_eq!(config.users()[0][0], Bytes::from_static(b"alice on >pw"));
    assert_eq!(config.requirepass(), Some(&b"a b\"c"[..]));

    // Errors in options count lines after the file's.
    let err = Config::load(Some(&main), &args(&["--port", "1", "--foo", "bar"])).unwrap_err();
    assert_eq!(
        err.to_string(),
        banner(
            5,
            "foo \"bar\"",
            "Bad directive or wrong number of arguments"
        )
    );

    let from_argv =
        Config::from_command_line(&args(&[main.to_str().unwrap(), "--port", "7003"]), &|_| {
            Ok(())
        })
        .unwrap();
    assert_eq!(from_argv.port(), 7003);
}

#[test]
fn dir_is_resolved_like_chdir() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    let config = load_text(&format!("dir {}\ndir data\n", dir.path().display())).unwrap();
    assert_eq!(
        config.dir(),
        dir.path().canonicalize().unwrap().join("data")
    );
    let err = fatal("dir /nonexistent/moat\n");
    assert!(err.ends_with("No such file or directory"), "{err}");
}

#[test]
fn a_single_spaced_argument_of_a_multi_argument_directive_is_split() {
    // Redis 7 splits it: `redis-server --save "60 1"` works.
    let config = load_text("save \"60 1 300 10\"\n").unwrap();
    assert_eq!(config.get_text("save").unwrap(), "60 1 300 10");
}
