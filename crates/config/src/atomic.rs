//! Replacing a file so that a crash leaves either the old or the new
//! version whole, never a mix or nothing (CONFIG REWRITE, ACL SAVE).
//!
//! The new content goes to a temporary file beside the target (the same
//! directory, hence the same file system, so the rename is atomic), is
//! fsynced, renamed over the target, and the directory is fsynced so the
//! rename itself survives a power loss. A failure before the rename
//! removes the temporary file and leaves the target as it was.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The step that failed, for the server's log (Redis logs each one with
/// its own sentence).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteStep {
    /// Creating the temporary file.
    Open,
    /// Writing the content.
    Write,
    /// fsync of the temporary file.
    Sync,
    /// Renaming it over the target.
    Rename,
    /// fsync of the directory after the rename (the new file is in place).
    SyncDirectory,
}

/// Why [`replace_file`] failed.
#[derive(Debug)]
pub struct WriteFailure {
    pub step: WriteStep,
    pub error: io::Error,
}

impl From<WriteFailure> for io::Error {
    fn from(failure: WriteFailure) -> io::Error {
        failure.error
    }
}

/// Replaces `path` with `content` (mode 0644 less the umask, as Redis).
/// The temporary file is `<path>.tmp-<pid>-<ms>`, Redis's ACL SAVE name.
pub fn replace_file(path: &Path, content: &[u8]) -> Result<(), WriteFailure> {
    let fail = |step| move |error| WriteFailure { step, error };
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let (temp_path, mut temp) = create_temp(path).map_err(fail(WriteStep::Open))?;
    let written = temp
        .write_all(content)
        .map_err(fail(WriteStep::Write))
        .and_then(|()| temp.sync_all().map_err(fail(WriteStep::Sync)))
        .and_then(|()| {
            drop(temp);
            std::fs::rename(&temp_path, path).map_err(fail(WriteStep::Rename))
        });
    if let Err(failure) = written {
        let _ = std::fs::remove_file(&temp_path);
        return Err(failure);
    }
    File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(fail(WriteStep::SyncDirectory))
}

/// Creates the temporary file, never reusing one that exists (two saves
/// in the same millisecond get different names).
fn create_temp(path: &Path) -> io::Result<(PathBuf, File)> {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let base = format!("{}.tmp-{}-{ms}", path.display(), std::process::id());
    let mut attempt = 0u32;
    loop {
        let candidate = match attempt {
            0 => PathBuf::from(&base),
            n => PathBuf::from(format!("{base}-{n}")),
        };
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(&candidate)
        {
            Ok(file) => return Ok((candidate, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 1000 => attempt += 1,
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("users.acl");
        std::fs::write(&target, "old\n").unwrap();
        replace_file(&target, b"new\n").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new\n");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn a_missing_directory_fails_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("nope/users.acl");
        let failure = replace_file(&target, b"x").unwrap_err();
        assert_eq!(failure.step, WriteStep::Open);
        assert_eq!(failure.error.kind(), io::ErrorKind::NotFound);
    }
}
