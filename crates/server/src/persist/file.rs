//! The RDB file on disk: written to `temp-<pid>.rdb` in the same
//! directory, fsynced, renamed over the target and the directory fsynced,
//! so that a crash leaves the old file or the new one, never a partial
//! one.

use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

/// Writes a temporary file named `temp_name` next to `path` through
/// `fill` and fsyncs it; [`commit`] then puts it in place. On error the
/// temporary file is removed.
pub fn write_temp(
    path: &Path,
    temp_name: &str,
    fill: impl FnOnce(BufWriter<File>) -> io::Result<BufWriter<File>>,
) -> io::Result<PathBuf> {
    let temp = dir_of(path).join(temp_name);
    let result = (|| {
        let file = File::create(&temp)?;
        let writer = fill(BufWriter::with_capacity(1 << 16, file))?;
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()
    })();
    match result {
        Ok(()) => Ok(temp),
        Err(e) => {
            let _ = fs::remove_file(&temp);
            Err(e)
        }
    }
}

/// Renames the temporary file over `path` and fsyncs the directory so
/// the rename itself survives a crash.
pub fn commit(temp: &Path, path: &Path) -> io::Result<()> {
    if let Err(e) = fs::rename(temp, path) {
        let _ = fs::remove_file(temp);
        return Err(e);
    }
    File::open(dir_of(path))?.sync_all()
}

/// Drops a temporary file that will not be committed.
pub fn discard(temp: &Path) {
    let _ = fs::remove_file(temp);
}

fn dir_of(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// The configured file: `dbfilename` inside `dir` (the working directory,
/// which start-up and `CONFIG SET dir` keep at `dir`).
pub fn rdb_path(config: &moat_config::Config) -> PathBuf {
    let name = config
        .get_text("dbfilename")
        .unwrap_or_else(|| "dump.rdb".into());
    config.dir().join(name)
}

/// The file's bytes, `None` when it does not exist.
pub fn read_if_exists(path: &Path) -> io::Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}
