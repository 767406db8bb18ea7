//! The permission check (§4, §5): selectors, keys, channels, databases.

mod common;

use common::*;
use moat_acl::DenyReason;

#[test]
fn reported_denial_across_selectors() {
    let u = user("on nopass +mget ~key (+mget ~key ~otherkey)");
    assert_eq!(denied(&u, "GET key"), (DenyReason::Command, "get".into()));
    assert_eq!(
        denied(&u, "MGET otherkey someotherkey"),
        (DenyReason::Key, "someotherkey".into())
    );
    assert_eq!(
        denied(&u, "MGET key otherkey someotherkey"),
        (DenyReason::Key, "someotherkey".into())
    );
    assert!(check(&u, "MGET key otherkey").is_ok());
}

#[test]
fn selectors_are_not_additive() {
    let split = user("on nopass (%R~read* +@all) (%W~write* +@all)");
    assert!(check(&split, "COPY read1 write1").is_err());
    let root = user("on nopass %R~read* %W~write* +@all");
    assert!(check(&root, "COPY read1 write1").is_ok());
}

#[test]
fn basic_multiple_selectors() {
    let u = user("on nopass -@all resetkeys (+@write ~write::*) (+@read ~read::*)");
    assert_eq!(denied(&u, "PING").0, DenyReason::Command);
    assert!(check(&u, "SET write::foo bar").is_ok());
    assert!(check(&u, "GET read::foo").is_ok());
    assert_eq!(denied(&u, "GET write::foo").0, DenyReason::Key);
    assert_eq!(denied(&u, "SET read::foo bar").0, DenyReason::Key);
}

#[test]
fn no_auth_commands_are_always_allowed() {
    let u = user("-@all -auth");
    for request in ["AUTH a b", "HELLO 3", "QUIT", "RESET"] {
        assert!(check(&u, request).is_ok(), "{request}");
    }
}

#[test]
fn first_arg_allowances() {
    let u = user("on nopass -select +select|0 ~*");
    assert!(check(&u, "SELECT 0").is_ok());
    assert_eq!(denied(&u, "SELECT 1").0, DenyReason::Command);
    let u = user("-@all +config|get +client|id");
    assert!(check(&u, "CONFIG GET maxmemory").is_ok());
    assert!(check(&u, "CLIENT ID").is_ok());
    assert_eq!(
        denied(&u, "CONFIG SET a b"),
        (DenyReason::Command, "config|set".into())
    );
}

#[test]
fn key_permissions_follow_key_spec_flags() {
    let u = user("+@all %R~read* %W~write* %RW~rw*");
    let ok = |r: &str| assert_eq!(dryrun(&u, r), "OK", "{r}");
    let key = |r: &str, k: &str| {
        assert_eq!(
            dryrun(&u, r),
            format!("User u has no permissions to access the '{k}' key"),
            "{r}"
        )
    };
    ok("GET read");
    key("GET write", "write");
    ok("SET write v");
    key("SET read v", "read");
    key("SET write v GET", "write");
    ok("SET rw v GET");
    ok("LPUSH write v");
    key("LPOP write", "write");
    ok("LPOP rw");
    for any in [
        "EXISTS read",
        "EXISTS write",
        "TYPE write",
        "STRLEN read",
        "TOUCH write",
    ] {
        ok(any);
    }
    key("EXISTS other", "other");
    ok("COPY read write");
    key("COPY write read", "write");
    ok("MIGRATE h p rw 0 500");
    key("MIGRATE h p read 0 500", "read");
    key("MIGRATE h p write 0 500", "write");
    ok("SORT read STORE write");
    key("EVAL x 1 read", "read");
    ok("EVAL_RO x 1 read");
    ok("EVAL x 0 read");
    ok("EVAL x -1 read");
    ok("EVAL x 3 rw rw");
    ok("GEORADIUS read 0 0 1 m STOREDIST write");
}

#[test]
fn verbose_and_terse_messages() {
    let u = user("on nopass %R~cache:* +@all");
    assert_eq!(
        dryrun(&u, "SET cache:x 1"),
        "User u has no permissions to access the 'cache:x' key"
    );
    let argv = words("SET cache:x 1");
    let denial = u.check(command(&argv), &argv).unwrap_err();
    assert_eq!(
        denial.noperm_message(u.name(), "set"),
        "No permissions to access a key"
    );
    let u = user("on +get");
    assert_eq!(
        dryrun(&u, "CLIENT KILL ID 1"),
        "User u has no permissions to run the 'client|kill' command"
    );
}

#[test]
fn channels_glob_for_channels_and_literal_for_patterns() {
    let u = user("+@all resetchannels &news.* &chat");
    assert!(check(&u, "PUBLISH news.sport x").is_ok());
    assert!(check(&u, "SUBSCRIBE news.a chat").is_ok());
    assert_eq!(
        denied(&u, "SUBSCRIBE chat other"),
        (DenyReason::Channel, "other".into())
    );
    assert!(check(&u, "PSUBSCRIBE news.*").is_ok());
    assert_eq!(
        denied(&u, "PSUBSCRIBE news.s*").0,
        DenyReason::Channel,
        "patterns compare literally"
    );
    assert!(check(&u, "UNSUBSCRIBE anything").is_ok());
    assert!(check(&u, "PUNSUBSCRIBE anything").is_ok());
    assert_eq!(
        dryrun(&u, "PUBLISH other x"),
        "User u has no permissions to access the 'other' channel"
    );
    let all = user("+@all allchannels");
    assert!(check(&all, "PSUBSCRIBE x*").is_ok());
}

#[test]
fn sort_by_needs_unrestricted_read() {
    let check_sort = |rules: &str| {
        let u = user(rules);
        let argv = words("SORT k BY w*");
        u.may_sort_by_pattern(command(&argv), &argv)
    };
    assert!(check_sort("+@all allkeys"));
    assert!(check_sort("+@all ~*"));
    assert!(check_sort("+@all %R~*"));
    assert!(check_sort("+@all %RW~*"));
    assert!(!check_sort("+@all %W~* %R~k"));
    assert!(!check_sort("+@all ~v* ~k"));
    assert!(check_sort("+@all ~k (+sort %R~*)"));
}

#[test]
fn database_permissions() {
    let u = user("on nopass ~a:* +get (~b:* +set) db=0,2");
    assert!(check_in_db(&u, "GET a:1", 0).is_ok());
    assert!(check_in_db(&u, "SET b:1 x", 0).is_ok());
    let denial = check_in_db(&u, "GET a:1", 1).unwrap_err();
    assert_eq!(
        denial.reason,
        DenyReason::Command,
        "the other selector's command refusal is reported"
    );

    let one = user("on nopass ~* +@all db=0");
    let argv = words("GET a:1");
    let denial = one.check_in_db(command(&argv), &argv, 1).unwrap_err();
    assert_eq!(denial.reason, DenyReason::Database);
    assert_eq!(
        denial.noperm_message(one.name(), "get"),
        "No permissions to access database"
    );
    assert_eq!(
        denial.dryrun_message(one.name(), "get", &argv),
        "User u has no permissions to access database GET"
    );
    assert_eq!(
        dryrun(&one, "SELECT 3"),
        "User u has no permissions to access database 3"
    );
    assert!(check(&one, "SELECT 0").is_ok());
    assert_eq!(
        dryrun(&one, "SWAPDB 0 1"),
        "User u has no permissions to access database 1"
    );
    assert_eq!(
        dryrun(&one, "MOVE k 4"),
        "User u has no permissions to access database 4"
    );
    assert_eq!(
        dryrun(&one, "COPY a b DB 5"),
        "User u has no permissions to access database 5"
    );
    assert!(check(&one, "COPY a b").is_ok());
    assert_eq!(denied(&one, "FLUSHALL").0, DenyReason::Database);
    assert!(
        check_in_db(&one, "PING", 7).is_ok(),
        "commands outside the keyspace work anywhere"
    );
    assert!(check(&user("on nopass ~* +@all"), "FLUSHALL").is_ok());
}

#[test]
fn log_objects() {
    let u = user("+get ~k");
    assert_eq!(denied(&u, "SET k v"), (DenyReason::Command, "set".into()));
    assert_eq!(denied(&u, "GET other"), (DenyReason::Key, "other".into()));
}

/// Observed on Valkey 8.1: a slow container carries its subcommands along,
/// so `-@slow` also denies fast subcommands and `+@fast` alone allows none.
#[test]
fn containers_carry_subcommands_through_categories() {
    let no_slow = user("on nopass ~* +@all -@slow");
    for request in [
        "CLIENT ID",
        "CLIENT GETNAME",
        "CONFIG GET x",
        "OBJECT ENCODING k",
        "CLUSTER KEYSLOT a",
    ] {
        assert_eq!(
            denied(&no_slow, request).0,
            DenyReason::Command,
            "{request}"
        );
    }
    assert!(check(&no_slow, "GET k").is_ok());
    let fast = user("on nopass ~* -@all +@fast");
    for request in [
        "CLIENT ID",
        "CONFIG GET x",
        "CLUSTER KEYSLOT a",
        "COMMAND COUNT",
    ] {
        assert_eq!(denied(&fast, request).0, DenyReason::Command, "{request}");
    }
    assert!(check(&fast, "GET k").is_ok());
}
