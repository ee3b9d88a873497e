//! `export`: every user of a pool, streamed with ListUsers into CSV or JSONL that `plan` and
//! `apply` read as they are (exporting a pool and planning that file shows no changes).
//!
//! The pagination position is kept beside the output (`OUTPUT.export-state`), written after
//! each page once the page is on disk, so an interrupted export resumes where it stopped:
//! the output is cut back to the last whole page and the next page is asked for.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::cognito::pager::Pager;
use crate::cognito::rules::{STANDARD_ATTRIBUTES, check_name};
use crate::cognito::{ErrorKind, Pool};
use crate::files;
use crate::progress::{Progress, Reporter};
use crate::rows::input::Format;

pub mod groups;
mod start;
mod writer;

use writer::Writer;

#[derive(Debug, Clone)]
pub struct ExportOptions {
    pub user_pool_id: String,
    /// The output file, or `-` for standard output (not resumable).
    pub output: PathBuf,
    pub format: Format,
    /// A ListUsers filter, e.g. `email ^= "a"`.
    pub filter: Option<String>,
    /// Add `user_status` (ignored by `apply`) and `enabled`.
    pub with_status: bool,
    /// Add `groups`: each user's full set of groups (see `groups.rs`).
    pub with_groups: bool,
    /// Start over even if an interrupted export of the same output can be resumed.
    pub restart: bool,
    /// Replace a finished export (or any other file) at the output.
    pub force: bool,
}

/// Where an interrupted export stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct State {
    user_pool_id: String,
    filter: Option<String>,
    columns: Vec<String>,
    with_status: bool,
    /// Absent from the states of exports made before `--with-groups` existed.
    #[serde(default)]
    with_groups: bool,
    token: Option<String>,
    users: u64,
    bytes: u64,
    done: bool,
}

#[derive(Debug, Default)]
pub struct ExportSummary {
    pub users: u64,
    pub pages: u64,
    pub resumed_at: Option<u64>,
    pub stopped: bool,
    /// With `--with-groups`: the groups and memberships the `groups` column was written from.
    pub groups: Option<(usize, usize)>,
}

/// An export refused before it wrote anything (a setup error, exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub(crate) String);

/// The attribute columns: the requested ones, or every standard attribute and the pool's
/// custom ones (`custom`: None when DescribeUserPool was denied). `sub` and other read-only
/// attributes are left out: they cannot be applied. A requested custom attribute the pool does
/// not define is refused: its column would be empty, a backup that silently lacks the data.
pub fn columns(
    requested: Option<&[String]>,
    custom: Option<&[String]>,
) -> anyhow::Result<Vec<String>> {
    let names: Vec<String> = match requested {
        Some(names) => names.to_vec(),
        None => STANDARD_ATTRIBUTES
            .iter()
            .map(|s| s.to_string())
            .chain(custom.unwrap_or_default().iter().cloned())
            .collect(),
    };
    for name in &names {
        if let Err(why) = check_name(name) {
            bail!("--attributes: {name} {why}");
        }
        if let Some(custom) = custom
            && name.starts_with("custom:")
            && !custom.contains(name)
        {
            bail!(
                "--attributes: {name}: the user pool does not define it (its custom attributes: {})",
                if custom.is_empty() {
                    "none".to_string()
                } else {
                    custom.join(", ")
                }
            );
        }
    }
    Ok(names)
}

pub fn state_path(output: &Path) -> PathBuf {
    PathBuf::from(format!("{}.export-state", output.display()))
}

pub async fn run<P: Pool>(
    pool: &P,
    opts: &ExportOptions,
    columns: Vec<String>,
    estimate: u64,
    reporter: &dyn Reporter,
    stop: &CancellationToken,
) -> anyhow::Result<ExportSummary> {
    let to_stdout = opts.output.as_os_str() == "-";
    let state_file = state_path(&opts.output);
    // 1. Where to start: a fresh export, or the position an interrupted one saved.
    let (mut state, resumed_at) = start::start_or_resume(opts, &columns, &state_file)?;
    let mut summary = ExportSummary {
        resumed_at,
        ..ExportSummary::default()
    };
    // 2. The output: created new, or cut back to the last whole page.
    let mut out = start::open_output(opts, &state, resumed_at.is_some())?;
    // 3. With `--with-groups`, the membership: read (and saved) before the first page, as
    //    every row needs it whole; a resume loads what was saved.
    let membership = match opts.with_groups {
        false => None,
        true => match membership(pool, opts, &state, &state_file, resumed_at, stop).await? {
            Some(m) => Some(m),
            None => {
                summary.stopped = true;
                return Ok(summary);
            }
        },
    };
    summary.groups = membership.as_ref().map(groups::Membership::size);
    // 4. Page after page: written, then the position saved, so a resume loses nothing.
    let writer = Writer::new(opts.format, &columns, opts.with_status, membership.as_ref());
    let mut buf = Vec::new();
    if state.bytes == 0 {
        writer.header(&mut buf)?;
    }
    reporter.started(estimate.max(state.users));
    // Interrupts are checked between pages, once the page is on disk.
    let mut pages = Pager::new(pool, opts.filter.clone(), state.token.clone());
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(p) => p,
            Err(e) if state.token.is_some() && e.kind == ErrorKind::Row => bail!(
                "the saved pagination position was refused ({}: {}): start over with --restart",
                e.code,
                e.message
            ),
            Err(e) => bail!("ListUsers on {}: {e}", opts.user_pool_id),
        };
        save_page(&writer, &mut buf, &page, &mut out, &mut state)?;
        summary.pages += 1;
        if !to_stdout {
            files::write_private_atomic(&state_file, &serde_json::to_vec(&state)?)
                .with_context(|| format!("writing {}", state_file.display()))?;
        }
        reporter.progress(&Progress {
            done: state.users,
            total: estimate.max(state.users),
            unit: "users",
            ..Progress::default()
        });
        if state.done {
            break;
        }
        if stop.is_cancelled() {
            summary.stopped = true;
            break;
        }
    }
    summary.users = state.users;
    reporter.finished();
    if state.done && opts.with_groups && !to_stdout {
        // A finished export is never resumed: its saved membership is no longer needed.
        let _ = std::fs::remove_file(groups::path(&opts.output));
    }
    Ok(summary)
}

/// Writes one page's users to the output, on disk before the position after it is saved.
fn save_page(
    writer: &Writer<'_>,
    buf: &mut Vec<u8>,
    page: &crate::cognito::Page,
    out: &mut impl Write,
    state: &mut State,
) -> anyhow::Result<()> {
    for user in &page.users {
        writer.user(buf, user)?;
    }
    out.write_all(buf)?;
    out.flush()?;
    state.bytes += buf.len() as u64;
    buf.clear();
    state.users += page.users.len() as u64;
    state.token = page.next.clone();
    state.done = state.token.is_none();
    Ok(())
}

/// The membership for `--with-groups`. A fresh export saves its state first (no page yet),
/// so that an export interrupted during the membership read is resumed, not refused as a
/// finished one. None: interrupted.
async fn membership<P: Pool>(
    pool: &P,
    opts: &ExportOptions,
    state: &State,
    state_file: &Path,
    resumed_at: Option<u64>,
    stop: &CancellationToken,
) -> anyhow::Result<Option<groups::Membership>> {
    let to_stdout = opts.output.as_os_str() == "-";
    if !to_stdout && resumed_at.is_none() {
        files::write_private_atomic(state_file, &serde_json::to_vec(state)?)
            .with_context(|| format!("writing {}", state_file.display()))?;
    }
    let saved = groups::path(&opts.output);
    let saved = (!to_stdout).then_some(saved.as_path());
    groups::read(pool, &opts.user_pool_id, saved, resumed_at.is_some(), stop).await
}
