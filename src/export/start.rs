//! Starting an export: fresh, or resumed from the pagination position an interrupted one
//! saved; refusing what would lose a backup or leave a gap; opening the output.

use std::io::{self, Seek, Write};
use std::path::Path;

use anyhow::Context;

use super::{ExportOptions, Refused, State};
use crate::files;

/// The state to start from and, when resuming, how many users were exported before.
pub(super) fn start_or_resume(
    opts: &ExportOptions,
    columns: &[String],
    state_file: &Path,
) -> anyhow::Result<(State, Option<u64>)> {
    let to_stdout = opts.output.as_os_str() == "-";
    let fresh = State {
        user_pool_id: opts.user_pool_id.clone(),
        filter: opts.filter.clone(),
        columns: columns.to_vec(),
        with_status: opts.with_status,
        with_groups: opts.with_groups,
        token: None,
        users: 0,
        bytes: 0,
        done: false,
    };
    let mut state = fresh.clone();
    let mut resumed_at = None;
    if !to_stdout && !opts.restart && state_file.exists() {
        let old: State = serde_json::from_slice(&files::read_small(state_file, 1 << 20)?)
            .with_context(|| format!("{}: unreadable export state", state_file.display()))?;
        let same = State {
            token: None,
            users: 0,
            bytes: 0,
            done: false,
            ..old.clone()
        } == fresh;
        if !same {
            return Err(refused(format!(
                "{} belongs to an export with other options; pass --restart to start over",
                state_file.display()
            )));
        }
        if !old.done {
            resumed_at = Some(old.users);
            state = old;
        }
    }
    if to_stdout {
        return Ok((state, resumed_at));
    }
    // A finished export is a backup: replacing it takes --force.
    let unfinished = || {
        std::fs::read(state_file)
            .ok()
            .and_then(|b| serde_json::from_slice::<State>(&b).ok())
            .is_some_and(|s| !s.done)
    };
    if resumed_at.is_none()
        && !opts.force
        && opts.output.exists()
        && !(opts.restart && unfinished())
    {
        return Err(refused(format!(
            "{} exists (a finished export, or another file): pass --force to replace it, \
             or choose another --output",
            opts.output.display()
        )));
    }
    // Resuming needs the pages already written: a shortened or missing output would leave a
    // gap (set_len would fill it with zeros).
    let on_disk = std::fs::symlink_metadata(&opts.output).map_or(None, |m| Some(m.len()));
    if resumed_at.is_some() && on_disk.is_none_or(|len| len < state.bytes) {
        let how = match on_disk {
            Some(_) => "shorter than",
            None => "missing, not",
        };
        return Err(refused(format!(
            "{} is {how} the {} bytes the interrupted export wrote: it cannot be resumed; \
             pass --restart to start over",
            opts.output.display(),
            state.bytes
        )));
    }
    Ok((state, resumed_at))
}

/// Standard output, the output cut back to the last whole page (resuming), or a new file.
pub(super) fn open_output(
    opts: &ExportOptions,
    state: &State,
    resuming: bool,
) -> anyhow::Result<Box<dyn Write>> {
    if opts.output.as_os_str() == "-" {
        return Ok(Box::new(io::stdout().lock()));
    }
    if resuming {
        // No link is followed; it must be this user's regular file.
        let mut file = files::append_private(&opts.output)
            .with_context(|| format!("resuming {}", opts.output.display()))?;
        file.set_len(state.bytes)?;
        file.seek(io::SeekFrom::End(0))?;
        return Ok(Box::new(file));
    }
    let file = files::create_private(&opts.output)
        .with_context(|| format!("creating {}", opts.output.display()))?;
    Ok(Box::new(file))
}

fn refused(message: String) -> anyhow::Error {
    Refused(message).into()
}
