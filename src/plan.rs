//! `plan`: what `apply` would do, without writing to the pool. Checks every row against the
//! pool's schema, reads the users' current values, diffs, applies the safety rails, writes the
//! plan file and returns the preview and the counts.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{Context, bail};
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::types::UserPoolType;

use crate::current::{self, Current, Source};
use crate::diff::{preview_line, user_label};
use crate::input::{self, InputOptions};
use crate::planfile::{self, PlanEntry, PlanHeader, PlanWriter};
use crate::planner::{Decision, Planner};
use crate::progress::Reporter;
use crate::scan::{self, Scan};
use crate::schema::Schema;
use crate::validate;

#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub input: PathBuf,
    pub input_options: InputOptions,
    pub user_pool_id: String,
    pub current_state: Source,
    pub out: PathBuf,
    /// How many attribute changes the preview shows.
    pub show: usize,
    pub allow_verification_messages: bool,
    pub concurrency: usize,
}

/// What the plan found.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct PlanSummary {
    pub to_change: u64,
    pub attributes: u64,
    pub unchanged: u64,
    pub not_found: u64,
    pub invalid: u64,
    /// Users Cognito will send a verification message to.
    pub messages: u64,
    /// Users made billable by reading them (AdminGetUser).
    pub users_read: u64,
    pub current_state: Option<Source>,
    /// The first changes, Terraform-style, and the invalid rows.
    #[serde(skip)]
    pub preview: Vec<String>,
    #[serde(skip)]
    pub problems: Vec<String>,
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

/// Reads the current values of the input's users as `source` says.
pub async fn read_current(
    client: &Client,
    pool: &str,
    source: Source,
    scan: &Scan,
    keys: impl FnOnce() -> anyhow::Result<InputKeys>,
    concurrency: usize,
    reporter: &dyn Reporter,
) -> anyhow::Result<Option<Current>> {
    let wanted: BTreeSet<String> = scan.attributes.iter().cloned().collect();
    let current = match source {
        Source::None => return Ok(None),
        Source::Get => {
            let keys = keys()?;
            current::get(client, pool, keys, &wanted, concurrency, reporter).await
        }
        Source::List | Source::Auto => {
            current::list(client, pool, &scan.users, &wanted, reporter).await
        }
    };
    Ok(Some(current.map_err(|e| {
        anyhow::anyhow!("reading the users of {pool}: {e}")
    })?))
}

/// What `--current-state get` reads: each input user, and each email and phone number the
/// input sets (looked up with a ListUsers filter, to find other users that already have it).
#[derive(Debug, Default)]
pub struct InputKeys {
    pub users: Vec<String>,
    /// (attribute, value) pairs, e.g. ("email", "a@example.com").
    pub aliases: Vec<(String, String)>,
}

/// Reads the input's user keys and the aliases it sets.
pub fn input_keys(
    path: &std::path::Path,
    display: &str,
    io: &InputOptions,
) -> anyhow::Result<InputKeys> {
    let mut out = InputKeys::default();
    for record in input::read(input::open(path)?, display, io)?.records {
        let record = record?;
        if let Some(u) = record.username() {
            out.users.push(u.to_string());
        }
        for c in &record.row.changes {
            if let ("email" | "phone_number", crate::row::Change::Set(v)) =
                (c.name.as_str(), &c.change)
            {
                out.aliases.push((c.name.clone(), v.clone()));
            }
        }
    }
    Ok(out)
}

/// Refuses an input that uses attributes the pool does not define, naming them all.
pub fn check_attributes(schema: &Schema, scan: &Scan, pool: &str) -> anyhow::Result<()> {
    // Names that break Cognito's naming rules are reported on their rows instead.
    let missing = schema.missing(
        scan.attributes
            .iter()
            .filter(|n| crate::validate::check_name(n).is_ok()),
    );
    if !missing.is_empty() {
        bail!(
            "the input uses attributes that user pool {pool} does not define: {}",
            missing.join(", ")
        );
    }
    Ok(())
}

pub async fn run(
    client: &Client,
    pool: &UserPoolType,
    opts: &PlanOptions,
    reporter: &dyn Reporter,
) -> anyhow::Result<PlanSummary> {
    let display = opts.input.display().to_string();
    if opts.input.as_os_str() == "-" {
        bail!("plan reads a file, not standard input: the plan records the input's fingerprint");
    }
    let scan = scan::scan(|| input::open(&opts.input), &display, &opts.input_options)?;
    let schema = Schema::from_pool(pool);
    check_attributes(&schema, &scan, &opts.user_pool_id)?;
    let estimate = u64::try_from(pool.estimated_number_of_users()).unwrap_or(0);
    let source = resolve(opts.current_state, scan.rows, estimate);
    let current = read_current(
        client,
        &opts.user_pool_id,
        source,
        &scan,
        || input_keys(&opts.input, &display, &opts.input_options),
        opts.concurrency,
        reporter,
    )
    .await?;
    let planner = Planner {
        schema: Some(&schema),
        current: current.as_ref(),
        repeated_aliases: &scan.repeated_aliases,
        allow_verification_messages: opts.allow_verification_messages,
    };
    let header = PlanHeader {
        kind: planfile::KIND.into(),
        version: planfile::VERSION,
        user_pool_id: opts.user_pool_id.clone(),
        input: display.clone(),
        input_sha256: scan.sha256.clone(),
        created_unix: crate::journal::now_unix() as u64,
        current_state: source,
        options: crate::apply::options_json(&opts.input_options),
    };
    let mut out = PlanWriter::create(&opts.out, &header)
        .with_context(|| format!("writing the plan {}", opts.out.display()))?;
    let mut summary = PlanSummary {
        current_state: Some(source),
        users_read: current.as_ref().map_or(0, |c| c.users_read),
        ..PlanSummary::default()
    };
    reporter.started(scan.rows);
    let records = input::read(input::open(&opts.input)?, &display, &opts.input_options)?.records;
    for (done, record) in records.enumerate() {
        if done % 1000 == 0 {
            reporter.progress(&crate::progress::Progress {
                done: done as u64,
                total: scan.rows,
                ..Default::default()
            });
        }
        let mut record = record?;
        validate::check(&mut record);
        scan.duplicates().mark(&mut record);
        match planner.decide(&mut record) {
            Decision::Invalid => {
                summary.invalid += 1;
                summary.problems.push(record.invalid(&display).to_string());
            }
            Decision::NotFound => {
                summary.not_found += 1;
                summary.problems.push(format!(
                    "{display}:{}: user {:?}: not found in the pool",
                    record.row.line, record.row.username
                ));
            }
            Decision::Unchanged => summary.unchanged += 1,
            Decision::Change { diffs, messages } => {
                summary.to_change += 1;
                summary.attributes += diffs.len() as u64;
                summary.messages += u64::from(messages > 0);
                for d in &diffs {
                    if summary.preview.len() < opts.show {
                        let user = &record.row.username;
                        let email = current.as_ref().and_then(|c| c.user(user)?.get("email"));
                        let label = user_label(user, email.map(String::as_str));
                        summary.preview.push(preview_line(&label, d));
                    }
                }
                out.write(&PlanEntry {
                    line: record.row.line,
                    user: record.row.username.clone(),
                    changes: diffs,
                    client_metadata: record.row.client_metadata.clone(),
                })
                .with_context(|| format!("writing the plan {}", opts.out.display()))?;
            }
        }
    }
    out.finish()
        .with_context(|| format!("writing the plan {}", opts.out.display()))?;
    Ok(summary)
}

/// Groups digits by thousands: 12345 -> "12,345".
pub fn thousands(n: u64) -> String {
    indicatif::HumanCount(n).to_string()
}

impl PlanSummary {
    /// `Plan: 12,345 users to change (14,002 attributes), 3,210 unchanged, 17 not found, 4 invalid.`
    pub fn line(&self) -> String {
        format!(
            "Plan: {} users to change ({} attributes), {} unchanged, {} not found, {} invalid.",
            thousands(self.to_change),
            thousands(self.attributes),
            thousands(self.unchanged),
            thousands(self.not_found),
            thousands(self.invalid)
        )
    }

    /// What the run will cost the user: messages sent and billable users.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = vec![format!(
            "Applying makes the {} users it changes billable monthly active users this month (an attribute update counts as activity).",
            thousands(self.to_change)
        )];
        if self.users_read > 0 {
            notes.push(format!(
                "Reading current values with AdminGetUser made {} users billable this month; --current-state list does not.",
                thousands(self.users_read)
            ));
        }
        notes.push(format!(
            "{} users will receive a verification message.",
            thousands(self.messages)
        ));
        notes
    }
}
