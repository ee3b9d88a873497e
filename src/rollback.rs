//! `rollback`: a plan that puts back what an apply run changed, built from its journal's
//! before- and after-values and the pool's current values. The plan is then applied by the
//! same engine as `apply --plan` (paced, journaled, resumable, with its own report).
//!
//! An attribute whose current value is no longer what the run wrote was changed by someone
//! else since: the user is a conflict, left alone unless `--force`.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

use anyhow::{Context, bail};
use aws_sdk_cognitoidentityprovider::Client;

use crate::current::{self, Source};
use crate::diff::{AttrDiff, preview_line};
use crate::files;
use crate::journal::{self, Outcome};
use crate::planfile::{self, PlanEntry, PlanHeader, PlanWriter};
use crate::progress::Reporter;
use crate::scan::user_key;

/// What the rollback plan holds.
#[derive(Debug, Default)]
pub struct RollbackSummary {
    pub users: u64,
    pub attributes: u64,
    /// Users left alone: changed by someone else since the run, or gone.
    pub conflicts: Vec<String>,
    /// Users already back at their old values.
    pub already: u64,
    pub preview: Vec<String>,
    pub user_pool_id: String,
}

type Values = BTreeMap<String, Option<String>>;

/// Writes the rollback plan of the run recorded in `journal` to `out`.
pub async fn make_plan(
    client: &Client,
    journal_path: &Path,
    out: &Path,
    force: bool,
    show: usize,
    reporter: &dyn Reporter,
) -> anyhow::Result<RollbackSummary> {
    let (header, entries) = journal::entries(journal_path)?;
    // The latest entry of each updated row, with what it changed from and to.
    let mut rows: BTreeMap<u64, (u64, String, Values, Values)> = BTreeMap::new();
    let mut blind = 0u64;
    for e in entries {
        match (e.outcome, e.before, e.after) {
            (Outcome::Updated, Some(before), Some(after)) => {
                rows.insert(e.n, (e.line, e.user, before, after));
            }
            (Outcome::Updated, _, _) => blind += 1,
            _ => {}
        }
    }
    if rows.is_empty() && blind > 0 {
        bail!(
            "{} recorded no before-values (the run used --current-state none): rollback is not possible",
            journal_path.display()
        );
    }
    let users: HashSet<u64> = rows.values().map(|(_, u, _, _)| user_key(u)).collect();
    let wanted: BTreeSet<String> = rows
        .values()
        .flat_map(|(_, _, b, _)| b.keys().cloned())
        .collect();
    let current = current::list(client, &header.user_pool_id, &users, &wanted, reporter)
        .await
        .map_err(|e| anyhow::anyhow!("reading the users of {}: {e}", header.user_pool_id))?;

    let plan_header = PlanHeader {
        kind: planfile::KIND.into(),
        version: planfile::VERSION,
        user_pool_id: header.user_pool_id.clone(),
        input: journal_path.display().to_string(),
        input_sha256: files::sha256_file(journal_path)?,
        created_unix: journal::now_unix() as u64,
        current_state: Source::List,
        options: serde_json::json!({ "rollback_of": journal_path.display().to_string() }),
    };
    let mut writer = PlanWriter::create(out, &plan_header)
        .with_context(|| format!("writing {}", out.display()))?;
    let mut summary = RollbackSummary {
        user_pool_id: header.user_pool_id.clone(),
        ..RollbackSummary::default()
    };
    for (line, user, before, after) in rows.into_values() {
        let Some(now) = current.user(&user) else {
            summary
                .conflicts
                .push(format!("user {user:?}: no longer in the pool"));
            continue;
        };
        let now_of = |name: &str| now.get(name).filter(|v| !v.is_empty()).cloned();
        let changed: Vec<&String> = after
            .iter()
            .filter(|(name, wrote)| now_of(name) != **wrote)
            .map(|(name, _)| name)
            .collect();
        if !changed.is_empty() && !force {
            let names: Vec<&str> = changed.iter().map(|s| s.as_str()).collect();
            summary.conflicts.push(format!(
                "user {user:?}: {} changed since the run (use --force to restore anyway)",
                names.join(", ")
            ));
            continue;
        }
        let changes: Vec<AttrDiff> = before
            .iter()
            .filter(|(name, old)| now_of(name) != **old)
            .map(|(name, old)| AttrDiff {
                name: name.clone(),
                before: now_of(name),
                after: old.clone(),
            })
            .collect();
        if changes.is_empty() {
            summary.already += 1;
            continue;
        }
        summary.users += 1;
        summary.attributes += changes.len() as u64;
        for d in &changes {
            if summary.preview.len() < show {
                summary.preview.push(preview_line(&user, d));
            }
        }
        writer.write(&PlanEntry {
            line,
            user,
            changes,
            client_metadata: BTreeMap::new(),
        })?;
    }
    writer.finish()?;
    Ok(summary)
}

impl RollbackSummary {
    pub fn line(&self) -> String {
        format!(
            "Rollback: {} users to restore ({} attributes), {} already as before, {} conflicts.",
            self.users,
            self.attributes,
            self.already,
            self.conflicts.len()
        )
    }
}
