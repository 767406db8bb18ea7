//! Reading config files, including `include` paths with wildcards.
//!
//! Redis 7 expands an `include` path containing `*`, `?` or `[` with the C
//! library's `glob(3)` and silently skips a pattern matching nothing (so an
//! empty `conf.d/*.conf` is fine), while a plain path must exist. The same
//! `glob(3)` is used here so matching and ordering are identical.

use std::ffi::{CStr, CString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::error::{strerror, FatalConfigError};

/// Whether Redis treats `path` as a wildcard pattern.
pub(crate) fn has_wildcard(path: &[u8]) -> bool {
    path.iter().any(|b| matches!(b, b'*' | b'?' | b'['))
}

/// Reads one config file whole.
pub(crate) fn read_config_file(path: &Path) -> Result<Vec<u8>, FatalConfigError> {
    std::fs::read(path).map_err(|e| FatalConfigError::CannotOpen {
        path: path.to_path_buf(),
        reason: strerror(&e),
    })
}

/// Expands a wildcard pattern into the sorted list of matching paths.
/// No match (or an unreadable directory) gives an empty list, as in Redis.
pub(crate) fn expand_glob(pattern: &[u8]) -> Vec<PathBuf> {
    let Ok(c_pattern) = CString::new(pattern) else {
        return Vec::new();
    };
    // SAFETY: `glob_t` is a plain C struct for which all-zero is the
    // documented initial state; `glob` fills it and `globfree` releases it.
    let mut found: libc::glob_t = unsafe { std::mem::zeroed() };
    // SAFETY: `c_pattern` is a valid NUL-terminated string and `found` a
    // valid, exclusively borrowed `glob_t`.
    let status = unsafe { libc::glob(c_pattern.as_ptr(), 0, None, &mut found) };
    let mut paths = Vec::new();
    if status == 0 {
        for i in 0..found.gl_pathc {
            // SAFETY: on success `gl_pathv` holds `gl_pathc` valid C strings.
            let entry = unsafe { CStr::from_ptr(*found.gl_pathv.add(i)) };
            paths.push(PathBuf::from(std::ffi::OsStr::from_bytes(entry.to_bytes())));
        }
    }
    // SAFETY: `found` was initialised by `glob` (or is still zeroed, which
    // `globfree` accepts).
    unsafe { libc::globfree(&mut found) };
    paths
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_lists_matches_sorted_and_tolerates_none() {
        let tmp = tempfile::tempdir().unwrap();
        for name in ["b.conf", "a.conf", "c.txt"] {
            std::fs::write(tmp.path().join(name), "").unwrap();
        }
        let pattern = format!("{}/*.conf", tmp.path().display());
        let found = expand_glob(pattern.as_bytes());
        assert_eq!(
            found,
            vec![tmp.path().join("a.conf"), tmp.path().join("b.conf")]
        );
        let none = format!("{}/*.nothing", tmp.path().display());
        assert!(expand_glob(none.as_bytes()).is_empty());
    }

    #[test]
    fn missing_file_is_fatal_with_strerror() {
        let err = read_config_file(Path::new("/nonexistent/moat.conf")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Fatal error, can't open config file '/nonexistent/moat.conf': No such file or directory"
        );
    }
}
