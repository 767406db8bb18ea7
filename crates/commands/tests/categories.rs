//! Category membership against the counts of Redis 7.2.6 (`ACL CAT <c> |
//! wc -l`, containers and subcommands each counted), from the behaviour
//! spec §10. Module commands are excluded: they are not in a plain 7.2.6
//! server and only join the categories they declare.

use moat_commands::{Category, CommandFlags, CommandTable};

fn core_in(category: Category) -> usize {
    CommandTable::global()
        .in_category(category)
        .filter(|c| !c.flags.contains(CommandFlags::MODULE))
        .count()
}

#[test]
fn counts_match_redis_7_2_6() {
    let expected = [
        (Category::Keyspace, 34),
        (Category::Read, 87),
        (Category::Write, 108),
        (Category::Set, 19),
        (Category::SortedSet, 37),
        (Category::List, 24),
        (Category::Hash, 16),
        (Category::String, 22),
        (Category::Bitmap, 7),
        (Category::HyperLogLog, 5),
        (Category::Geo, 10),
        (Category::Stream, 23),
        (Category::PubSub, 13),
        (Category::Admin, 65),
        (Category::Fast, 99),
        (Category::Slow, 271),
        (Category::Blocking, 10),
        (Category::Dangerous, 75),
        (Category::Connection, 38),
        (Category::Transaction, 5),
        (Category::Scripting, 21),
        (Category::Json, 0),
    ];
    let mismatches: Vec<String> = expected
        .iter()
        .filter(|(cat, count)| core_in(*cat) != *count)
        .map(|(cat, count)| format!("{}: {} (expected {count})", cat.name(), core_in(*cat)))
        .collect();
    assert!(mismatches.is_empty(), "{mismatches:?}");
    let core = CommandTable::global()
        .iter()
        .filter(|c| !c.flags.contains(CommandFlags::MODULE))
        .count();
    assert_eq!(core, 370);
}

#[test]
fn json_commands_are_only_in_declared_categories() {
    let table = CommandTable::global();
    let json: Vec<_> = table.in_category(Category::Json).collect();
    assert_eq!(json.len(), 26);
    assert!(json.iter().all(|c| c.flags.contains(CommandFlags::MODULE)));
    let del = table.lookup(b"json.del").unwrap();
    assert!(
        del.categories.contains(Category::Write) && !del.categories.contains(Category::Keyspace)
    );
    let get = table.lookup(b"json.get").unwrap();
    assert!(get.categories.contains(Category::Read) && !get.categories.contains(Category::Write));
}

#[test]
fn no_auth_commands() {
    let mut names: Vec<_> = CommandTable::global()
        .iter()
        .filter(|c| c.flags.contains(CommandFlags::NO_AUTH))
        .map(|c| c.fullname.as_str())
        .collect();
    names.sort();
    assert_eq!(names, ["auth", "hello", "quit", "reset"]);
}

#[test]
fn every_command_is_fast_xor_slow() {
    for cmd in CommandTable::global().iter() {
        assert!(
            cmd.categories.contains(Category::Fast) != cmd.categories.contains(Category::Slow),
            "{}",
            cmd.fullname
        );
    }
}
