//! A computed rule's names: the rule as the plan file records it and the preview shows it,
//! the plan's default name (a hash of the pool and the rule), and whether the journal beside
//! that plan records a run to resume. Apart from the computing in `backfill.rs`: these read
//! the flags and the files, never the pool.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::cli::BackfillArgs;
use crate::plan::file;
use crate::rows::input::InputOptions;
use crate::{files, journal};

/// The rule as recorded in the plan file.
pub fn rule(args: &BackfillArgs) -> file::Backfill {
    file::Backfill {
        set: sets(args),
        where_: args.where_.clone(),
        filter: args.filter.clone(),
        match_attr: args.match_attr.clone(),
        empty_is_delete: args.empty_is_delete,
    }
}

/// `--set` as given, then `--add-group` and `--remove-group` as the `--set` each stands for:
/// `--add-group a --add-group b` is `--set 'groups_add=a b'`. So the rule the plan records
/// (and compares to find its plan again) holds the group flags, and reads as flags that do
/// the same.
pub fn sets(args: &BackfillArgs) -> Vec<String> {
    let mut sets = args.set.clone();
    for (column, names) in [
        ("groups_add", &args.add_group),
        ("groups_remove", &args.remove_group),
    ] {
        if !names.is_empty() {
            sets.push(format!("{column}={}", names.join(" ")));
        }
    }
    sets
}

/// The rule, for the preview's header.
pub fn rule_lines(args: &BackfillArgs) -> Vec<String> {
    let mut lines = vec!["Backfill rule:".to_string()];
    lines.extend(rule(args).lines().into_iter().map(|l| format!("  {l}")));
    lines
}

/// `backfill-HASH.plan` in the current folder (`INPUT.backfill-HASH.plan` with an input),
/// HASH the first 8 hex digits of the SHA-256 of the pool id and the rule's text.
pub fn default_plan(
    pool: &str,
    args: &BackfillArgs,
    input: Option<&Path>,
    io: &InputOptions,
) -> PathBuf {
    let mut h = Sha256::new();
    let mut part = |label: &str, text: &str| {
        h.update(label.as_bytes());
        h.update([0]);
        h.update(text.as_bytes());
        h.update([0]);
    };
    part("pool", pool);
    for s in &sets(args) {
        part("set", s);
    }
    part("where", args.where_.as_deref().unwrap_or(""));
    part("filter", args.filter.as_deref().unwrap_or(""));
    part("match", args.match_attr.as_deref().unwrap_or(""));
    part("empty_is_delete", &args.empty_is_delete.to_string());
    if input.is_some() {
        part("key_column", &io.key_column);
    }
    let hash = hex::encode(&h.finalize()[..4]);
    match input {
        None => PathBuf::from(format!("backfill-{hash}.plan")),
        Some(input) => files::beside_input(input, &format!("backfill-{hash}.plan")),
    }
}

/// Whether the journal beside the plan records an unfinished run of that very plan (or a
/// finished one whose failed rows `--retry-failed` sends again).
pub fn resumable(plan: &Path, journal_path: &Path, retry_failed: bool) -> bool {
    let (Ok(loaded), Ok(sha)) = (journal::load(journal_path), files::sha256_file(plan)) else {
        return false;
    };
    loaded.header.input_sha256 == sha && (!loaded.is_complete() || retry_failed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rows::input::{EmptyCells, Format};

    #[test]
    fn default_plan_names_follow_the_rule() {
        let io = InputOptions {
            format: Format::Csv,
            key_column: "Email".into(),
            empty_cells: EmptyCells::Ignore,
            client_metadata: Default::default(),
            ops: Default::default(),
        };
        let a = BackfillArgs {
            set: vec!["custom:t={{ email | domain }}".into()],
            ..Default::default()
        };
        let b = BackfillArgs {
            where_: Some("email is defined".into()),
            ..a.clone()
        };
        let pa = default_plan("p1", &a, None, &io);
        let name = pa.to_str().unwrap();
        assert!(name.starts_with("backfill-") && name.ends_with(".plan") && name.len() == 22);
        assert_eq!(pa, default_plan("p1", &a, None, &io));
        assert_ne!(pa, default_plan("p2", &a, None, &io));
        assert_ne!(pa, default_plan("p1", &b, None, &io));
        let with_input = default_plan("p1", &a, Some(Path::new("dir/crm.csv")), &io);
        assert!(
            with_input.starts_with("dir")
                && with_input.to_str().unwrap().contains("crm.csv.backfill-")
        );
    }
}
