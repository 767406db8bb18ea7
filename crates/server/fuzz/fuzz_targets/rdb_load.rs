//! Any bytes given to the RDB loader produce a keyspace or an error,
//! never a panic, a hang or an unbounded allocation. Inputs are also
//! tried behind a valid header so the fuzzer reaches the opcodes fast.
#![no_main]

use libfuzzer_sys::fuzz_target;
use moat_server::db::Keyspace;
use moat_server::persist::load::load_rdb;

fuzz_target!(|data: &[u8]| {
    let like = Keyspace::new(16);
    let _ = load_rdb(data, &like, 0);
    let mut file = b"REDIS0011".to_vec();
    file.extend_from_slice(data);
    let _ = load_rdb(&file, &like, 0);
});
