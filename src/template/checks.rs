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
                && !crate::validate::STANDARD_ATTRIBUTES.contains(&v.as_str())
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
            let (kind, probe, name) = match list.get(i as u32) {
                Some(Instruction::ApplyFilter(name, ..)) => {
                    ("filter", format!("none | {name}"), name)
                }
                Some(Instruction::PerformTest(name, ..)) => {
                    ("test", format!("none is {name}"), name)
                }
                _ => continue,
            };
            // Calling it on `none` tells whether it exists: only the lookup's error counts.
            let missing = env
                .compile_expression(&probe)
                .and_then(|e| e.eval(()))
                .is_err_and(|e| {
                    matches!(e.kind(), ErrorKind::UnknownFilter | ErrorKind::UnknownTest)
                });
            if missing {
                return Err(RuleError(format!(
                    "{flag}: unknown {kind} {name:?}; the filters are MiniJinja's own \
                     (lower, upper, split, default, replace, ...) and domain, local_part, sha256"
                )));
            }
        }
    }
    Ok(())
}
