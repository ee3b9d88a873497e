//! Everything a writing or planning run learns before it decides a single row, shared by
//! `plan`, `apply`, `apply --plan` and `rollback`: the input scanned (standard input spooled
//! first), the pool's schema, and the current values of the input's users.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use aws_sdk_cognitoidentityprovider::types::UserPoolType;
use tokio_util::sync::CancellationToken;

mod computed;
mod current_values;

use crate::cognito::Pool;
use crate::cognito::config::{Federation, Messaging};
use crate::decide::current::{self, Current};
use crate::decide::schema::Schema;
use crate::model::source::Source;
use crate::progress::Reporter;
use crate::rows::input::{self, InputOptions};
use crate::rows::scan::{self, Duplicates, Scan};

/// The input, ready to be read (again) and decided.
pub struct Scanned {
    /// Keeps a spooled input (standard input, a FIFO) alive; removed when dropped.
    _spool: Option<tempfile::TempPath>,
    /// The file to read (the spool for standard input).
    pub path: PathBuf,
    /// The input's name in messages.
    pub display: String,
    pub scan: Scan,
}

/// How to read the pool before deciding.
pub struct Reading<'a, P: Pool> {
    pub pool: &'a P,
    pub user_pool_id: &'a str,
    /// The pool as DescribeUserPool gave it; None when that call was denied (no schema check).
    pub described: Option<&'a UserPoolType>,
    pub current_state: Source,
    pub concurrency: usize,
    /// Send changes to attributes an identity provider writes at every sign-in.
    pub allow_overwritten_at_sign_in: bool,
}

/// What the pool told us: the schema (None: not checked) and the current values (None: not
/// read, rows are sent as they are).
pub struct PoolState {
    pub schema: Option<Schema>,
    pub current: Option<Current>,
    pub source: Source,
    /// How the pool messages its users (unknown when DescribeUserPool was denied).
    pub messaging: Messaging,
    /// The attributes the pool's identity providers write at every sign-in.
    pub federation: Federation,
    /// Address changes an earlier run of this journal left pending (user key, attribute,
    /// value asked for): not sent again, so those users are not mailed again.
    pub already_pending: std::collections::HashSet<(u64, String, String)>,
}

/// Scans `input` (`-`: standard input, spooled to a private temporary file first). With the
/// journal's SHA-256 and duplicate lines of an earlier run, a matching input is only
/// fingerprinted (constant memory), since the journal already knows its duplicates.
pub async fn scan_input(
    input: &Path,
    io: &InputOptions,
    prior: Option<(String, Vec<Vec<u64>>)>,
    stop: &CancellationToken,
) -> anyhow::Result<Scanned> {
    let display = input.display().to_string();
    // The input is read twice: standard input, a FIFO and the like are copied to a private
    // temporary file first (stopped by an interrupt if the writer never finishes).
    let (spool, path) = {
        let input = input.to_path_buf();
        tokio::select! {
            r = tokio::task::spawn_blocking(move || input::readable_twice(&input)) => r??,
            _ = stop.cancelled() => anyhow::bail!("interrupted while reading {display}; nothing was sent"),
        }
    };
    let scan = {
        let (path, display, io) = (path.clone(), display.clone(), io.clone());
        tokio::task::spawn_blocking(move || {
            if let Some((sha256, duplicate_lines)) = prior {
                let mut scan = scan::fingerprint(&path, &display, &io)?;
                if scan.sha256 == sha256 {
                    scan.set_duplicates(Duplicates::from_groups(duplicate_lines));
                    return Ok(scan);
                }
            }
            scan::scan(&path, &display, &io)
        })
        .await
        .context("input scan panicked")??
    };
    Ok(Scanned {
        _spool: spool,
        path,
        display,
        scan,
    })
}

/// Scans rows a backfill computed into a private temporary file, which lives as long as the
/// returned [`Scanned`]. `display` names them in messages.
pub async fn scan_computed(
    spool: tempfile::TempPath,
    display: String,
    io: &InputOptions,
) -> anyhow::Result<Scanned> {
    let path = spool.to_path_buf();
    let scan = {
        let (path, display, io) = (path.clone(), display.clone(), io.clone());
        tokio::task::spawn_blocking(move || scan::scan(&path, &display, &io))
            .await
            .context("input scan panicked")??
    };
    Ok(Scanned {
        _spool: Some(spool),
        path,
        display,
        scan,
    })
}

/// Scans rows the pool as input computed into a private temporary file, whose users were
/// written in the same order and whose duplicated lines are known (see `prepare/computed.rs`).
pub async fn scan_computed_in_order(
    spool: tempfile::TempPath,
    display: String,
    io: &InputOptions,
    duplicates: Vec<Vec<u64>>,
) -> anyhow::Result<Scanned> {
    let path = spool.to_path_buf();
    let scan = {
        let (path, display, io) = (path.clone(), display.clone(), io.clone());
        let scan = move || computed::scan_in_order(&path, &display, &io, duplicates);
        tokio::task::spawn_blocking(scan)
            .await
            .context("input scan panicked")??
    };
    Ok(Scanned {
        _spool: Some(spool),
        path,
        display,
        scan,
    })
}

/// Reads the schema and the current values, and refuses an input that uses attributes the
/// pool does not define. Before any write, so errors here are setup errors.
pub async fn read_pool<P: Pool>(
    scanned: &mut Scanned,
    io: &InputOptions,
    reading: &Reading<'_, P>,
    reporter: &dyn Reporter,
    stop: &CancellationToken,
) -> anyhow::Result<PoolState> {
    let schema = reading.described.map(Schema::from_pool);
    if let Some(schema) = &schema {
        check_attributes(schema, &scanned.scan, reading.user_pool_id)?;
    }
    let estimate = reading.described.map_or(0, |pool| {
        u64::try_from(pool.estimated_number_of_users()).unwrap_or(0)
    });
    let source = resolve(reading.current_state, scanned.scan.rows, estimate);
    let mut wanted =
        current::with_verified_flags(scanned.scan.attributes.iter().cloned().collect());
    let federation = match reading.described {
        Some(_) => federation(reading, &wanted, reporter).await,
        None => Federation::default(),
    };
    if !federation.mapped.is_empty() {
        // Who signs in through a provider: read with the values.
        wanted.insert("identities".into());
    }
    let current = current_values::read(scanned, io, reading, source, &wanted, reporter, stop);
    let mut current = current.await?;
    // The groups the input names: checked to exist, and their members read.
    let (pool, id) = (reading.pool, reading.user_pool_id);
    crate::decide::groups::read(pool, id, &scanned.scan, current.as_mut(), stop).await?;
    Ok(PoolState {
        schema,
        current,
        source,
        messaging: reading
            .described
            .map_or_else(Messaging::unknown, Messaging::from_pool),
        federation,
        already_pending: Default::default(),
    })
}

/// The pool's identity providers' mappings, read only when the input touches an attribute
/// (a pool without providers costs one ListIdentityProviders). Denied or failing: said, and
/// the run goes on without the check.
async fn federation<P: Pool>(
    reading: &Reading<'_, P>,
    wanted: &std::collections::BTreeSet<String>,
    reporter: &dyn Reporter,
) -> Federation {
    if wanted.is_empty() {
        return Federation::default();
    }
    let mut federation = read_federation(reading.pool, reading.user_pool_id, reporter).await;
    federation.allow = reading.allow_overwritten_at_sign_in;
    federation
}

/// The attributes the pool's identity providers map (ListIdentityProviders, then each
/// provider described), not allowed yet. Denied or failing: said, and the run goes on
/// without the check. Shared by every command that decides rows, backfills included.
pub async fn read_federation<P: Pool>(
    pool: &P,
    user_pool_id: &str,
    reporter: &dyn Reporter,
) -> Federation {
    match pool.identity_providers().await {
        Ok(providers) => Federation::from_providers(&providers),
        Err(e) => {
            let why = format!(
                "could not read the identity providers of {user_pool_id} ({e}): changes to \
                 attributes they write at sign-in are not checked for federated users"
            );
            reporter.warning(&why);
            Federation {
                unknown: Some(why),
                ..Federation::default()
            }
        }
    }
}

/// Picks `list` or `get` for `auto`: ListUsers reads 60 users a call and makes nobody
/// billable, so it wins unless the pool is far larger than the input.
pub fn resolve(source: Source, input_rows: u64, pool_estimate: u64) -> Source {
    match source {
        Source::Auto if input_rows <= 10_000 && input_rows.saturating_mul(50) < pool_estimate => {
            Source::Get
        }
        Source::Auto => Source::List,
        other => other,
    }
}

/// Refuses an input that uses attributes the pool does not define, naming them all.
fn check_attributes(schema: &Schema, scan: &Scan, pool: &str) -> anyhow::Result<()> {
    // Names that break Cognito's naming rules are reported on their rows instead.
    let missing = schema.missing(
        scan.attributes
            .iter()
            .filter(|n| crate::cognito::rules::check_name(n).is_ok()),
    );
    if !missing.is_empty() {
        bail!(
            "the input uses attributes that user pool {pool} does not define: {}",
            missing.join(", ")
        );
    }
    Ok(())
}
