//! The output folder's lock, shared by `run` and `apply`: one process at a time
//! writes into an output folder, so a scheduled run cannot replace the requests an
//! apply is sending, and two runs cannot interleave their renames.
//!
//! The lock is an operating-system lock on `OUT/.replan.lock` (`flock` on Unix,
//! `LockFileEx` on Windows): the system releases it when its process ends, however
//! it ends, so a lock left by a killed process is simply taken over. The file holds
//! the holder's process id, to name it to whoever finds the lock held, and is
//! removed when the holder lets go.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::error::Error;

/// The lock file's name in the output folder.
pub const LOCK: &str = ".replan.lock";

/// The output folder's lock, held until dropped.
#[derive(Debug)]
pub struct OutLock {
    file: File,
    path: PathBuf,
}

impl OutLock {
    /// Takes the lock of the existing folder `out`, or says which process holds it.
    pub fn take(out: &Path) -> Result<OutLock, Error> {
        let path = out.join(LOCK);
        let fail = |source| Error::Output {
            path: path.clone(),
            source,
        };
        // A holder that lets go removes the file it locked; whoever locked that
        // file meanwhile holds nothing and tries again on the new one.
        for _ in 0..100 {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(fail)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    let mut holder = String::new();
                    // A holder that has not yet written its id leaves it empty.
                    let _ = file.read_to_string(&mut holder);
                    return Err(Error::Usage(held(out, holder.trim())));
                }
                Err(TryLockError::Error(source)) => return Err(fail(source)),
            }
            if !still_at(&file, &path) {
                continue;
            }
            file.set_len(0).map_err(fail)?;
            file.rewind().map_err(fail)?;
            writeln!(file, "{}", std::process::id()).map_err(fail)?;
            file.flush().map_err(fail)?;
            return Ok(OutLock { file, path });
        }
        Err(fail(io::Error::other("the lock file keeps changing")))
    }
}

impl Drop for OutLock {
    fn drop(&mut self) {
        // Removed while still locked: the next holder finds a fresh file.
        let _ = fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

fn held(out: &Path, holder: &str) -> String {
    let who = if holder.is_empty() {
        "another replan process".to_string()
    } else {
        format!("replan process {holder}")
    };
    format!(
        "{} is in use by {who} (run or apply): try again when it has finished",
        out.display()
    )
}

/// Whether `file` is still the file at `path` (not removed by a holder letting go).
#[cfg(unix)]
fn still_at(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Windows does not let a file that is open be replaced under its name.
#[cfg(not(unix))]
fn still_at(_file: &File, path: &Path) -> bool {
    path.exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_taker_is_told_the_holders_process_id() {
        let dir = tempfile::tempdir().unwrap();
        let lock = OutLock::take(dir.path()).unwrap();
        let text = fs::read_to_string(dir.path().join(LOCK)).unwrap();
        assert_eq!(text.trim(), std::process::id().to_string());
        let err = OutLock::take(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains(&format!("replan process {}", std::process::id())),
            "{err}"
        );
        drop(lock);
        assert!(!dir.path().join(LOCK).exists(), "the lock file stays");
        let again = OutLock::take(dir.path()).unwrap();
        drop(again);
    }

    #[test]
    fn a_lock_file_nobody_locks_is_taken_over() {
        // What a killed holder leaves: the file with its id, and no lock.
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(LOCK), "999999999\n").unwrap();
        let lock = OutLock::take(dir.path()).unwrap();
        let text = fs::read_to_string(dir.path().join(LOCK)).unwrap();
        assert_eq!(text.trim(), std::process::id().to_string());
        drop(lock);
    }
}
