//! The product seeds (/work/shared/seeds): user-facing scenarios whose
//! outputs must come out verbatim.

mod common;

use common::*;
use moat_acl::{DenyReason, PasswordHash};

fn sha(text: &str) -> String {
    PasswordHash::of_password(text.as_bytes())
        .as_str()
        .to_string()
}

/// Seed 000: devops_api_user, JSON commands, the admin, the default user.
#[test]
fn seed_000_quick_overview() {
    assert_eq!(
        sha("Pr4UmfeLGGJEnBu8zX6VgAYux65C0ide"),
        "3507e38950cdd87d25b568fb4a047edd76ced6de5f61c4cde224a444f3bbf2e6"
    );
    assert_eq!(
        sha("1234qwer"),
        "ef51306214d9a6361ee1d5b452e6d2bb70dc7ebb85bf9e02c3d4747fb57d6bec"
    );

    let mut reg = registry();
    let devops = setuser(
        &mut reg,
        "devops_api_user",
        "on >Pr4UmfeLGGJEnBu8zX6VgAYux65C0ide ~user:profile:* +@hash +@read +@write -flushall -flushdb",
    )
    .unwrap();
    let view = devops.view();
    assert_eq!(view.flags, ["on", "sanitize-payload"]);
    assert_eq!(
        view.passwords,
        ["3507e38950cdd87d25b568fb4a047edd76ced6de5f61c4cde224a444f3bbf2e6"]
    );
    assert_eq!(
        view.commands,
        "-@all +@hash +@read +@write -flushall -flushdb"
    );

    let devops = setuser(&mut reg, "devops_api_user", "+json.set").unwrap();
    assert_eq!(
        devops.describe(),
        "user devops_api_user on sanitize-payload #3507e38950cdd87d25b568fb4a047edd76ced6de5f61c4cde224a444f3bbf2e6 \
         ~user:profile:* resetchannels -@all +@hash +@read +@write -flushall -flushdb +json.set"
    );
    let devops = setuser(&mut reg, "devops_api_user", "+json.get").unwrap();
    assert_eq!(
        devops.view().commands,
        "-@all +@hash +@read +@write -flushall -flushdb +json.set +json.get"
    );
    assert_eq!(
        String::from_utf8_lossy(&devops.view().keys),
        "~user:profile:*"
    );
    assert!(devops.authenticate(b"Pr4UmfeLGGJEnBu8zX6VgAYux65C0ide"));
    assert!(check(&devops, "HSET user:profile:1 f v").is_ok());
    assert_eq!(denied(&devops, "HGET admin:settings f").0, DenyReason::Key);
    assert_eq!(denied(&devops, "FLUSHALL").0, DenyReason::Command);

    let json = setuser(&mut reg, "json_user", "on nopass ~* +@json -json.del").unwrap();
    assert_eq!(json.view().commands, "-@all +@json -json.del");
    assert!(check(&json, "JSON.SET k $ 1").is_ok());
    assert_eq!(denied(&json, "JSON.DEL k").0, DenyReason::Command);
    let reversed = setuser(&mut reg, "json_rev", "on nopass ~* -json.del +@json").unwrap();
    assert!(
        check(&reversed, "JSON.DEL k").is_ok(),
        "the later +@json re-enables json.del"
    );

    let reset = setuser(
        &mut reg,
        "devops_api_user",
        "reset on >new_password_123 +@json ~user:*",
    )
    .unwrap();
    assert_eq!(
        reset.describe(),
        format!(
            "user devops_api_user on sanitize-payload #{} ~user:* resetchannels -@all +@json",
            sha("new_password_123")
        )
    );

    let admin = setuser(&mut reg, "faustobranco", "on >1234qwer ~* +@all").unwrap();
    assert_eq!(
        admin.describe(),
        "user faustobranco on sanitize-payload #ef51306214d9a6361ee1d5b452e6d2bb70dc7ebb85bf9e02c3d4747fb57d6bec ~* resetchannels +@all"
    );
    // The seed's listing shows a second hash whose cleartext it never gives.
    let admin = setuser(
        &mut reg,
        "faustobranco",
        "#5a973170882744fb97781e2b37942726924ad1245c8def97797ead1c7e028902",
    )
    .unwrap();
    assert_eq!(
        admin.describe(),
        "user faustobranco on sanitize-payload #ef51306214d9a6361ee1d5b452e6d2bb70dc7ebb85bf9e02c3d4747fb57d6bec \
         #5a973170882744fb97781e2b37942726924ad1245c8def97797ead1c7e028902 ~* resetchannels +@all"
    );
    // Likewise the default user's hash in the listing.
    let default = setuser(
        &mut reg,
        "default",
        "#0cfd0576db854caea9e711405ba7de4c2fea804e90ecdf7875648ec16cfaa53f",
    )
    .unwrap();
    assert_eq!(
        default.describe(),
        "user default on sanitize-payload #0cfd0576db854caea9e711405ba7de4c2fea804e90ecdf7875648ec16cfaa53f ~* &* +@all"
    );
    assert!(!default.is_nopass());
    let off = setuser(&mut reg, "default", "off").unwrap();
    assert!(!off.is_enabled());
}

/// Seed 001: syntax overview and selectors.
#[test]
fn seed_001_syntax() {
    let u = user("on nopass +GET ~key1 (+SET ~key2)");
    assert!(check(&u, "GET key1").is_ok());
    assert!(check(&u, "SET key2 hello").is_ok());
    assert!(check(&u, "GET key2").is_err());
    assert!(check(&u, "SET key1 world").is_err());
    let u = user("on nopass +@read +SET ~app1* %R~app2*");
    assert!(check(&u, "SET app1:x v").is_ok());
    assert_eq!(denied(&u, "SET app2:x v").0, DenyReason::Key);
    assert!(check(&u, "GET app2:x").is_ok());
    assert_eq!(u.view().commands, "-@all +@read +set");
    let u = user("on nopass resetchannels &channel1 &channel2 +@pubsub");
    assert!(check(&u, "PUBLISH channel2 x").is_ok());
    assert_eq!(denied(&u, "PUBLISH channel3 x").0, DenyReason::Channel);
}

/// Seed 002: the Memurai guide's scenarios.
#[test]
fn seed_002_scenarios() {
    let reader = user("on >CacheReaderPassword %R~cache:* +@read");
    assert!(check(&reader, "GET cache:test").is_ok());
    let argv = words("SET cache:test value");
    let denial = reader.check(command(&argv), &argv).unwrap_err();
    assert_eq!(
        denial.noperm_message(b"cachereader", "set"),
        "User cachereader has no permissions to run the 'set' command"
    );

    let orders = user("on >OrderServicePassword %R~shared:* ~orders:* +@read +@write");
    assert!(check(&orders, "GET shared:x").is_ok());
    assert!(check(&orders, "SET orders:1 x").is_ok());
    assert_eq!(denied(&orders, "SET shared:x v").0, DenyReason::Key);
    assert_eq!(denied(&orders, "GET other:x").0, DenyReason::Key);
    assert_eq!(denied(&orders, "CONFIG GET x").0, DenyReason::Command);

    let listener =
        user("on >ListenerPassword resetchannels &events:* +subscribe +psubscribe -publish");
    assert!(check(&listener, "SUBSCRIBE events:orders").is_ok());
    let argv = words("PUBLISH events:orders test");
    let denial = listener.check(command(&argv), &argv).unwrap_err();
    assert_eq!(
        denial.noperm_message(b"eventlistener", "publish"),
        "User eventlistener has no permissions to run the 'publish' command"
    );
    assert_eq!(denied(&listener, "GET k").0, DenyReason::Command);

    let producer = user(
        "on >ProducerPassword resetchannels &notifications:orders +publish -subscribe -psubscribe",
    );
    assert!(check(&producer, "PUBLISH notifications:orders x").is_ok());
    assert_eq!(
        denied(&producer, "PUBLISH notifications:other x").0,
        DenyReason::Channel
    );
    assert_eq!(
        denied(&producer, "SUBSCRIBE notifications:orders").0,
        DenyReason::Command
    );

    let monitor =
        user("on >MonitorPassword resetchannels allchannels +subscribe +psubscribe +publish");
    assert!(check(&monitor, "PSUBSCRIBE *").is_ok());
    assert!(monitor
        .describe()
        .ends_with(" &* -@all +subscribe +psubscribe +publish"));

    let default = user("on nopass ~* +@read -@write -@admin -@dangerous");
    assert!(check(&default, "GET k").is_ok());
    assert_eq!(denied(&default, "SET k v").0, DenyReason::Command);
    assert_eq!(
        denied(&default, "KEYS *").0,
        DenyReason::Command,
        "KEYS is @dangerous"
    );
}
