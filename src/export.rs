//! `export`: every user of a pool, streamed with ListUsers into CSV or JSONL that `plan` and
//! `apply` read as they are (exporting a pool and planning that file shows no changes).
//!
//! The pagination position is kept beside the output (`OUTPUT.export-state`), written after
//! each page once the page is on disk, so an interrupted export resumes where it stopped:
//! the output is cut back to the last whole page and the next page is asked for.

use std::io::{self, Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::files;
use crate::input::Format;
use crate::pager::Pager;
use crate::pool::{ErrorKind, Pool, User};
use crate::progress::{Progress, Reporter};
use crate::validate::{STANDARD_ATTRIBUTES, check_name};

#[derive(Debug, Clone)]
pub struct ExportOptions {
    pub user_pool_id: String,
    /// The output file, or `-` for standard output (not resumable).
    pub output: PathBuf,
    pub format: Format,
    /// A ListUsers filter, e.g. `email ^= "a"`.
    pub filter: Option<String>,
    /// Add `user_status` and `enabled` (ignored by `apply`).
    pub with_status: bool,
    /// Start over even if an interrupted export of the same output can be resumed.
    pub restart: bool,
    /// Replace a finished export (or any other file) at the output.
    pub force: bool,
}

/// Where an interrupted export stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct State {
    user_pool_id: String,
    filter: Option<String>,
    columns: Vec<String>,
    with_status: bool,
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
}

/// An export refused before it wrote anything (a setup error, exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(String);

/// The attribute columns: the requested ones, or every standard attribute and the pool's
/// custom ones. `sub` and other read-only attributes are left out: they cannot be applied.
pub fn columns(requested: Option<&[String]>, custom: &[String]) -> anyhow::Result<Vec<String>> {
    let names: Vec<String> = match requested {
        Some(names) => names.to_vec(),
        None => STANDARD_ATTRIBUTES
            .iter()
            .map(|s| s.to_string())
            .chain(custom.iter().cloned())
            .collect(),
    };
    for name in &names {
        if let Err(why) = check_name(name) {
            bail!("--attributes: {name} {why}");
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
    let fresh = State {
        user_pool_id: opts.user_pool_id.clone(),
        filter: opts.filter.clone(),
        columns: columns.clone(),
        with_status: opts.with_status,
        token: None,
        users: 0,
        bytes: 0,
        done: false,
    };
    let mut state = fresh.clone();
    let mut summary = ExportSummary::default();
    if !to_stdout && !opts.restart && state_file.exists() {
        let old: State = serde_json::from_slice(&files::read_small(&state_file, 1 << 20)?)
            .with_context(|| format!("{}: unreadable export state", state_file.display()))?;
        let same = State {
            token: None,
            users: 0,
            bytes: 0,
            done: false,
            ..old.clone()
        } == fresh;
        if !same {
            return Err(Refused(format!(
                "{} belongs to an export with other options; pass --restart to start over",
                state_file.display()
            ))
            .into());
        }
        if !old.done {
            summary.resumed_at = Some(old.users);
            state = old;
        }
    }
    // A finished export is a backup: replacing it takes --force.
    let unfinished = || {
        std::fs::read(&state_file)
            .ok()
            .and_then(|b| serde_json::from_slice::<State>(&b).ok())
            .is_some_and(|s| !s.done)
    };
    if !to_stdout
        && summary.resumed_at.is_none()
        && !opts.force
        && opts.output.exists()
        && !(opts.restart && unfinished())
    {
        return Err(Refused(format!(
            "{} exists (a finished export, or another file): pass --force to replace it, \
             or choose another --output",
            opts.output.display()
        ))
        .into());
    }
    // Resuming needs the pages already written: a shortened or missing output would leave a
    // gap (set_len would fill it with zeros).
    let on_disk = std::fs::symlink_metadata(&opts.output).map_or(None, |m| Some(m.len()));
    if summary.resumed_at.is_some() && on_disk.is_none_or(|len| len < state.bytes) {
        return Err(Refused(format!(
            "{} is {} the {} bytes the interrupted export wrote: it cannot be resumed; \
             pass --restart to start over",
            opts.output.display(),
            if on_disk.is_some() {
                "shorter than"
            } else {
                "missing, not"
            },
            state.bytes
        ))
        .into());
    }
    let mut out: Box<dyn Write> = if to_stdout {
        Box::new(io::stdout().lock())
    } else if summary.resumed_at.is_some() {
        // No link is followed; it must be this user's regular file.
        let mut file = files::append_private(&opts.output)
            .with_context(|| format!("resuming {}", opts.output.display()))?;
        // Cut back to the last whole page.
        file.set_len(state.bytes)?;
        file.seek(io::SeekFrom::End(0))?;
        Box::new(file)
    } else {
        Box::new(
            files::create_private(&opts.output)
                .with_context(|| format!("creating {}", opts.output.display()))?,
        )
    };
    let writer = Writer::new(opts.format, &columns, opts.with_status);
    let mut buf = Vec::new();
    if summary.resumed_at.is_none() {
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
        for user in &page.users {
            writer.user(&mut buf, user)?;
        }
        out.write_all(&buf)?;
        out.flush()?;
        state.bytes += buf.len() as u64;
        buf.clear();
        state.users += page.users.len() as u64;
        state.token = page.next.clone();
        state.done = state.token.is_none();
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
    Ok(summary)
}

/// Formats users as CSV or JSONL.
struct Writer<'a> {
    format: Format,
    columns: &'a [String],
    with_status: bool,
}

impl<'a> Writer<'a> {
    fn new(format: Format, columns: &'a [String], with_status: bool) -> Self {
        Writer {
            format,
            columns,
            with_status,
        }
    }

    fn header(&self, out: &mut Vec<u8>) -> io::Result<()> {
        if self.format != Format::Csv {
            return Ok(());
        }
        let mut w = csv::Writer::from_writer(out);
        let mut names: Vec<&str> = vec!["username"];
        names.extend(self.columns.iter().map(String::as_str));
        if self.with_status {
            names.extend(["user_status", "enabled"]);
        }
        w.write_record(&names)?;
        w.flush()
    }

    fn user(&self, out: &mut Vec<u8>, user: &User) -> io::Result<()> {
        let value = |name: &str| user.attribute(name);
        let status = user.status.clone().unwrap_or_default();
        let enabled = user.enabled.unwrap_or(true).to_string();
        match self.format {
            Format::Csv => {
                let mut w = csv::Writer::from_writer(out);
                let mut record: Vec<&str> = vec![user.username.as_str()];
                record.extend(self.columns.iter().map(|c| value(c).unwrap_or("")));
                if self.with_status {
                    record.extend([status.as_str(), enabled.as_str()]);
                }
                w.write_record(&record)?;
                w.flush()
            }
            Format::Jsonl | Format::Plan => {
                let attributes: serde_json::Map<String, serde_json::Value> = self
                    .columns
                    .iter()
                    .filter_map(|c| Some((c.clone(), value(c)?.into())))
                    .collect();
                let mut line = serde_json::json!({
                    "username": user.username.as_str(),
                    "attributes": attributes,
                });
                if self.with_status {
                    line["user_status"] = status.into();
                    line["enabled"] = user.enabled.unwrap_or(true).into();
                }
                serde_json::to_writer(&mut *out, &line)?;
                out.push(b'\n');
                Ok(())
            }
        }
    }
}
