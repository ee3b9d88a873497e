//! `export --with-groups`: every user's groups, read per group rather than per user:
//! ListGroups, then ListUsersInGroup for every group (60 members a page, paced as ListUsers
//! pages are), so a pool costs one call per group and per 60 memberships, not one per user.
//!
//! The read comes before the first ListUsers page (a user's row needs all its groups) and is
//! saved beside the output, one group at a time (`OUTPUT.export-groups`: a header line, then
//! one line per group whose members are all read, then a last line once every group is), so
//! an interrupted export resumes its membership read at the first group not saved, and a
//! resume during the pages loads the saved membership instead of reading it again: every
//! page of one export uses one reading of the membership. The file is removed once the
//! export is finished.
//!
//! Memory: the map holds one entry per user *in a group* (its name and its groups' numbers),
//! so it grows with the memberships, not with the pool: users in no group cost nothing.

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::Refused;
use crate::cognito::pacing::{RateControl, RetryPolicy};
use crate::cognito::{CallError, Pool, groups};
use crate::files;

/// The `kind` of the saved membership's first line (how other commands tell the file apart).
pub const KIND: &str = "cognito-bulk export groups";

/// Every group's members, by member.
#[derive(Debug, Default)]
pub struct Membership {
    groups: Vec<String>,
    of: HashMap<String, Vec<u32>>,
}

impl Membership {
    /// The groups `username` is in, sorted by name.
    pub fn of(&self, username: &str) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .of
            .get(username)
            .map(|ids| {
                ids.iter()
                    .map(|&i| self.groups[i as usize].as_str())
                    .collect()
            })
            .unwrap_or_default();
        names.sort_unstable();
        names
    }

    /// How many groups, and how many memberships (a user in two groups counts twice).
    pub fn size(&self) -> (usize, usize) {
        (self.groups.len(), self.of.values().map(Vec::len).sum())
    }

    fn add(&mut self, group: &str, members: Vec<String>) {
        let id = self.groups.len() as u32;
        self.groups.push(group.to_string());
        for member in members {
            self.of.entry(member).or_default().push(id);
        }
    }
}

/// One line of the saved membership.
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
enum Line {
    Header { kind: String, user_pool_id: String },
    Group { group: String, members: Vec<String> },
    Complete { complete: usize },
}

/// Where `export --output PATH --with-groups` saves the membership it read.
pub fn path(output: &Path) -> PathBuf {
    PathBuf::from(format!("{}.export-groups", output.display()))
}

/// The membership of every group: loaded from `saved` when resuming (and completed there if
/// the read was interrupted), else read afresh (saved there unless `saved` is None:
/// standard output). None when `stop` interrupted it: what was read is saved.
pub async fn read<P: Pool>(
    pool: &P,
    user_pool_id: &str,
    saved: Option<&Path>,
    resuming: bool,
    stop: &CancellationToken,
) -> anyhow::Result<Option<Membership>> {
    match read_all(pool, user_pool_id, saved, resuming, stop).await {
        Err(_) if stop.is_cancelled() => Ok(None),
        read => read.map(Some),
    }
}

async fn read_all<P: Pool>(
    pool: &P,
    user_pool_id: &str,
    saved: Option<&Path>,
    resuming: bool,
    stop: &CancellationToken,
) -> anyhow::Result<Membership> {
    let mut membership = Membership::default();
    let mut file = match saved {
        None => None,
        // A file of no length: created, then the process died before its header.
        Some(path) if resuming && std::fs::metadata(path).is_ok_and(|m| m.len() > 0) => {
            if load(path, user_pool_id, &mut membership)? {
                return Ok(membership);
            }
            Some(files::append_private(path).with_context(|| format!("{}", path.display()))?)
        }
        Some(path) => Some(create(path, user_pool_id)?),
    };
    let rate = RateControl::new(pool.list_pages_per_second());
    let policy = RetryPolicy::default();
    let names: Vec<String> = groups::names(pool, &rate, &policy, stop)
        .await
        .map_err(|e| anyhow::anyhow!("ListGroups: {e}"))?
        .into_iter()
        .collect();
    let saved: BTreeSet<String> = membership.groups.iter().cloned().collect();
    for group in names.iter().filter(|g| !saved.contains(*g)) {
        // A group deleted since ListGroups listed it has no members.
        let members = match groups::members(pool, group, &rate, &policy, stop).await {
            Ok(members) => members,
            Err(CallError { code, .. }) if code == "ResourceNotFoundException" => Vec::new(),
            Err(e) => bail!("ListUsersInGroup {group}: {e}"),
        };
        if let Some(file) = file.as_mut() {
            // A `Line::Group`, written from borrowed names (a group may be large).
            #[derive(Serialize)]
            struct GroupLine<'a> {
                group: &'a str,
                members: &'a [String],
            }
            write_line(
                file,
                &GroupLine {
                    group,
                    members: &members,
                },
            )?;
        }
        membership.add(group, members);
        if stop.is_cancelled() {
            bail!(crate::cognito::pager::interrupted());
        }
    }
    if let Some(file) = file.as_mut() {
        write_line(
            file,
            &Line::Complete {
                complete: names.len(),
            },
        )?;
    }
    Ok(membership)
}

/// A new membership file with its header; a file there that is not one is refused.
fn create(path: &Path, user_pool_id: &str) -> anyhow::Result<std::fs::File> {
    let ours = || first_kind(path).as_deref() == Some(KIND);
    let empty = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file() && m.len() == 0);
    if std::fs::symlink_metadata(path).is_ok() && !empty && !ours() {
        return Err(Refused(format!(
            "{} exists and is not the membership an export saved: it is not replaced; move it \
             away or choose another --output",
            path.display()
        ))
        .into());
    }
    let mut file =
        files::create_private(path).with_context(|| format!("creating {}", path.display()))?;
    let header = Line::Header {
        kind: KIND.to_string(),
        user_pool_id: user_pool_id.to_string(),
    };
    write_line(&mut file, &header)?;
    Ok(file)
}

fn first_kind(path: &Path) -> Option<String> {
    let file = std::fs::File::open(path).ok()?;
    let mut first = String::new();
    BufReader::new(std::io::Read::take(file, 64 * 1024))
        .read_line(&mut first)
        .ok()?;
    match serde_json::from_str(first.trim_end()).ok()? {
        Line::Header { kind, .. } => Some(kind),
        _ => None,
    }
}

/// One line, in one write (a crash leaves at most a torn last line, which a resume drops).
fn write_line(file: &mut std::fs::File, line: &impl Serialize) -> anyhow::Result<()> {
    let mut bytes = serde_json::to_vec(line)?;
    bytes.push(b'\n');
    file.write_all(&bytes)
        .and_then(|()| file.flush())
        .context("saving the group membership")
}

/// Loads the saved membership into `into`; returns whether it is complete. A torn last line
/// (a crash while writing it) is cut off, so that group is read again.
fn load(path: &Path, user_pool_id: &str, into: &mut Membership) -> anyhow::Result<bool> {
    let unreadable = |why: &str| {
        Refused(format!(
            "{}: {why}: the export cannot be resumed; pass --restart to start over",
            path.display()
        ))
    };
    let mut reader = BufReader::new(files::open_regular(path)?);
    let (mut whole, mut first, mut complete) = (0u64, true, false);
    loop {
        let mut text = String::new();
        let read = reader
            .read_line(&mut text)
            .with_context(|| format!("reading {}", path.display()))?;
        if read == 0 || !text.ends_with('\n') {
            break;
        }
        let line: Line =
            serde_json::from_str(&text).map_err(|_| unreadable("a line is not JSON"))?;
        match (first, line) {
            (
                true,
                Line::Header {
                    kind,
                    user_pool_id: id,
                },
            ) if kind == KIND && id == user_pool_id => {}
            (true, _) => return Err(unreadable("not the membership of this export").into()),
            (false, Line::Group { group, members }) => into.add(&group, members),
            (false, Line::Complete { .. }) => complete = true,
            (false, Line::Header { .. }) => return Err(unreadable("a second header").into()),
        }
        first = false;
        whole += read as u64;
    }
    if first {
        return Err(unreadable("no header").into());
    }
    // Cut back to the last whole line before appending.
    let file = files::append_private(path).with_context(|| format!("{}", path.display()))?;
    file.set_len(whole)?;
    Ok(complete)
}
