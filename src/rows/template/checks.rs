//! The checks that make a typo in `--set` or `--where` a setup error before any call, where
//! MiniJinja would only fail (or, for some uses, pass silently) user by user: a variable no
//! user can have, a filter or test that does not exist.

use minijinja::{Environment, ErrorKind};

use super::RuleError;

/// Names a template may use besides the user's variables: MiniJinja's own functions.
const FUNCTIONS: &[&str] = &[
    "range",
    "dict",
    "namespace",
    "debug",
    "lipsum",
    "cycler",
    "joiner",
];

/// Refuses a variable no user can have (a typo such as `famly_name`): strict undefined values
/// do not stop every use (`format`, `join`, `tojson` take them), so a typo would otherwise
/// render or delete silently.
pub(super) fn known(flag: &str, used: std::collections::HashSet<String>) -> Result<(), RuleError> {
    let mut unknown: Vec<String> = used
        .into_iter()
        .filter(|v| {
            !matches!(v.as_str(), "username" | "sub" | "attrs" | "custom" | "row")
                && !crate::cognito::rules::STANDARD_ATTRIBUTES.contains(&v.as_str())
                && !FUNCTIONS.contains(&v.as_str())
        })
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    unknown.sort();
    Err(RuleError(format!(
        "{flag}: unknown variable {}: the variables are username, sub, attrs, custom, row and \
         the standard attributes (email, given_name, ...)",
        unknown.join(", ")
    )))
}

/// Refuses a filter or test the environment lacks (`{{ email | domian }}`): MiniJinja looks
/// them up only when they run, so a typo would fail every user's row one by one; Jinja2
/// refuses it when compiling, and so does this, before any call.
pub(super) fn callables(
    env: &Environment,
    flag: &str,
    template: &minijinja::Template,
) -> Result<(), RuleError> {
    use minijinja::machinery::{Instruction, get_compiled_template};
    let compiled = get_compiled_template(template);
    let lists = std::iter::once(&compiled.instructions).chain(compiled.blocks.values());
    for list in lists {
        for i in 0..list.len() {
            let named = match list.get(i as u32) {
                Some(Instruction::ApplyFilter(name, args, _)) => {
                    // A filter or test named by a string: `map("lower")`, `select("odd")`,
                    // `selectattr("x", "odd")` (the name is the last argument, a constant).
                    let by_string = i
                        .checked_sub(1)
                        .and_then(|p| match list.get(p as u32) {
                            Some(Instruction::LoadConst(v)) => v.as_str(),
                            _ => None,
                        })
                        .and_then(|n| match (*name, args) {
                            ("map", Some(2)) => Some(("filter", n)),
                            ("select" | "reject", Some(2)) => Some(("test", n)),
                            ("selectattr" | "rejectattr", Some(3)) => Some(("test", n)),
                            _ => None,
                        });
                    exists(env, "filter", name).and(match by_string {
                        Some((kind, n)) => exists(env, kind, n),
                        None => Ok(()),
                    })
                }
                Some(Instruction::PerformTest(name, ..)) => exists(env, "test", name),
                _ => continue,
            };
            named.map_err(|(kind, name)| {
                let known = match kind {
                    "filter" => {
                        "the filters are MiniJinja's own (lower, upper, split, default, \
                         replace, ...) and domain, local_part, sha256"
                    }
                    _ => {
                        "the tests are MiniJinja's own (defined, undefined, none, string, \
                         number, startingwith, in, ...)"
                    }
                };
                RuleError(format!("{flag}: unknown {kind} {name:?}; {known}"))
            })?;
        }
    }
    Ok(())
}

/// Whether the filter or test `name` exists: calling it on `none` tells (only the lookup's
/// error counts). Err names what is missing.
fn exists<'a>(
    env: &Environment,
    kind: &'static str,
    name: &'a str,
) -> Result<(), (&'static str, &'a str)> {
    let probe = match kind {
        "filter" => format!("none | {name}"),
        _ => format!("none is {name}"),
    };
    // Only an identifier can be probed this way; anything else cannot be a name anyway.
    if !name.chars().all(|c| c.is_alphanumeric() || c == '_') || name.is_empty() {
        return Err((kind, name));
    }
    let missing = env
        .compile_expression(&probe)
        .and_then(|e| e.eval(()))
        .is_err_and(|e| matches!(e.kind(), ErrorKind::UnknownFilter | ErrorKind::UnknownTest));
    match missing {
        true => Err((kind, name)),
        false => Ok(()),
    }
}

/// What a template reads of a user and of the input row, by name: checked against the pool's
/// schema and the input's columns once they are known, before any write, so that a typo
/// (`custom.tenatn is not defined`, `row.Plna`) is refused instead of matching every user.
#[derive(Debug, Default, Clone)]
pub struct References {
    /// `custom.X` (as `custom:X`), `attrs.X`, `attrs["X"]`, with the flag that reads it.
    pub attributes: Vec<(String, String)>,
    /// `row.X`, `row["X"]`, with the flag.
    pub columns: Vec<(String, String)>,
    /// Flags that read `row` at all.
    pub row_flags: Vec<String>,
}

impl References {
    /// Adds what `template` (of `flag`) reads, from its compiled instructions.
    pub(super) fn add(&mut self, flag: &str, template: &minijinja::Template) {
        use minijinja::machinery::{Instruction, get_compiled_template};
        let compiled = get_compiled_template(template);
        let lists = std::iter::once(&compiled.instructions).chain(compiled.blocks.values());
        for list in lists {
            let at = |i: usize| list.get(i as u32);
            for i in 0..list.len() {
                let Some(Instruction::Lookup(var)) = at(i) else {
                    continue;
                };
                // The name read: `.X`, `["X"]` or `| attr("X")` with a constant string, or
                // `"X" in ...` / `"X" not in ...`. (A name computed at run time is not known.)
                let before = i.checked_sub(1).and_then(at);
                let name = match (before, at(i + 1), at(i + 2)) {
                    (_, Some(Instruction::GetAttr(n)), _) => Some(n.to_string()),
                    (_, Some(Instruction::LoadConst(v)), Some(Instruction::GetItem)) => {
                        v.as_str().map(str::to_string)
                    }
                    (
                        _,
                        Some(Instruction::LoadConst(v)),
                        Some(Instruction::ApplyFilter("attr", Some(2), _)),
                    ) => v.as_str().map(str::to_string),
                    (Some(Instruction::LoadConst(v)), Some(Instruction::In), _) => {
                        v.as_str().map(str::to_string)
                    }
                    _ => None,
                };
                let flag = flag.to_string();
                match (*var, name) {
                    ("custom", Some(n)) => self.attributes.push((flag, format!("custom:{n}"))),
                    ("attrs", Some(n)) => self.attributes.push((flag, n)),
                    ("row", name) => {
                        if !self.row_flags.contains(&flag) {
                            self.row_flags.push(flag.clone());
                        }
                        if let Some(n) = name {
                            self.columns.push((flag, n));
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}
