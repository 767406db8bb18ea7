//! The rule grammar through `Registry::set_user`: every token, every
//! error text, and the retained command rules of Redis 7.2 (§2, §3).

mod common;

use common::*;
use moat_acl::{PasswordHash, PubsubDefault, Registry};
use moat_commands::{Category, CommandTable};

#[test]
fn new_users_and_the_default_user() {
    let mut reg = registry();
    assert_eq!(
        reg.default_user().describe(),
        "user default on nopass sanitize-payload ~* &* +@all"
    );
    let u = setuser(&mut reg, "u2", "").unwrap();
    assert_eq!(
        u.describe(),
        "user u2 off sanitize-payload resetchannels -@all"
    );
    let empty_name = setuser(&mut reg, "", "").unwrap();
    assert_eq!(
        empty_name.describe(),
        "user  off sanitize-payload resetchannels -@all"
    );

    let mut all_channels = Registry::new(PubsubDefault::AllChannels);
    assert_eq!(
        setuser(&mut all_channels, "a", "").unwrap().describe(),
        "user a off sanitize-payload &* -@all"
    );
    assert_eq!(
        all_channels.default_user().describe(),
        "user default on nopass sanitize-payload ~* &* +@all"
    );
}

#[test]
fn verified_list_lines() {
    let mut reg = registry();
    let u1 = setuser(
        &mut reg,
        "u1",
        "on >pw %R~r* %W~w* ~obj* &ch* +@all -incr (~sel* -@all +get)",
    )
    .unwrap();
    assert_eq!(
        u1.describe(),
        format!(
            "user u1 on sanitize-payload #{} %R~r* %W~w* ~obj* resetchannels &ch* +@all -incr (~sel* resetchannels -@all +get)",
            PasswordHash::of_password(b"pw").as_str()
        )
    );
    let zed = setuser(&mut reg, "zed", "on nopass +get (~a +set)").unwrap();
    assert_eq!(zed.describe(), "user zed on nopass sanitize-payload resetchannels -@all +get (~a resetchannels -@all +set)");
    assert_eq!(
        reg.users()
            .map(|u| String::from_utf8_lossy(u.name()).into_owned())
            .collect::<Vec<_>>(),
        ["default", "u1", "zed"]
    );
}

#[test]
fn flags() {
    let u = user("on skip-sanitize-payload nopass");
    assert_eq!(u.view().flags, ["on", "nopass", "skip-sanitize-payload"]);
    let u = user("on skip-sanitize-payload SANITIZE-PAYLOAD off");
    assert_eq!(u.view().flags, ["off", "sanitize-payload"]);
}

#[test]
fn every_error_text() {
    let mut reg = registry();
    let err = |reg: &mut Registry, rules: &str| setuser(reg, "e", rules).unwrap_err();
    assert_eq!(
        err(&mut reg, "bogus"),
        "Error in ACL SETUSER modifier 'bogus': Syntax error"
    );
    assert_eq!(
        err(&mut reg, "+nocmd"),
        "Error in ACL SETUSER modifier '+nocmd': Unknown command or category name in ACL"
    );
    assert_eq!(
        err(&mut reg, "+@nocat"),
        "Error in ACL SETUSER modifier '+@nocat': Unknown command or category name in ACL"
    );
    assert_eq!(
        err(&mut reg, "allkeys ~x"),
        "Error in ACL SETUSER modifier '~x': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
    );
    assert_eq!(
        err(&mut reg, "~* %X~x"),
        "Error in ACL SETUSER modifier '%X~x': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
        "allkeys is checked before the syntax"
    );
    assert_eq!(
        err(&mut reg, "&* &x"),
        "Error in ACL SETUSER modifier '&x': Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"
    );
    assert_eq!(
        err(&mut reg, "<nope"),
        "Error in ACL SETUSER modifier '<nope': The password you are trying to remove from the user does not exist"
    );
    assert_eq!(
        err(&mut reg, "#abc"),
        "Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
    );
    assert_eq!(
        err(&mut reg, "+config|get|x"),
        "Error in ACL SETUSER modifier '+config|get|x': Allowing first-arg of a subcommand is not supported"
    );
    assert_eq!(
        err(&mut reg, "+config|"),
        "Error in ACL SETUSER modifier '+config|': Syntax error"
    );
    assert_eq!(
        err(&mut reg, "-select|0"),
        "Error in ACL SETUSER modifier '-select|0': Unknown command or category name in ACL"
    );
    assert_eq!(
        err(&mut reg, "+a|b|c"),
        "Error in ACL SETUSER modifier '+a|b|c': Unknown command or category name in ACL"
    );
    assert_eq!(
        err(&mut reg, "+config|nosuch"),
        "Error in ACL SETUSER modifier '+config|nosuch': Unknown command or category name in ACL"
    );
    assert_eq!(
        err(&mut reg, "(on)"),
        "Error in ACL SETUSER modifier '(on)': Syntax error"
    );
    assert_eq!(
        err(&mut reg, ")"),
        "Error in ACL SETUSER modifier ')': Syntax error"
    );
    assert_eq!(
        err(&mut reg, "%~x"),
        "Error in ACL SETUSER modifier '%~x': Syntax error"
    );
    assert_eq!(
        err(&mut reg, "%RR~a"),
        "Error in ACL SETUSER modifier '%RR~a': Syntax error"
    );
    assert_eq!(
        err(&mut reg, "(~a +get"),
        "Unmatched parenthesis in acl selector starting at '(~a'."
    );
    assert_eq!(
        err(&mut reg, "(~a ~* ~b)"),
        "Error in ACL SETUSER modifier '(~a ~* ~b)': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
    );
    assert_eq!(
        err(&mut reg, "db=2147483648"),
        "Error in ACL SETUSER modifier 'db=2147483648': The provided database ID is out of range"
    );
    assert!(reg.get(b"e").is_none(), "a failed SETUSER creates nothing");
}

#[test]
fn failed_setuser_changes_nothing() {
    let mut reg = registry();
    let before = setuser(&mut reg, "u", "on >a ~k +get").unwrap();
    setuser(&mut reg, "u", "off resetpass ~other +set +nocmd").unwrap_err();
    assert_eq!(reg.get(b"u").unwrap().describe(), before.describe());
}

#[test]
fn key_patterns_are_merged_and_ordered() {
    let u = user("%r~a %W~a %wR~b %R~c ~");
    assert_eq!(String::from_utf8_lossy(&u.view().keys), "~a ~b %R~c ~");
    let u = user("%RW~* ~x");
    assert_eq!(
        String::from_utf8_lossy(&u.view().keys),
        "~* ~x",
        "%RW~* is a pattern, not allkeys"
    );
    let u = user("~a ~* ");
    assert_eq!(String::from_utf8_lossy(&u.view().keys), "~*");
    let u = user("~a resetkeys ~b");
    assert_eq!(String::from_utf8_lossy(&u.view().keys), "~b");
}

#[test]
fn channels() {
    let u = user("&a &b &a");
    assert_eq!(String::from_utf8_lossy(&u.view().channels), "&a &b");
    assert_eq!(
        u.describe(),
        "user u off sanitize-payload resetchannels &a &b -@all"
    );
    let u = user("&a allchannels");
    assert_eq!(String::from_utf8_lossy(&u.view().channels), "&*");
    let u = user("allchannels resetchannels");
    assert_eq!(String::from_utf8_lossy(&u.view().channels), "");
}

#[test]
fn passwords() {
    let mut reg = registry();
    let h = |p: &str| PasswordHash::of_password(p.as_bytes()).as_str().to_string();
    let u = setuser(&mut reg, "p", "on >a >b >a").unwrap();
    assert_eq!(u.view().passwords, [h("a"), h("b")]);
    let u = setuser(&mut reg, "p", &format!("!{} <b #{}", h("a"), h("c"))).unwrap();
    assert_eq!(u.view().passwords, [h("c")]);
    assert!(u.authenticate(b"c") && !u.authenticate(b"a"));
    let u = setuser(&mut reg, "p", "nopass").unwrap();
    assert!(u.view().passwords.is_empty() && u.is_nopass());
    let u = setuser(&mut reg, "p", ">x").unwrap();
    assert!(!u.is_nopass(), ">pw clears nopass");
    let u = setuser(&mut reg, "p", "reset").unwrap();
    assert_eq!(
        u.describe(),
        "user p off sanitize-payload resetchannels -@all"
    );
}

#[test]
fn reset_and_clearselectors() {
    let mut reg = registry();
    setuser(
        &mut reg,
        "r",
        "on nopass skip-sanitize-payload ~a &b +@all db=1 (+get)",
    )
    .unwrap();
    let u = setuser(&mut reg, "r", "clearselectors").unwrap();
    assert_eq!(u.selectors().len(), 1);
    let u = setuser(&mut reg, "r", "reset").unwrap();
    assert_eq!(
        u.describe(),
        "user r off sanitize-payload resetchannels -@all"
    );
    let mut all = Registry::new(PubsubDefault::AllChannels);
    let u = setuser(&mut all, "r", "resetchannels &x reset").unwrap();
    assert_eq!(u.describe(), "user r off sanitize-payload &* -@all");
}

#[test]
fn selectors_merge_and_quote() {
    let mut reg = registry();
    let u = setuser(&mut reg, "s", "(~a +get) () (~b").unwrap_err();
    assert_eq!(
        u,
        "Unmatched parenthesis in acl selector starting at '(~b'."
    );
    let u = setuser(&mut reg, "s", "(~a +get) () (~b +set)").unwrap();
    assert_eq!(
        u.describe(),
        "user s off sanitize-payload resetchannels -@all (~a resetchannels -@all +get) (resetchannels -@all) (~b resetchannels -@all +set)"
    );
    let u = setuser(&mut reg, "q", "('~a b' +get)").unwrap_err();
    assert_eq!(
        u,
        "Error in ACL SETUSER modifier '('~a b' +get)': Syntax error"
    );
    let u = setuser(&mut reg, "q", "(\"~x\" +get)").unwrap();
    assert!(u.describe().ends_with("(~x resetchannels -@all +get)"));
}

#[test]
fn databases() {
    let u = user("on nopass ~* +@all db=0,1");
    assert_eq!(
        u.describe(),
        "user u on nopass sanitize-payload ~* resetchannels db=0,1 +@all"
    );
    assert_eq!(u.view().databases, "db=0,1");
    let u = user("db=3,2 db=1");
    assert_eq!(u.view().databases, "db=1");
    let u = user("db=1 resetdbs");
    assert!(u.describe().contains(" resetchannels resetdbs -@all"));
    let u = user("db=1 alldbs");
    assert_eq!(u.view().databases, "alldbs");
    let u = user("on nopass (db=0,1 +@write +select ~*) (db=2,3 +@read +select ~*)");
    assert_eq!(
        u.describe(),
        "user u on nopass sanitize-payload resetchannels -@all (~* resetchannels db=0,1 -@all +@write +select) (~* resetchannels db=2,3 -@all +@read +select)"
    );
}

/// §3.2: every verified normalisation of the retained command rules.
#[test]
fn retained_command_rules() {
    let mut reg = registry();
    setuser(&mut reg, "n", "+@all -@hash -@slow +hget").unwrap();
    assert_eq!(
        commands_of(&setuser(&mut reg, "n", "-@hash").unwrap()),
        "+@all -@slow +hget -@hash"
    );
    assert_eq!(
        commands_of(&setuser(&mut reg, "n", "+@hash").unwrap()),
        "+@all -@slow +hget +@hash"
    );
    assert_eq!(
        commands_of(&setuser(&mut reg, "n", "-@all").unwrap()),
        "-@all"
    );

    let cases = [
        ("-@string -@slow +@all", "+@all"),
        ("-@all +@HASH +@hash +@HaSh", "-@all +@hash"),
        ("-@all +hget -hset +hset -hget", "-@all +hset -hget"),
        (
            "-@all +client|list +client|list +config|get +config +acl|list -acl",
            "-@all +client|list +config -acl",
        ),
        (
            "-@all +select|0 +select|0 +debug|segfault +debug",
            "-@all +select|0 +debug",
        ),
        ("-@all -@dangerous", "-@all -@dangerous"),
        (
            "-@all +config +config|get -config|set +config",
            "-@all +config",
        ),
        ("+@all +client|id", "+@all +client|id"),
        ("+memory|doctor", "-@all +memory|doctor"),
        ("+memory|doctor +memory", "-@all +memory"),
        ("+SELECT|Foo +select|foo", "-@all +select|foo"),
        ("+GET -Set", "-@all +get -set"),
        ("allcommands -get", "+@all -get"),
        ("+@all nocommands +get", "-@all +get"),
    ];
    for (rules, expected) in cases {
        assert_eq!(commands_of(&user(rules)), expected, "rules {rules:?}");
    }
}

#[test]
fn every_category_round_trips() {
    for category in Category::ALL {
        let name = category.name();
        assert_eq!(
            commands_of(&user(&format!("reset +@all -@{name}"))),
            format!("+@all -@{name}")
        );
        assert_eq!(
            commands_of(&user(&format!("reset -@all +@{name}"))),
            format!("-@all +@{name}")
        );
    }
}

#[test]
fn category_rules_set_command_and_subcommand_bits() {
    let table = CommandTable::global();
    let u = user("+@hash");
    let hget = table.lookup(b"hget").unwrap();
    let get = table.lookup(b"get").unwrap();
    assert!(u.root().allows_command_id(hget.id));
    assert!(!u.root().allows_command_id(get.id));
    let u = user("+@all -@slow");
    let config = table.lookup(b"config").unwrap();
    for sub in &config.subcommands {
        assert!(
            !u.root().allows_command_id(*sub),
            "a slow container takes its subcommands along"
        );
    }
    let u = user("+config -config|set");
    let set = table.lookup_subcommand(config, b"set").unwrap();
    let get = table.lookup_subcommand(config, b"get").unwrap();
    assert!(u.root().allows_command_id(get.id) && !u.root().allows_command_id(set.id));
}

#[test]
fn parse_rules_reports_parse_errors_only() {
    use moat_acl::parse_rules;
    assert!(parse_rules(&words("on >p ~a &b +get (+set ~c) db=1")).is_ok());
    assert_eq!(
        parse_rules(&words("on +nocmd")).unwrap_err().to_string(),
        "Error in ACL SETUSER modifier '+nocmd': Unknown command or category name in ACL"
    );
    assert!(
        parse_rules(&words("allkeys ~x <nopass")).is_ok(),
        "state-dependent errors come from applying"
    );
}
