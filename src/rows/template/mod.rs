//! Computed values (`--set NAME=TEMPLATE`, `--where EXPR`): MiniJinja templates evaluated per
//! user, sandboxed (no I/O), with strict undefined values so that a typo fails loudly instead
//! of rendering an empty string. Stands alone: it knows users only as the [`Subject`] given.
//!
//! Variables: `username`, `sub`, `attrs` (every current attribute, name -> value), the
//! standard attributes as top-level variables (`email`, ...), custom ones under `custom`
//! (`custom.tenant`), and `row` (the input row's columns or keys) when there is an input.
//! Filters added to MiniJinja's own: `domain`, `local_part`, `sha256`.
//!
//! Besides attributes, `--set` may name the reserved columns `groups_add`, `groups_remove`
//! and `enabled` (`columns.rs`): a computed row then carries them as an input row would.

use std::collections::BTreeMap;

pub use checks::References;
use checks::{callables, known};
pub use eval::Evaluator;
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};

/// Instructions one evaluation may run: far more than any sensible template needs, few enough
/// that a runaway loop ends quickly.
const FUEL: u64 = 100_000;

/// A flag that does not parse, quoting the flag and the position.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RuleError(pub String);

/// The rules of a computed backfill, parsed once.
pub struct Rules {
    env: Environment<'static>,
    /// The attributes to set, in flag order; each is also its template's name.
    targets: Vec<String>,
    /// The reserved columns to set (`columns::COLUMNS`), in flag order; each is also its
    /// template's name.
    columns: Vec<String>,
    where_text: Option<String>,
    empty_is_delete: bool,
    /// What the rules read of users and rows, checked once the schema and columns are known.
    references: References,
}

/// What one user's values come to.
#[derive(Debug, Clone, PartialEq)]
pub enum Computed {
    /// `--where` is false for this user: left alone.
    Skipped,
    /// The attributes to set (None: delete, with `--empty-is-delete`), then the reserved
    /// columns (`groups_add`, `groups_remove`: names separated by a space; `enabled`).
    Changes(Vec<(String, Option<String>)>),
    /// Why this user's row is invalid, per attribute (`--where` for the expression).
    Failed(Vec<(String, String)>),
}

/// A user as the templates see it.
#[derive(Debug, Clone)]
pub struct Subject<'a> {
    pub username: &'a str,
    /// Current attributes, name -> value (`sub` among them).
    pub attrs: &'a BTreeMap<String, String>,
    /// The input row's fields, when there is an input file.
    pub row: Option<&'a serde_json::Map<String, serde_json::Value>>,
}

impl Rules {
    /// Parses `--set NAME=TEMPLATE` flags and `--where EXPR`. Errors quote the flag and the
    /// position, and come before any call.
    pub fn parse(
        sets: &[String],
        where_: Option<&str>,
        empty_is_delete: bool,
    ) -> Result<Rules, RuleError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(FUEL));
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        env.add_filter("domain", domain);
        env.add_filter("local_part", local_part);
        env.add_filter("sha256", sha256);
        strict::install(&mut env);
        let mut targets = Vec::new();
        let mut columns = Vec::new();
        let mut references = References::default();
        for set in sets {
            let Some((name, template)) = set.split_once('=').filter(|(n, _)| !n.is_empty()) else {
                return Err(RuleError(format!(
                    "--set {set:?}: expected NAME=TEMPLATE, e.g. 'custom:tenant={{{{ email | domain }}}}'"
                )));
            };
            let name = name.trim().to_string();
            let reserved = columns::reserved(&name);
            if let Err(why) = crate::cognito::rules::check_name(&name).or_else(|e| match reserved {
                true => Ok(()),
                false => Err(e),
            }) {
                return Err(RuleError(format!("--set {name}: {name} {why}")));
            }
            if targets.contains(&name) || columns.contains(&name) {
                return Err(RuleError(format!("--set {name}: given twice")));
            }
            env.add_template_owned(name.clone(), template.to_string())
                .map_err(|e| RuleError(position(&format!("--set {name}"), template, &e)))?;
            let used = env
                .get_template(&name)
                .map(|t| t.undeclared_variables(false))
                .unwrap_or_default();
            known(&format!("--set {name}"), used)?;
            if let Ok(t) = env.get_template(&name) {
                callables(&env, &format!("--set {name}"), &t)?;
                references.add(&format!("--set {name}"), &t);
            }
            match reserved {
                true => columns.push(name),
                false => targets.push(name),
            }
        }
        if let Some(expr) = where_ {
            let compiled = env
                .compile_expression(expr)
                .map_err(|e| RuleError(position("--where", expr, &e)))?;
            known("--where", compiled.undeclared_variables(false))?;
            // The same expression as a template, for its instructions.
            let source = format!("{{{{ {expr} }}}}");
            if let Ok(t) = env.template_from_str(&source) {
                callables(&env, "--where", &t)?;
                references.add("--where", &t);
            }
        }
        Ok(Rules {
            env,
            targets,
            columns,
            where_text: where_.map(str::to_string),
            empty_is_delete,
            references,
        })
    }

    /// The attributes `--set` writes.
    pub fn targets(&self) -> &[String] {
        &self.targets
    }

    /// What the rules read of users (`custom.X`, `attrs["X"]`) and of the input's rows.
    pub fn references(&self) -> &References {
        &self.references
    }
}

/// A parse error as `FLAG: does not parse at column N: why`, with the text and a caret.
fn position(flag: &str, source: &str, e: &Error) -> String {
    let at = e.range().map(|r| r.start).unwrap_or(source.len());
    let column = source.get(..at).unwrap_or(source).chars().count() + 1;
    let line = e.line().unwrap_or(1);
    let why = e.detail().unwrap_or("syntax error");
    format!(
        "{flag}: does not parse at line {line}, column {column}: {why}\n  {source}\n  {caret:>column$}",
        caret = "^"
    )
}

/// The part of an email address after the last `@`.
fn domain(value: &str) -> Result<String, Error> {
    match value.rsplit_once('@') {
        Some((_, d)) if !d.is_empty() => Ok(d.to_string()),
        _ => Err(Error::new(
            ErrorKind::InvalidOperation,
            "domain: the value has no @",
        )),
    }
}

/// The part of an email address before the last `@`.
fn local_part(value: &str) -> Result<String, Error> {
    match value.rsplit_once('@') {
        Some((l, _)) => Ok(l.to_string()),
        None => Err(Error::new(
            ErrorKind::InvalidOperation,
            "local_part: the value has no @",
        )),
    }
}

/// The hex SHA-256 of the value's UTF-8 bytes.
fn sha256(value: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(value.as_bytes()))
}

mod checks;
pub mod columns;
mod eval;
mod strict;
#[cfg(test)]
mod tests;
