//! Every golden script of `tests/golden/` against moat-server.
//!
//! Each file runs on a fresh server; all mismatches are reported together
//! with `file:line`. `UPDATE_GOLDEN=1 cargo test -p moat-server --test golden`
//! rewrites the expectations from moat's replies instead (review the diff:
//! files marked `# reference: ...` are also checked against Redis/Valkey by
//! moat-testkit's own tests).

use moat_testkit::{golden, golden_dir, moat_server};

#[test]
fn golden_scripts_hold_on_moat() {
    let moat = moat_server(option_env!("CARGO_BIN_EXE_moat-server"));
    let report = golden::check_dir(&golden_dir(), &moat).unwrap();
    assert!(!report.scripts.is_empty(), "no golden scripts found");
    report.assert_clean();
}
