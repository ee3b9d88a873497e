//! Files the tool writes and reads, in one place, so that every writer follows the same rules:
//!
//! - Reports, failed rows, journals, plans and exports hold personal data: they are created
//!   readable and writable by the owner only (0600).
//! - A file is created new, never through a link: `O_CREAT|O_EXCL|O_NOFOLLOW` when nothing is
//!   at its path, or a temporary file beside it renamed over an existing regular file (so the
//!   directory entry is replaced, and a hard link to it elsewhere is left alone). A path that
//!   holds anything but a regular file (a symbolic link, a device, a FIFO, a directory) is
//!   refused with its name.
//! - Appending (a resumed journal or failed-rows file) opens with `O_NOFOLLOW` and requires a
//!   regular file owned by this user.
//! - Files read whole (journals, plans, state) must be regular files, so that `/dev/zero` or a
//!   FIFO cannot make the tool read forever; lines are read with a length limit.
//!
//! [`check_outputs`] runs before the first write of every command: it also refuses an output
//! that is the same file as an input or another output, and a folder that cannot be written.

mod lock;
mod outputs;
pub(crate) mod shell;

pub use lock::{Lock, lock, lock_path};
pub use outputs::check_outputs;

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, Read};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Why a file was refused.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{path} is {what}, not a regular file: refused")]
    NotRegular { path: String, what: &'static str },
    #[error("{path} belongs to another user (uid {uid}): refusing to append to it")]
    NotOwned { path: String, uid: u32 },
    #[error("{a} and {b} are the same file: refusing to overwrite it; choose another path")]
    Same { a: String, b: String },
    #[error("cannot write in the folder {dir} (for {path}): {error}")]
    NotWritable {
        dir: String,
        path: String,
        error: io::Error,
    },
    #[error(
        "{path} is in use by another cognito-bulk run ({holder}); wait for it to finish, or use another file"
    )]
    Locked { path: String, holder: String },
    #[error("{path}: a line longer than {max} bytes (line {line}): not a file this tool wrote")]
    LineTooLong { path: String, line: u64, max: usize },
    #[error("{path}: {error}")]
    Io { path: String, error: io::Error },
}

impl FileError {
    fn io(path: &Path, error: io::Error) -> FileError {
        FileError::Io {
            path: path.display().to_string(),
            error,
        }
    }
}

impl From<FileError> for io::Error {
    fn from(e: FileError) -> io::Error {
        match e {
            FileError::Io { error, .. } => error,
            other => io::Error::other(other),
        }
    }
}

/// What kind of thing a non-regular file is, for messages.
fn kind_of(ft: std::fs::FileType) -> &'static str {
    if ft.is_symlink() {
        "a symbolic link"
    } else if ft.is_dir() {
        "a directory"
    } else if ft.is_char_device() || ft.is_block_device() {
        "a device"
    } else if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

/// Refuses `path` if something other than a regular file is there (a link is not followed).
/// Returns whether a regular file is there.
pub fn refuse_non_regular(path: &Path) -> Result<bool, FileError> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_file() => Ok(true),
        Ok(m) => Err(FileError::NotRegular {
            path: path.display().to_string(),
            what: kind_of(m.file_type()),
        }),
        // Nothing there (or a "folder" that is a file: the folder check will say so).
        Err(e)
            if e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(libc::ENOTDIR) =>
        {
            Ok(false)
        }
        Err(e) => Err(FileError::io(path, e)),
    }
}

/// The folder `path` is in ("." for a bare name).
pub fn folder(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Creates `path` new with mode 0600, never through a link: an existing regular file is
/// replaced by a new one (renamed over it), anything else is refused.
pub fn create_private(path: &Path) -> io::Result<File> {
    if !refuse_non_regular(path)? {
        let created = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path);
        match created {
            Ok(file) => return Ok(file),
            // Something appeared meanwhile: refuse it by name if it is not a regular file.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                refuse_non_regular(path)?;
            }
            Err(e) => return Err(e),
        }
    }
    let tmp = tempfile::Builder::new()
        .prefix(".cognito-bulk-")
        .tempfile_in(folder(path))?;
    tmp.persist(path).map_err(|e| e.error)
}

/// Opens an existing file to append to it (a resumed journal or failed-rows file): no link is
/// followed, and it must be a regular file owned by this user. Its mode is tightened to 0600.
pub fn append_private(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .append(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| refused_link(path, e))?;
    let meta = file.metadata()?;
    if !meta.file_type().is_file() {
        return Err(FileError::NotRegular {
            path: path.display().to_string(),
            what: kind_of(meta.file_type()),
        }
        .into());
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(FileError::NotOwned {
            path: path.display().to_string(),
            uid: meta.uid(),
        }
        .into());
    }
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    Ok(file)
}

/// `O_NOFOLLOW` on a link fails with ELOOP: say what was refused instead.
fn refused_link(path: &Path, e: io::Error) -> io::Error {
    link_or_io(path, e).into()
}

fn link_or_io(path: &Path, e: io::Error) -> FileError {
    if e.raw_os_error() == Some(libc::ELOOP) {
        return FileError::NotRegular {
            path: path.display().to_string(),
            what: "a symbolic link",
        };
    }
    FileError::io(path, e)
}

/// Writes `bytes` to `path` atomically: a private temporary file beside it, renamed over it.
/// A path that holds anything but a regular file is refused.
pub fn write_private_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    refuse_non_regular(path)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".cognito-bulk-")
        .tempfile_in(folder(path))?;
    io::Write::write_all(&mut tmp, bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Opens a file to read, refusing anything but a regular file (a device such as `/dev/zero`
/// or a FIFO would be read forever, or block). Links are followed: reading through one is
/// harmless.
pub fn open_regular(path: &Path) -> Result<File, FileError> {
    // O_NONBLOCK: opening a FIFO without a writer returns at once instead of hanging; it has
    // no effect on regular files.
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| FileError::io(path, e))?;
    let meta = file.metadata().map_err(|e| FileError::io(path, e))?;
    if !meta.file_type().is_file() {
        return Err(FileError::NotRegular {
            path: path.display().to_string(),
            what: kind_of(meta.file_type()),
        });
    }
    Ok(file)
}

/// Reads a small file whole (at most `max` bytes), refusing anything but a regular file.
pub fn read_small(path: &Path, max: u64) -> Result<Vec<u8>, FileError> {
    let mut bytes = Vec::new();
    open_regular(path)?
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| FileError::io(path, e))?;
    if bytes.len() as u64 > max {
        return Err(FileError::LineTooLong {
            path: path.display().to_string(),
            line: 1,
            max: max as usize,
        });
    }
    Ok(bytes)
}

/// Reads one line (with its `\n`) into `buf`, like `read_until`, but stops with an error
/// once the line exceeds `max` bytes. Returns the bytes read (0 at the end).
pub fn read_line_bounded(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> io::Result<usize> {
    let start = buf.len();
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            return Ok(buf.len() - start);
        }
        let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        if buf.len() - start + take > max {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "line too long"));
        }
        buf.extend_from_slice(&chunk[..take]);
        reader.consume(take);
        if done {
            return Ok(buf.len() - start);
        }
    }
}

/// The hex SHA-256 of a regular file's bytes.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    io::copy(&mut open_regular(path)?, &mut hasher)?;
    Ok(hex::encode(hasher.finalize()))
}

/// `INPUT.report.json`-style names beside the input: `suffix` is appended to the whole file
/// name, so that two inputs (`x.csv`, `x.jsonl`, `x.plan`) never share a derived name.
/// Standard input and other streams give `stdin.SUFFIX` in the current directory.
pub fn beside_input(input: &Path, suffix: &str) -> PathBuf {
    // A stream (`-`, `/dev/stdin`, `<(...)`, a FIFO) has no folder of its own to write in.
    let stream = input.as_os_str() == "-"
        || input.starts_with("/dev")
        || input.starts_with("/proc")
        || std::fs::metadata(input).is_ok_and(|m| !m.is_file());
    if stream {
        return PathBuf::from(format!("stdin.{suffix}"));
    }
    let mut name = input.as_os_str().to_os_string();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests;
