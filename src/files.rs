//! Files the tool writes: reports, failed rows and journals hold personal data, so they are
//! created readable and writable by the owner only.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Creates (or truncates) `path` with mode 0600, tightening the mode of a file that was there.
pub fn create_private(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    // `mode` applies only to files that did not exist yet.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    Ok(file)
}

/// Opens `path` for appending, creating it with mode 0600 if needed.
pub fn append_private(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    Ok(file)
}

/// Writes `bytes` to `path` atomically: a private temporary file beside it, renamed over it.
pub fn write_private_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    io::Write::write_all(&mut tmp, bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The hex SHA-256 of a file's bytes.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    io::copy(&mut File::open(path)?, &mut hasher)?;
    Ok(hex::encode(hasher.finalize()))
}

/// `INPUT.report.json`-style names beside the input: `suffix` is appended to the whole file
/// name, so that two inputs (`x.csv`, `x.jsonl`, `x.plan`) never share a derived name.
/// Standard input gives names in the current directory.
pub fn beside_input(input: &Path, suffix: &str) -> PathBuf {
    if input.as_os_str() == "-" {
        return PathBuf::from(format!("stdin.{suffix}"));
    }
    let mut name = input.as_os_str().to_os_string();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_modes() {
        assert_eq!(
            beside_input(Path::new("dir/users.csv"), "report.json"),
            PathBuf::from("dir/users.csv.report.json")
        );
        assert_eq!(
            beside_input(Path::new("-"), "failed.csv"),
            PathBuf::from("stdin.failed.csv")
        );
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        std::fs::write(&p, "old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        create_private(&p).unwrap();
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let q = dir.path().join("y");
        write_private_atomic(&q, b"hi").unwrap();
        assert_eq!(
            std::fs::metadata(&q).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}
