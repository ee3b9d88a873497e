//! The check every command makes on its output paths before its first write: no output may
//! be a link, a device or anything but a regular file; none may be the same file as an input
//! or another output (an `--failed users.csv` would destroy the input); and each one's folder
//! must be writable (found now, not after every row was sent).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::{FileError, folder, refuse_non_regular};

/// What makes two paths the same file: the device and inode of an existing file, or, for a
/// file that does not exist yet, its folder (resolved) and name.
#[derive(Debug, PartialEq, Eq)]
enum Identity {
    Inode(u64, u64),
    Path(PathBuf),
}

fn identity(path: &Path) -> Option<Identity> {
    if let Ok(m) = std::fs::metadata(path) {
        return Some(Identity::Inode(m.dev(), m.ino()));
    }
    let dir = std::fs::canonicalize(folder(path)).ok()?;
    Some(Identity::Path(dir.join(path.file_name()?)))
}

/// Checks `outputs` (each with the flag or role that names it in messages, e.g. `--report`)
/// against each other and against `inputs`, before anything is written. An input of `-`
/// (standard input) or one that does not exist is not compared (reading it will say why).
pub fn check_outputs(inputs: &[(&str, &Path)], outputs: &[(&str, &Path)]) -> Result<(), FileError> {
    let named = |role: &str, p: &Path| format!("{role} {}", p.display());
    let mut seen: Vec<(String, Identity)> = Vec::new();
    for (role, path) in inputs {
        if path.as_os_str() == "-" {
            continue;
        }
        if let Ok(m) = std::fs::metadata(path) {
            seen.push((named(role, path), Identity::Inode(m.dev(), m.ino())));
        }
    }
    for (role, path) in outputs {
        refuse_non_regular(path)?;
        writable(path)?;
        let Some(id) = identity(path) else { continue };
        if let Some((other, _)) = seen.iter().find(|(_, seen)| *seen == id) {
            return Err(FileError::Same {
                a: named(role, path),
                b: other.clone(),
            });
        }
        seen.push((named(role, path), id));
    }
    Ok(())
}

/// Whether a new file can be made in `path`'s folder: tried for real (a temporary file made
/// and removed), which also catches read-only file systems and missing folders.
fn writable(path: &Path) -> Result<(), FileError> {
    let dir = folder(path);
    tempfile::Builder::new()
        .prefix(".cognito-bulk-check-")
        .tempfile_in(dir)
        .map(drop)
        .map_err(|error| FileError::NotWritable {
            dir: dir.display().to_string(),
            path: path.display().to_string(),
            error,
        })
}
