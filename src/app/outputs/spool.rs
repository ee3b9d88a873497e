//! A stream input (standard input, a FIFO, `/dev/stdin`, a shell's `<(...)`) copied beside
//! the plan made of it, owner-only and created new, so that `apply --plan` can check the plan's
//! input has not changed since: a stream cannot be read a second time.

use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// Whether `input` is a stream rather than a file that can be read again: standard input
/// (`-`), a FIFO, a character device, `/dev/stdin`, a shell's `<(...)`. A folder is not one
/// (reading it fails, naming it).
pub fn is_stream(input: &Path) -> bool {
    input.as_os_str() == "-" || std::fs::metadata(input).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Where the copy of a stream input planned into `plan` is kept: `PLAN.input`.
pub fn copy_path(plan: &Path) -> PathBuf {
    PathBuf::from(format!("{}.input", plan.display()))
}

/// Refuses, before anything is written, a file in the way of the copy that is not this
/// plan's own earlier copy (the input its plan file records) and not empty: whatever it
/// holds (an export, a journal, another run's input, notes) is not the tool's to replace.
pub fn check_copy(plan: &Path) -> anyhow::Result<()> {
    let copy = copy_path(plan);
    let Ok(meta) = std::fs::symlink_metadata(&copy) else {
        return Ok(());
    };
    if !meta.file_type().is_file() {
        anyhow::bail!(
            "{} is a link or not a regular file: the copy of the stream input is kept there;              write the plan elsewhere with --out",
            copy.display()
        );
    }
    let own = crate::plan::file::read_header(plan)
        .ok()
        .and_then(|h| h.input_file())
        .zip(std::fs::canonicalize(&copy).ok())
        .is_some_and(|(recorded, copy)| recorded == copy);
    if meta.len() > 0 && !own {
        anyhow::bail!(
            "{} is in the way: the copy of the stream input is kept there, and it is not an              earlier copy for {}; it is not replaced: write the plan elsewhere with --out",
            copy.display(),
            plan.display()
        );
    }
    Ok(())
}

/// Copies a stream input (standard input for `-`, see [`is_stream`]) to `PLAN.input`
/// (owner-only, created new): the plan's input, kept so that `apply --plan` can check it has
/// not changed. [`check_copy`] has allowed what is in the way, if anything.
pub fn spool_stdin(plan: &Path, input: &Path) -> anyhow::Result<PathBuf> {
    check_copy(plan)?;
    let copy = copy_path(plan);
    if std::fs::symlink_metadata(&copy).is_ok_and(|m| m.file_type().is_file()) {
        std::fs::remove_file(&copy).with_context(|| format!("replacing {}", copy.display()))?;
    }
    let mut from: Box<dyn io::Read> = match input.as_os_str() == "-" {
        true => Box::new(io::stdin().lock()),
        false => Box::new(
            std::fs::File::open(input).with_context(|| format!("opening {}", input.display()))?,
        ),
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&copy)
        .with_context(|| format!("creating {}", copy.display()))?;
    io::copy(&mut from, &mut file)
        .and_then(|_| file.flush())
        .with_context(|| format!("copying {} to {}", name(input), copy.display()))?;
    Ok(copy)
}

/// How a message names an input: `-` is standard input.
fn name(input: &Path) -> String {
    match input.as_os_str() == "-" {
        true => "standard input".into(),
        false => input.display().to_string(),
    }
}
