//! Computed values (`--set NAME=TEMPLATE`, `--where EXPR`): MiniJinja templates evaluated per
//! user, sandboxed (no I/O), with strict undefined values so that a typo fails loudly instead
//! of rendering an empty string. Stands alone: it knows users only as the [`Subject`] given.
//!
//! Variables: `username`, `sub`, `attrs` (every current attribute, name -> value), the
//! standard attributes as top-level variables (`email`, ...), custom ones under `custom`
//! (`custom.tenant`), and `row` (the input row's columns or keys) when there is an input.
//! Filters added to MiniJinja's own: `domain`, `local_part`, `sha256`.

use std::collections::BTreeMap;

use minijinja::value::{Value, ValueKind};

pub use checks::References;
use checks::{callables, known};
use minijinja::{Environment, Error, ErrorKind, Expression, UndefinedBehavior};

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
    /// The attributes to set (None: delete, with `--empty-is-delete`).
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
        let mut references = References::default();
        for set in sets {
            let Some((name, template)) = set.split_once('=').filter(|(n, _)| !n.is_empty()) else {
                return Err(RuleError(format!(
                    "--set {set:?}: expected NAME=TEMPLATE, e.g. 'custom:tenant={{{{ email | domain }}}}'"
                )));
            };
            let name = name.trim().to_string();
            if let Err(why) = crate::cognito::rules::check_name(&name) {
                return Err(RuleError(format!("--set {name}: {name} {why}")));
            }
            if targets.contains(&name) {
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
            targets.push(name);
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

    /// Compiles the rules for evaluation (once per run).
    pub fn evaluator(&self) -> Evaluator<'_> {
        Evaluator {
            rules: self,
            where_: self.where_text.as_deref().map(|w| {
                self.env
                    .compile_expression(w)
                    .expect("checked by Rules::parse")
            }),
        }
    }
}

/// Longest rendered value kept for the row checks (which refuse anything over 2,048
/// characters with their own message); anything longer fails at once.
const SPOOL_LIMIT: usize = 64 * 1024;

/// The rules ready to run against users.
pub struct Evaluator<'a> {
    rules: &'a Rules,
    where_: Option<Expression<'a, 'a>>,
}

impl Evaluator<'_> {
    /// `--where`, then every `--set`, for one user. Never fails as a whole: a failure is this
    /// user's [`Computed::Failed`].
    pub fn eval(&self, subject: &Subject) -> Computed {
        let ctx = context(subject);
        if let Some(expr) = &self.where_ {
            match expr.eval(&ctx) {
                Ok(v) if v.kind() == ValueKind::Bool && v.is_true() => {}
                Ok(v) if v.kind() == ValueKind::Bool => return Computed::Skipped,
                // A string is true when not empty, so `--where email_verified` would take
                // Cognito's "false" for true: only true or false decides.
                Ok(v) => {
                    // The kind only: the value may be an attribute's, never logged.
                    let why = format!(
                        "gives a {} (not true or false): compare it, e.g. \
                         email_verified == \"true\", nickname is defined",
                        v.kind()
                    );
                    return Computed::Failed(vec![("--where".into(), why)]);
                }
                Err(e) => return Computed::Failed(vec![("--where".into(), describe(&e))]),
            }
        }
        let mut changes = Vec::new();
        let mut failures = Vec::new();
        for name in &self.rules.targets {
            let rendered = self
                .rules
                .env
                .get_template(name)
                .and_then(|t| t.render(&ctx));
            match rendered {
                Ok(v) if v.is_empty() && self.rules.empty_is_delete => {
                    changes.push((name.clone(), None))
                }
                Ok(v) if v.is_empty() => failures.push((
                    name.clone(),
                    "renders to an empty string; pass --empty-is-delete to delete the attribute"
                        .to_string(),
                )),
                // Far over Cognito's limit: refused here, so that the computed rows (spooled to
                // a file before the row checks) never hold a runaway value.
                Ok(v) if v.len() > SPOOL_LIMIT => failures.push((
                    name.clone(),
                    format!(
                        "renders {} bytes, far over the 2,048 characters Cognito allows",
                        v.len()
                    ),
                )),
                Ok(v) => changes.push((name.clone(), Some(v))),
                Err(e) => failures.push((name.clone(), describe(&e))),
            }
        }
        if failures.is_empty() {
            Computed::Changes(changes)
        } else {
            Computed::Failed(failures)
        }
    }
}

/// The template context of one user.
fn context(s: &Subject) -> Value {
    let mut ctx: BTreeMap<String, Value> = BTreeMap::new();
    let mut custom: BTreeMap<String, Value> = BTreeMap::new();
    for (name, value) in s.attrs {
        match name.strip_prefix("custom:") {
            Some(short) => {
                custom.insert(short.to_string(), Value::from(value.as_str()));
            }
            None if !name.contains(':') => {
                ctx.insert(name.clone(), Value::from(value.as_str()));
            }
            None => {}
        }
    }
    ctx.insert("custom".into(), Value::from(custom));
    ctx.insert("attrs".into(), Value::from_serialize(s.attrs));
    ctx.insert("username".into(), Value::from(s.username));
    if let Some(sub) = s.attrs.get("sub") {
        ctx.insert("sub".into(), Value::from(sub.as_str()));
    }
    if let Some(row) = s.row {
        // A null field is no value: undefined, so that `default` applies and any other use
        // fails the row (never the text "none" written to the pool).
        let fields: BTreeMap<&String, &serde_json::Value> =
            row.iter().filter(|(_, v)| !v.is_null()).collect();
        ctx.insert("row".into(), Value::from_serialize(fields));
    }
    Value::from(ctx)
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

/// A render failure for the user's row, without the values.
fn describe(e: &Error) -> String {
    let what = match e.kind() {
        ErrorKind::UndefinedError => "undefined value".to_string(),
        ErrorKind::OutOfFuel => "the template ran too long".to_string(),
        kind => kind.to_string(),
    };
    match e.detail() {
        Some(d) => format!("{what}: {}", without_values(d)),
        None => what,
    }
}

/// A MiniJinja error detail, without the values it may quote: a failed arithmetic operation
/// (an overflow, a division by zero) is described as `unable to calculate LHS OP RHS`, with
/// the operands, which are attribute values or computed from them. Messages never carry
/// values, so that detail is replaced; the others name types, filters and positions.
fn without_values(detail: &str) -> String {
    if detail.starts_with("unable to calculate") {
        "unable to calculate an arithmetic operation: it overflows or divides by zero (the \
         values are not shown)"
            .to_string()
    } else {
        detail.to_string()
    }
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
mod strict;
#[cfg(test)]
mod tests;
