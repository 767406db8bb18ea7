//! Any bytes given to the RDB loader produce a keyspace or an error,
//! never a panic, a hang or an unbounded allocation. Inputs are also
//! tried behind a valid header, with thresholds small enough that every
//! value takes its big encoding, so the fuzzer reaches the opcodes fast,
//! and as the body of a RESTORE payload (the same object decoder, behind
//! a valid footer). A file that loads is saved and loaded again: what
//! moat writes it must read, and from the second save on the file only
//! changes where a value's encoding sets its order (hashtables).
#![no_main]

use libfuzzer_sys::fuzz_target;
use moat_server::db::{Keyspace, Thresholds};
use moat_server::persist::dump::restore_value;
use moat_server::persist::load::load_rdb;
use moat_server::persist::rdb::{payload, WriteOptions};
use moat_server::persist::save::{write_rdb, AuxInfo, DbEntries};

/// `ks` as SAVE writes it, with fixed AUX fields.
fn save(ks: &Keyspace) -> Vec<u8> {
    let aux = AuxInfo {
        redis_version: "7.2.4",
        ctime_ms: 0,
        used_mem: 0,
        policy: ks.eviction.policy,
        lfu: ks.lfu,
        aof_base: false,
    };
    let dbs: Vec<DbEntries<'_>> = ks.databases().map(|(i, db)| DbEntries::of(i, db)).collect();
    write_rdb(Vec::new(), WriteOptions::default(), &aux, &[], &dbs).expect("writes to memory")
}

fn load_and_reload(file: &[u8], like: &Keyspace) {
    let Ok(first) = load_rdb(file, like, 0) else {
        return;
    };
    let keys = first.keyspace.total_keys();
    let saved = save(&first.keyspace);
    let second = load_rdb(&saved, like, 0).expect("a file moat saved loads");
    assert_eq!(second.keyspace.total_keys(), keys);
    let resaved = save(&second.keyspace);
    let third = load_rdb(&resaved, like, 0).expect("a file moat saved loads");
    assert_eq!(third.keyspace.total_keys(), keys);
    assert_eq!(save(&third.keyspace).len(), resaved.len());
}

fuzz_target!(|data: &[u8]| {
    let mut like = Keyspace::new(16);
    load_and_reload(data, &like);

    let mut file = b"REDIS0011".to_vec();
    file.extend_from_slice(data);
    like.thresholds = Thresholds {
        hash_max_listpack_entries: 1,
        hash_max_listpack_value: 4,
        set_max_intset_entries: 1,
        set_max_listpack_entries: 1,
        set_max_listpack_value: 4,
        zset_max_listpack_entries: 1,
        zset_max_listpack_value: 4,
        list_max_listpack_size: 2,
    };
    load_and_reload(&file, &like);

    let _ = restore_value(&payload::seal(data.to_vec(), 11), &like.thresholds);
});
