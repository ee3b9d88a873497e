//! The rule checked before any user is read: `--set` targets the pool defines and may change,
//! attributes the templates read that some user can have, a `--match` attribute that exists,
//! and `row` reads the input can satisfy. A typo is one setup error, never a rule that
//! matches (or fails) every user.

use std::path::Path;

use anyhow::bail;

use super::{Spec, source};
use crate::decide::schema::Schema;
use crate::rows::input::InputOptions;
use crate::rows::template::Rules;

/// The rule against the pool's schema (after DescribeUserPool, before ListUsers).
pub(super) fn against_schema(schema: &Schema, spec: &Spec<'_>) -> anyhow::Result<()> {
    if let Some(rules) = spec.rules {
        let missing = schema.missing(rules.targets());
        if !missing.is_empty() {
            bail!(
                "--set {}: user pool {} does not define {}",
                missing[0],
                spec.user_pool_id,
                missing.join(", ")
            );
        }
        // An immutable target can only end unchanged or invalid for every user: say it once.
        if let Some(name) = rules
            .targets()
            .iter()
            .find(|n| schema.get(n).is_some_and(|a| !a.mutable))
        {
            bail!(
                "--set {name}: user pool {} makes {name} immutable: no user's value can change",
                spec.user_pool_id
            );
        }
        // An attribute the rules read that no user can have is a typo: `custom.tenatn is not
        // defined` would otherwise be true of every user.
        for (flag, name) in &rules.references().attributes {
            if schema.get(name).is_none() && !matches!(name.as_str(), "sub" | "identities") {
                bail!(
                    "{flag}: {name}: user pool {} does not define this attribute, so no user \
                     has it (a typo?)",
                    spec.user_pool_id
                );
            }
        }
    }
    if let Some(attr) = spec.match_attr
        && attr.starts_with("custom:")
        && !schema.missing([&attr.to_string()]).is_empty()
    {
        bail!(
            "--match {attr}: user pool {} does not define {attr}",
            spec.user_pool_id
        );
    }
    Ok(())
}

/// Refuses, before any call, `row` read without an input file (the pool is the input) and
/// `row.X` for a column a CSV input does not have (a typo would fail, or match, every row).
pub fn check_row_reads(
    rules: &Rules,
    input: Option<&Path>,
    io: &InputOptions,
) -> anyhow::Result<()> {
    let refs = rules.references();
    let Some(input) = input else {
        if let Some(flag) = refs.row_flags.first() {
            bail!(
                "{flag}: `row` is a row of the input file, and there is none: the pool is the input"
            );
        }
        return Ok(());
    };
    let Some(columns) = source::columns(input, io)? else {
        return Ok(());
    };
    for (flag, name) in &refs.columns {
        if !columns.contains(name) {
            bail!(
                "{flag}: row.{name}: {} has no column {name:?} (its columns: {})",
                input.display(),
                columns.join(", ")
            );
        }
    }
    Ok(())
}
