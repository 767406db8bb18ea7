//! Every script of `tests/differential/` against moat-server and the
//! reference redis-server, replies compared frame by frame after the
//! normalisations listed in `moat_testkit::accepted_differences`.
//! `MOAT_DIFF_ONLY=<part of a file name>` runs only the matching scripts.

use moat_testkit::{differential, differential_dir, moat_server, reference, ServerBuilder};

#[test]
fn differential_scripts_match_redis() {
    let Some(redis) = reference::redis_server() else {
        return;
    };
    let args = differential::SCRIPT_SERVER_ARGS;
    let moat = moat_server(option_env!("CARGO_BIN_EXE_moat-server")).args(args);
    let redis = ServerBuilder::new(redis).args(args);
    let report = differential::check_dir(&differential_dir(), &moat, &redis).unwrap();
    assert!(!report.scripts.is_empty(), "no differential scripts found");
    report.assert_clean();
}

/// `tests/differential_valkey/`, where Redis 7.2 differs from the 7.0
/// reference in ways its stream cannot be rewritten to hide, against
/// Valkey 8.1 (7.2's behaviour), read as sent.
#[test]
fn valkey_differential_scripts_match_valkey() {
    let Some(valkey) = reference::valkey_server() else {
        return;
    };
    let moat = moat_server(option_env!("CARGO_BIN_EXE_moat-server"));
    let valkey = ServerBuilder::new(valkey);
    let dir = moat_testkit::tests_dir().join("differential_valkey");
    let report =
        differential::check_dir_with(&dir, &moat, &valkey, differential::ReferencePushes::AsSent)
            .unwrap();
    assert!(
        !report.scripts.is_empty(),
        "no Valkey differential scripts found"
    );
    report.assert_clean();
}
