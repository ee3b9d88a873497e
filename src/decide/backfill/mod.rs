//! Computed backfills: the pool (or an input file joined to it) and the `--set` / `--where` /
//! `--match` rules become ordinary rows *before* anything is decided. One ListUsers pass
//! reads the users the rules need; each user's row is computed and written to a private JSONL
//! file, which the one decision path ([`crate::decide::planner`]) then reads like any input, so the
//! schema checks, the diff, the rails, the plan file, the journal and rollback all hold.
//! The same pass fills the current values the diff uses, so the diff is against the values
//! the templates saw.
//!
//! Memory: the current values of the users that get a row (the `--set` targets only), and a
//! 64-bit hash of every email and phone number, as for a plain plan; with an input file,
//! also the attributes of the pool's users the input names.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use anyhow::{Context, bail};
use aws_sdk_cognitoidentityprovider::types::UserPoolType;
use tempfile::TempPath;
use tokio_util::sync::CancellationToken;

use crate::cognito::Pool;
use crate::decide::current::Current;
use crate::decide::prepare::{self, PoolState, Scanned};
use crate::decide::schema::Schema;
use crate::model::source::Source;
use crate::progress::Reporter;
use crate::rows::input::{EmptyCells, Format, InputOptions};
use crate::rows::template::{Rules, Subject};

mod checks;
mod joined;
mod lookups;
mod matches;
mod pages;
mod rows;
pub mod source;

pub use checks::check_row_reads;
use joined::from_input;
pub use lookups::filterable;
use pages::list_users;
use rows::{Stats, Writer};

/// What to compute.
pub struct Spec<'a> {
    pub user_pool_id: &'a str,
    pub pool: &'a UserPoolType,
    /// `--set` / `--where`; None: the input's rows as they are (`--match` alone).
    pub rules: Option<&'a Rules>,
    /// A ListUsers filter narrowing the pool as input.
    pub filter: Option<&'a str>,
    /// The attribute that identifies the input's users (None: username or sub).
    pub match_attr: Option<&'a str>,
    /// The input file (None: the pool is the input) and how to read it.
    pub input: Option<&'a Path>,
    /// `--current-state get` with an input: each key looked up with a ListUsers filter
    /// (where Cognito can filter on the matched attribute) instead of reading the whole pool.
    pub filtered: bool,
    pub input_options: &'a InputOptions,
}

/// The computed rows, scanned, with the pool state to decide them against, and what never
/// became a row.
pub struct Computed {
    pub scanned: Scanned,
    pub state: PoolState,
    /// How the computed rows file is read.
    pub io: InputOptions,
    /// Users `--where` left alone.
    pub skipped: u64,
    pub not_found: u64,
    /// Rows that could not be computed (a template failed, an ambiguous match, a bad line).
    pub invalid: u64,
    pub problems: Vec<String>,
    /// Plan entries of those rows (invalid, not found), for the plan: removed when dropped.
    pub left_out: tempfile::TempPath,
}

/// Computes every row. Errors are setup errors (the input or the pool cannot be read).
pub async fn compute<P: Pool>(
    pool: &P,
    spec: &Spec<'_>,
    reporter: &dyn Reporter,
    stop: &CancellationToken,
) -> anyhow::Result<Computed> {
    let schema = Schema::from_pool(spec.pool);
    checks::against_schema(&schema, spec)?;
    let io = InputOptions {
        format: Format::Jsonl,
        key_column: "username".into(),
        empty_cells: EmptyCells::Ignore,
        client_metadata: spec.input_options.client_metadata.clone(),
        ops: spec.input_options.ops,
    };
    let display = match spec.input {
        None => format!("pool {}", spec.user_pool_id),
        // Computed rows keep their input line numbers (see `Writer::pad_to`).
        Some(input) => input.display().to_string(),
    };
    let mut rows = Writer::new(display.clone())?;
    // The pool as input: its users written in the order of their rows, out of memory.
    let mut current = match (spec.input, spec.rules) {
        (None, Some(rules)) => Current::in_order(sets_alias(rules.targets())),
        // Whether an input's rows set an alias is known once it is read (`joined.rs`).
        _ => Current::in_order(true),
    }
    .context("creating a temporary file for the pool's users")?;
    // Federated users get the attributes a provider maps written again at each sign-in: the
    // rail needs the providers' mappings and, with any, who signs in through one.
    let federation = prepare::read_federation(pool, spec.user_pool_id, reporter).await;
    let read = Read {
        identities: !federation.mapped.is_empty(),
    };
    match spec.input {
        None => from_pool(pool, spec, read, &mut rows, &mut current, reporter, stop).await?,
        Some(input) => {
            let (rows, current) = (&mut rows, &mut current);
            from_input(pool, spec, read, input, rows, current, reporter, stop).await?
        }
    }
    let (spool, left_out, stats) = close(rows)?;
    let scanned = match spec.input {
        None => {
            let duplicates = current
                .rows_written()
                .context("reading the pool's users back")?;
            prepare::scan_computed_in_order(spool, display, &io, duplicates).await?
        }
        Some(_) => {
            // Lines whose users repeat are the scan's to find (rows keep their input lines).
            current
                .rows_written()
                .context("reading the matched users back")?;
            prepare::scan_computed(spool, display, &io).await?
        }
    };
    defined(&schema, &scanned, spec.user_pool_id)?;
    // The groups the rules name: checked to exist (a setup error before any write), and
    // their members read, so that a user already in a group costs no call and no preview line.
    let id = spec.user_pool_id;
    crate::decide::groups::read(pool, id, &scanned.scan, Some(&mut current), stop).await?;
    Ok(Computed {
        scanned,
        state: PoolState {
            schema: Some(schema),
            current: Some(current),
            source: Source::List,
            messaging: crate::cognito::config::Messaging::from_pool(spec.pool),
            // Allowed by the caller (`--allow-overwritten-at-sign-in`).
            federation,
            already_pending: Default::default(),
        },
        io,
        skipped: stats.skipped,
        not_found: stats.not_found,
        invalid: stats.invalid,
        problems: stats.problems,
        left_out,
    })
}

/// The computed rows' files, written whole: the rows, the rows left out, and the counts.
fn close(rows: Writer) -> anyhow::Result<(TempPath, TempPath, Stats)> {
    let Writer {
        out,
        left_out,
        stats,
        ..
    } = rows;
    let spool = out
        .into_inner()
        .map_err(|e| e.into_error())
        .context("writing the computed rows")?
        .into_temp_path();
    let left_out = left_out
        .into_inner()
        .map_err(|e| e.into_error())
        .context("writing the left-out rows")?
        .into_temp_path();
    Ok((spool, left_out, stats))
}

/// Every attribute the computed rows set is one the pool defines (a template's target or an
/// input's column may name one it does not).
fn defined(schema: &Schema, scanned: &Scanned, user_pool_id: &str) -> anyhow::Result<()> {
    let missing = schema.missing(
        scanned
            .scan
            .attributes
            .iter()
            .filter(|n| crate::cognito::rules::check_name(n).is_ok()),
    );
    if !missing.is_empty() {
        bail!(
            "the input uses attributes that user pool {} does not define: {}",
            user_pool_id,
            missing.join(", ")
        );
    }
    Ok(())
}

/// What to read of the users that get a row, besides the attributes they change.
#[derive(Clone, Copy)]
struct Read {
    /// The `identities` attribute: the pool has identity providers that map attributes.
    identities: bool,
}

impl Read {
    fn wanted(self, mut wanted: BTreeSet<String>) -> BTreeSet<String> {
        if self.identities {
            wanted.insert("identities".into());
        }
        crate::decide::current::with_verified_flags(wanted)
    }
}

/// The pool as input: every user (narrowed by `--filter`), `--where`, then the templates.
async fn from_pool<P: Pool>(
    pool: &P,
    spec: &Spec<'_>,
    read: Read,
    rows: &mut Writer,
    current: &mut Current,
    reporter: &dyn Reporter,
    stop: &CancellationToken,
) -> anyhow::Result<()> {
    let rules = spec.rules.context("the pool as input needs --set")?;
    let wanted = read.wanted(rules.targets().iter().cloned().collect());
    let eval = rules.evaluator();
    list_users(
        pool,
        stop,
        spec.user_pool_id,
        spec.filter,
        reporter,
        |user, attrs, enabled| {
            let map = attr_map(attrs);
            let subject = Subject {
                username: user,
                attrs: &map,
                row: None,
            };
            let kept = rows.rendered(0, user, eval.eval(&subject), &BTreeMap::new())?;
            current
                .observe_in_order(user, attrs, kept.then_some(&wanted), enabled)
                .context("writing the pool's users to a temporary file")
        },
    )
    .await
}

/// Whether rows setting these attributes need every user's email and phone number (the
/// alias rail: another user may have the value a row sets).
fn sets_alias<'a>(targets: impl IntoIterator<Item = &'a String>) -> bool {
    targets
        .into_iter()
        .any(|t| matches!(t.as_str(), "email" | "phone_number"))
}

/// Users found for each folded key: (username, attributes).
type Index = HashMap<String, Vec<(String, Attributes)>>;

/// A user's attributes as ListUsers gives them.
type Attributes = Vec<(String, String)>;

/// Email keys compare ignoring case, as do usernames; other attributes exactly.
fn fold(match_attr: Option<&str>, value: &str) -> String {
    match match_attr {
        None | Some("email") => value.to_lowercase(),
        Some(_) => value.to_string(),
    }
}

fn attr_map(attrs: &[(String, String)]) -> BTreeMap<String, String> {
    attrs.iter().cloned().collect()
}

#[cfg(test)]
mod tests;
