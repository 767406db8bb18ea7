//! CONFIG GET and CONFIG SET behaviour.

use bytes::Bytes;
use moat_config::{Config, ConfigSetError};

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

fn pairs(list: &[(&str, &str)]) -> Vec<(Bytes, Bytes)> {
    list.iter().map(|(k, v)| (b(k), b(v))).collect()
}

fn set_err(config: &mut Config, list: &[(&str, &str)]) -> String {
    config.set(&pairs(list)).unwrap_err().to_string()
}

fn get(config: &Config, patterns: &[&str]) -> Vec<(String, String)> {
    config.get(&patterns.iter().map(|p| b(p)).collect::<Vec<_>>())
}

#[test]
fn get_formats_values_like_redis() {
    let config = Config::default();
    let expect = |name: &str, value: &str| {
        assert_eq!(
            get(&config, &[name]),
            vec![(name.to_owned(), value.to_owned())],
            "{name}"
        );
    };
    expect("save", "3600 1 300 100 60 10000");
    expect(
        "client-output-buffer-limit",
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    );
    expect("bind", "127.0.0.1 -::1");
    expect("proto-max-bulk-len", "536870912");
    expect("appendonly", "no");
    expect("unixsocketperm", "0");
    expect("oom-score-adj-values", "0 200 800");
    expect("latency-tracking-info-percentiles", "50 99 99.9");
    expect("shutdown-on-sigterm", "default");
    expect("masteruser", "");
    expect("slaveof", "");
}

#[test]
fn get_exact_names_keep_the_client_spelling_and_dedupe() {
    let config = Config::default();
    assert_eq!(
        get(&config, &["MAXMEMORY", "maxmemory", "nosuch"]),
        vec![("MAXMEMORY".to_owned(), "0".to_owned())]
    );
    assert_eq!(
        get(&config, &["use-exit-on-panic"]).len(),
        1,
        "hidden directives answer exact names"
    );
}

#[test]
fn get_patterns_match_aliases_but_not_hidden() {
    let config = Config::default();
    let names: Vec<String> = get(&config, &["*slave-read*", "replica-read-only"])
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["slave-read-only", "replica-read-only"]);
    let all = get(&config, &["*"]);
    assert!(all.iter().all(|(n, _)| n != "use-exit-on-panic"));
    assert!(all.iter().any(|(n, _)| n == "hash-max-ziplist-entries"));
    let twice = get(&config, &["maxmemory*", "MAXMEMORY*"]);
    assert_eq!(twice.len(), 5, "{twice:?}");
}

#[test]
fn set_applies_and_reports_changes() {
    let mut config = Config::default();
    let changed = config
        .set(&pairs(&[
            ("maxmemory", "1mb"),
            ("requirepass", "secret"),
            ("timeout", "0"),
        ]))
        .unwrap();
    assert_eq!(changed, ["maxmemory", "requirepass"]);
    assert_eq!(config.get_u64("maxmemory"), Some(1 << 20));
    assert_eq!(config.requirepass(), Some(&b"secret"[..]));
    config.set(&pairs(&[("requirepass", "")])).unwrap();
    assert_eq!(config.requirepass(), None);
    config.set(&pairs(&[("save", "")])).unwrap();
    assert!(config.save_points().is_empty());
    config
        .set(&pairs(&[
            ("SAVE", "100 10 200 20"),
            ("slave-read-only", "no"),
        ]))
        .unwrap();
    assert_eq!(config.get_text("save").unwrap(), "100 10 200 20");
    assert_eq!(config.get_bool("replica-read-only"), Some(false));
    config
        .set(&pairs(&[("notify-keyspace-events", "KEA")]))
        .unwrap();
    assert_eq!(config.get_text("notify-keyspace-events").unwrap(), "AKE");
}

#[test]
fn set_errors_match_redis() {
    let mut config = Config::default();
    let failed = |name: &str, reason: &str| {
        format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}")
    };
    let table: &[(&[(&str, &str)], String)] = &[
        (
            &[("appendonly", "maybe")],
            failed("appendonly", "argument must be 'yes' or 'no'"),
        ),
        (
            &[("TIMEOUT", "x")],
            failed("timeout", "argument couldn't be parsed into an integer"),
        ),
        (
            &[("slave-read-only", "maybe")],
            failed("slave-read-only", "argument must be 'yes' or 'no'"),
        ),
        (
            &[("daemonize", "yes")],
            failed("daemonize", "can't set immutable config"),
        ),
        (
            &[("dbfilename", "x.rdb")],
            failed("dbfilename", "can't set protected config"),
        ),
        (
            &[("timeout", "1"), ("Timeout", "2")],
            failed("Timeout", "duplicate parameter"),
        ),
        (
            &[("timeout", "1"), ("nope", "1")],
            "ERR Unknown option or number of arguments for CONFIG SET - 'nope'".into(),
        ),
        (
            &[("timeout", "1"), ("nope", "1"), ("daemonize", "yes")],
            "ERR Unknown option or number of arguments for CONFIG SET - 'nope'".into(),
        ),
        (
            &[("daemonize", "yes"), ("nope", "1")],
            failed("daemonize", "can't set immutable config"),
        ),
        (&[("save", "10")], failed("save", "Invalid save parameters")),
        (
            &[("client-output-buffer-limit", "normal 1 2")],
            failed(
                "client-output-buffer-limit",
                "Wrong number of arguments in buffer limit configuration.",
            ),
        ),
        (
            &[("bind", "a b c d e f g h i j k l m n o p q")],
            failed("bind", "Too many bind addresses specified."),
        ),
        (
            &[("replicaof", "a 1")],
            failed("replicaof", "can't set immutable config"),
        ),
    ];
    for (request, expected) in table {
        assert_eq!(&set_err(&mut config, request), expected, "{request:?}");
    }
}

#[test]
fn set_is_all_or_nothing() {
    let mut config = Config::default();
    let err = config
        .set(&pairs(&[("timeout", "5"), ("maxmemory", "1x")]))
        .unwrap_err();
    assert!(matches!(err, ConfigSetError::Failed { .. }));
    assert_eq!(config.get_int("timeout"), Some(0));
}

#[test]
fn a_name_and_its_alias_are_not_duplicates() {
    // Redis registers an alias as a config entry of its own, so its
    // duplicate check lets both through and the last one wins.
    let mut config = Config::default();
    let changed = config
        .set(&pairs(&[
            ("hash-max-ziplist-entries", "1"),
            ("hash-max-listpack-entries", "2"),
        ]))
        .unwrap();
    assert_eq!(changed, ["hash-max-listpack-entries"]);
    assert_eq!(
        get(&config, &["hash-max-listpack-entries"]),
        [("hash-max-listpack-entries".to_owned(), "2".to_owned())]
    );
    assert_eq!(
        set_err(
            &mut config,
            &[("slave-read-only", "no"), ("SLAVE-READ-ONLY", "yes")]
        ),
        "ERR CONFIG SET failed (possibly related to argument 'SLAVE-READ-ONLY') - duplicate parameter"
    );
}

#[test]
fn protected_configs_follow_enable_protected_configs() {
    let mut config = Config::from_text("enable-protected-configs local\n").unwrap();
    assert!(config.set(&pairs(&[("dbfilename", "x.rdb")])).is_err());
    config
        .set_from_client(&pairs(&[("dbfilename", "x.rdb")]), true)
        .unwrap();
    assert_eq!(config.get_str("dbfilename"), Some(&b"x.rdb"[..]));
}

#[test]
fn sensitive_directives_are_flagged() {
    assert!(Config::is_sensitive(b"requirepass"));
    assert!(Config::is_sensitive(b"MASTERAUTH"));
    assert!(!Config::is_sensitive(b"port"));
}
