//! `export`: every user of a pool, streamed with ListUsers into CSV or JSONL that `plan` and
//! `apply` read as they are (exporting a pool and planning that file shows no changes).
//!
//! The pagination position is kept beside the output (`OUTPUT.export-state`), written after
//! each page once the page is on disk, so an interrupted export resumes where it stopped:
//! the output is cut back to the last whole page and the next page is asked for.

use std::fs::OpenOptions;
use std::io::{self, Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::types::UserType;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::files;
use crate::input::Format;
use crate::progress::{Progress, Reporter};
use crate::sender::{ErrorKind, RateControl, RetryPolicy, retrying};
use crate::validate::{STANDARD_ATTRIBUTES, check_name};

/// ListUsers pages per second: under the UserList quota of 30/s.
const PAGES_PER_SECOND: f64 = 20.0;

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

fn state_path(output: &Path) -> PathBuf {
    PathBuf::from(format!("{}.export-state", output.display()))
}

pub async fn run(
    client: &Client,
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
        let old: State = serde_json::from_slice(&std::fs::read(&state_file)?)
            .with_context(|| format!("{}: unreadable export state", state_file.display()))?;
        let same = State {
            token: None,
            users: 0,
            bytes: 0,
            done: false,
            ..old.clone()
        } == fresh;
        if !same {
            bail!(
                "{} belongs to an export with other options; pass --restart to start over",
                state_file.display()
            );
        }
        if !old.done {
            summary.resumed_at = Some(old.users);
            state = old;
        }
    }
    let mut out: Box<dyn Write> = if to_stdout {
        Box::new(io::stdout().lock())
    } else if summary.resumed_at.is_some() {
        let mut file = OpenOptions::new().write(true).open(&opts.output)?;
        // Cut back to the last whole page.
        file.set_len(state.bytes)?;
        file.seek(io::SeekFrom::End(0))?;
        Box::new(file)
    } else {
        Box::new(files::create_private(&opts.output)?)
    };
    let writer = Writer::new(opts.format, &columns, opts.with_status);
    let mut buf = Vec::new();
    if summary.resumed_at.is_none() {
        writer.header(&mut buf)?;
    }
    let rate = RateControl::new(PAGES_PER_SECOND);
    let policy = RetryPolicy::default();
    reporter.started(estimate.max(state.users));
    loop {
        let page = retrying(&rate, &policy, || {
            client
                .list_users()
                .user_pool_id(&opts.user_pool_id)
                .limit(60)
                .set_filter(opts.filter.clone())
                .set_pagination_token(state.token.clone())
                .send()
        })
        .await;
        let page = match page {
            Ok(p) => p,
            Err(e) if state.token.is_some() && e.kind == ErrorKind::Row => bail!(
                "the saved pagination position was refused ({}: {}): start over with --restart",
                e.code,
                e.message
            ),
            Err(e) => bail!("ListUsers on {}: {e}", opts.user_pool_id),
        };
        for user in page.users() {
            writer.user(&mut buf, user)?;
        }
        out.write_all(&buf)?;
        out.flush()?;
        state.bytes += buf.len() as u64;
        buf.clear();
        state.users += page.users().len() as u64;
        state.token = page.pagination_token().map(str::to_string);
        state.done = state.token.is_none();
        summary.pages += 1;
        if !to_stdout {
            files::write_private_atomic(&state_file, &serde_json::to_vec(&state)?)?;
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

    fn user(&self, out: &mut Vec<u8>, user: &UserType) -> io::Result<()> {
        // A blank value is no value (Cognito never holds one; some emulators do).
        let value = |name: &str| {
            user.attributes()
                .iter()
                .find(|a| a.name() == name)
                .and_then(|a| a.value())
                .filter(|v| !v.is_empty())
        };
        let status = user
            .user_status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default();
        let enabled = user.enabled().to_string();
        match self.format {
            Format::Csv => {
                let mut w = csv::Writer::from_writer(out);
                let mut record: Vec<&str> = vec![user.username().unwrap_or("")];
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
                    "username": user.username().unwrap_or(""),
                    "attributes": attributes,
                });
                if self.with_status {
                    line["user_status"] = status.into();
                    line["enabled"] = user.enabled().into();
                }
                serde_json::to_writer(&mut *out, &line)?;
                out.push(b'\n');
                Ok(())
            }
        }
    }
}
