//! One run per journal (or export state) at a time: an exclusive advisory lock (`flock`, via
//! `File::try_lock`) on a small lock file beside it, `PATH.lock`, that holds the holder's pid
//! so that a second run can say who has it. The lock is released when the run ends, however it
//! ends (the kernel drops it with the process); the lock file is removed on a normal end.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::{FileError, kind_of, link_or_io};

/// A held lock; dropping it releases it.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
    file: File,
}

/// The lock file of `target`.
pub fn lock_path(target: &Path) -> PathBuf {
    PathBuf::from(format!("{}.lock", target.display()))
}

/// Takes the lock of `target` (e.g. a journal), or says which process holds it.
pub fn lock(target: &Path) -> Result<Lock, FileError> {
    let path = lock_path(target);
    let io = |e| FileError::io(&path, e);
    // A holder that finishes removes the file while it still holds the lock, so the file we
    // locked may no longer be the one at `path`: then try again with the new one.
    for _ in 0..16 {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(&path)
            .map_err(|e| link_or_io(&path, e))?;
        let meta = file.metadata().map_err(io)?;
        if !meta.file_type().is_file() {
            return Err(FileError::NotRegular {
                path: path.display().to_string(),
                what: kind_of(meta.file_type()),
            });
        }
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = (&file).take(32).read_to_string(&mut pid);
                let holder = match pid.trim() {
                    "" => "its pid is not written yet".to_string(),
                    pid => format!("pid {pid}"),
                };
                return Err(FileError::Locked {
                    path: target.display().to_string(),
                    holder,
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        let current = std::fs::symlink_metadata(&path);
        if !current.is_ok_and(|m| m.dev() == meta.dev() && m.ino() == meta.ino()) {
            continue;
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        return Ok(Lock { path, file });
    }
    Err(io(std::io::Error::other(
        "the lock file keeps changing; is another run starting and stopping?",
    )))
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Removed while still held: a run that opened this file meanwhile sees, once it gets
        // the lock, that the file is gone, and starts over with a new one.
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}
