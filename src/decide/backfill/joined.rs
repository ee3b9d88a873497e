//! An input file joined to the pool (`--match`, or a key Cognito resolves: username, sub or
//! sign-in alias): the input's keys read first, the pool indexed by those keys only, then one
//! computed row per input row. Apart from mod.rs, which sets a backfill up and hands its rows
//! on, because the join is its own two passes over the input.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use super::matches::{Found, Matches, Spilling, key_hash};
use super::pages::list_users;
use super::rows::Writer;
use super::source::{self, InRow};
use super::{Attributes, Read, Spec, attr_map, fold, lookups};
use crate::cognito::Pool;
use crate::cognito::signin::SignIn;
use crate::decide::current::Current;
use crate::model::row::{Code, Problem};
use crate::progress::Reporter;
use crate::rows::template::{Evaluator, Subject};

/// An input file joined to the pool: its users found by `--match` (or username / sub),
/// then each row computed (`--set`) or passed on with the matched username.
#[allow(clippy::too_many_arguments)]
pub(super) async fn from_input<P: Pool>(
    pool: &P,
    spec: &Spec<'_>,
    read: Read,
    path: &Path,
    rows: &mut Writer,
    current: &mut Current,
    reporter: &dyn Reporter,
    stop: &CancellationToken,
) -> anyhow::Result<()> {
    let sign_in = SignIn::from_pool(spec.pool);
    let keys = input_keys(spec, path)?;
    let wanted = read.wanted(keys.wanted);
    // Only a row that sets an email or phone number asks who else has it.
    current.note_aliases_too(super::sets_alias(&wanted));
    let index = if spec.filtered {
        Found::Held(lookups::index(pool, spec.match_attr, &keys.originals, current, stop).await?)
    } else {
        let keys = &keys.hashes;
        Found::Spilled(index_pool(pool, spec, &sign_in, keys, current, reporter, stop).await?)
    };
    let aliases = compute_rows(spec, path, &sign_in, &index, &wanted, rows, current)?;
    if spec.filtered {
        crate::decide::current::note_owners(pool, aliases, current, stop)
            .await
            .map_err(|e| anyhow::anyhow!("looking up who has the rows' emails: {e}"))?;
    }
    Ok(())
}

/// What pass 1 finds in the input.
struct Keys {
    /// The keys to look for: the hashes of their folded forms (see [`fold`]), sorted.
    hashes: Vec<u64>,
    /// Each folded key once, as the input spells it (for lookups by filter only).
    originals: Vec<String>,
    /// The attributes the rows touch.
    wanted: BTreeSet<String>,
}

/// Pass 1: the keys to look for, and the attributes the rows touch.
fn input_keys(spec: &Spec<'_>, path: &Path) -> anyhow::Result<Keys> {
    let mut folded: HashSet<String> = HashSet::new();
    let mut keys = Keys {
        hashes: Vec::new(),
        originals: Vec::new(),
        wanted: (spec.rules).map_or_else(BTreeSet::new, |r| r.targets().iter().cloned().collect()),
    };
    for row in source::rows(path, spec.input_options, spec.rules.is_some())? {
        let row = row?;
        if let Some(key) = &row.key {
            let key_folded = fold(spec.match_attr, key);
            keys.hashes.push(key_hash(&key_folded));
            if spec.filtered && folded.insert(key_folded) {
                keys.originals.push(key.clone());
            }
        }
        if let Some(record) = &row.record {
            keys.wanted
                .extend(record.row.attrs().map(|c| c.name.clone()));
        }
    }
    keys.hashes.sort_unstable();
    keys.hashes.dedup();
    Ok(keys)
}

/// The whole pool read once, indexed by the matching attribute for the input's keys only.
async fn index_pool<P: Pool>(
    pool: &P,
    spec: &Spec<'_>,
    sign_in: &SignIn,
    keys: &[u64],
    current: &mut Current,
    reporter: &dyn Reporter,
    stop: &CancellationToken,
) -> anyhow::Result<Matches> {
    let mut index = Spilling::new()?;
    list_users(
        pool,
        stop,
        spec.user_pool_id,
        None,
        reporter,
        |user, attrs, _| {
            current
                .observe_in_order(user, attrs, None, None)
                .context("noting the pool's emails")?;
            let candidates: Vec<&str> = match spec.match_attr {
                Some(attr) => attrs
                    .iter()
                    .filter(|(n, _)| n == attr)
                    .map(|(_, v)| v.as_str())
                    .collect(),
                // The key names users as Cognito resolves a `Username`: the username,
                // the sub or an alias the pool allows (its case checked in pass 2).
                None => sign_in.names(user, attrs).iter().map(|n| n.value).collect(),
            };
            let mut seen = HashSet::new();
            for c in candidates {
                let k = fold(spec.match_attr, c);
                if keys.binary_search(&key_hash(&k)).is_ok() && seen.insert(k.clone()) {
                    index.add(&k, user, attrs)?;
                }
            }
            Ok(())
        },
    )
    .await?;
    index.finish()
}

/// Pass 2: one computed row per input row. Returns the emails and phone numbers the rows
/// set: without a whole-pool read, who already has them is looked up afterwards (the alias
/// rail).
fn compute_rows(
    spec: &Spec<'_>,
    path: &Path,
    sign_in: &SignIn,
    index: &Found,
    wanted: &BTreeSet<String>,
    rows: &mut Writer,
    current: &mut Current,
) -> anyhow::Result<Vec<(String, String)>> {
    let eval = spec.rules.map(|r| r.evaluator());
    let mut aliases: Vec<(String, String)> = Vec::new();
    for row in source::rows(path, spec.input_options, spec.rules.is_some())? {
        let mut row = row?;
        if let Some(problem) = &row.problem {
            rows.invalid(row.line, row.key.as_deref().unwrap_or(""), problem)?;
            continue;
        }
        rows.pad_to(row.line)?;
        let key = row.key.take().unwrap_or_default();
        let Some((user, attrs)) = matched(spec, sign_in, index, rows, row.line, &key)? else {
            continue;
        };
        let kept = computed_row(eval.as_ref(), row, &user, &attrs, rows, &mut aliases)?;
        current
            .observe_in_order(&user, &attrs, kept.then_some(wanted), None)
            .context("writing the matched users to a temporary file")?;
    }
    Ok(aliases)
}

/// The one user a row's key names; none (said on the row: not found, or ambiguous) otherwise.
fn matched(
    spec: &Spec<'_>,
    sign_in: &SignIn,
    index: &Found,
    rows: &mut Writer,
    line: u64,
    key: &str,
) -> anyhow::Result<Option<(String, Attributes)>> {
    let by = spec.match_attr.unwrap_or("username, sub or sign-in alias");
    let users = index.users(&fold(spec.match_attr, key))?;
    let mut found = match spec.match_attr {
        Some(_) => users,
        None => named(sign_in, &users, key),
    };
    match found.len() {
        0 => {
            rows.not_found(line, key, format!("no user of the pool has this {by}"))?;
            Ok(None)
        }
        1 => Ok(found.pop()),
        many => {
            let why = format!("{many} users of the pool have this {by}");
            rows.invalid(line, key, &Problem::row(Code::AmbiguousMatch, why))?;
            Ok(None)
        }
    }
}

/// Writes a matched row: computed by the templates (`--set`), or the input's changes passed
/// on; returns whether the row was kept. The emails and phone numbers it sets go to `aliases`.
fn computed_row(
    eval: Option<&Evaluator>,
    row: InRow,
    user: &str,
    attrs: &Attributes,
    rows: &mut Writer,
    aliases: &mut Vec<(String, String)>,
) -> anyhow::Result<bool> {
    Ok(match (eval, row.record, &row.data) {
        (Some(eval), _, data) => {
            let map = attr_map(attrs);
            let subject = Subject {
                username: user,
                attrs: &map,
                row: data.as_ref(),
            };
            let computed = eval.eval(&subject);
            if let crate::rows::template::Computed::Changes(changes) = &computed {
                aliases.extend(lookups::aliases_set(changes));
            }
            rows.rendered(row.line, user, computed, &BTreeMap::new())?
        }
        // Memberships and status are not carried into computed rows: refused, never dropped.
        (None, Some(record), _) if unsent_ops(&record) => {
            let why = "--match passes on attribute changes only: this row's enabled or \
                       groups columns would not be sent; apply it keyed by username instead";
            rows.invalid(row.line, user, &Problem::row(Code::InvalidRow, why))?;
            false
        }
        (None, Some(record), _) => {
            let changes = record
                .row
                .attrs()
                .map(|c| (c.name.clone(), c.change.value().map(str::to_string)))
                .collect::<Vec<_>>();
            aliases.extend(lookups::aliases_set(&changes));
            rows.row(user, &changes, &record.row.client_metadata)?;
            true
        }
        (None, None, _) => false,
    })
}

/// Whether an input row matched with `--match` has operations a computed row cannot carry
/// (memberships, the `enabled` flag; a sign-out is added again by `--sign-out`).
fn unsent_ops(record: &crate::model::row::Record) -> bool {
    use crate::model::op::Op;
    let other = |op: &Op| matches!(op, Op::Group(_) | Op::Enabled(_));
    record.row.exact_groups.is_some() || record.row.ops.iter().any(other)
}

/// Of the users found for a folded key, those the key names in its own case (a
/// case-sensitive pool's username, a phone number and the sub compare exactly).
fn named(sign_in: &SignIn, users: &[(String, Attributes)], key: &str) -> Vec<(String, Attributes)> {
    let names = |(user, attrs): &&(String, Attributes)| {
        sign_in.names(user, attrs).iter().any(|n| match n.folded {
            true => n.value.to_lowercase() == key.to_lowercase(),
            false => n.value == key,
        })
    };
    users.iter().filter(names).cloned().collect()
}
