//! One user's computed values: the compiled rules run against a [`Subject`] (`--where`, then
//! every `--set`), the template context built from the user's attributes and row, and a
//! render failure described without the values it may quote. Apart from the parsing in
//! `mod.rs` because it runs once per user, where the parsing runs once per run.

use std::collections::BTreeMap;

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind, Expression};

use super::{Computed, Rules, Subject, columns};

impl Rules {
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
        for column in &self.rules.columns {
            let rendered = self.rules.env.get_template(column);
            let rendered = rendered
                .and_then(|t| t.render(&ctx))
                .map_err(|e| describe(&e));
            match rendered.and_then(|v| columns::render(column, &v)) {
                Ok(Some(value)) => changes.push((column.clone(), Some(value))),
                Ok(None) => {}
                Err(why) => failures.push((format!("--set {column}"), why)),
            }
        }
        if columns::both(&changes).is_some() {
            let why = "a group is both added and removed".to_string();
            failures.push(("--set groups_add, groups_remove".into(), why));
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
