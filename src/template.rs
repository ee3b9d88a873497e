//! Computed values (`--set NAME=TEMPLATE`, `--where EXPR`): MiniJinja templates evaluated per
//! user, sandboxed (no I/O), with strict undefined values so that a typo fails loudly instead
//! of rendering an empty string. Stands alone: it knows users only as the [`Subject`] given.
//!
//! Variables: `username`, `sub`, `attrs` (every current attribute, name -> value), the
//! standard attributes as top-level variables (`email`, ...), custom ones under `custom`
//! (`custom.tenant`), and `row` (the input row's columns or keys) when there is an input.
//! Filters added to MiniJinja's own: `domain`, `local_part`, `sha256`.

use std::collections::BTreeMap;

use minijinja::value::Value;
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
        let mut targets = Vec::new();
        for set in sets {
            let Some((name, template)) = set.split_once('=').filter(|(n, _)| !n.is_empty()) else {
                return Err(RuleError(format!(
                    "--set {set:?}: expected NAME=TEMPLATE, e.g. 'custom:tenant={{{{ email | domain }}}}'"
                )));
            };
            let name = name.trim().to_string();
            if let Err(why) = crate::validate::check_name(&name) {
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
            }
        }
        Ok(Rules {
            env,
            targets,
            where_text: where_.map(str::to_string),
            empty_is_delete,
        })
    }

    /// The attributes `--set` writes.
    pub fn targets(&self) -> &[String] {
        &self.targets
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
fn known(flag: &str, used: std::collections::HashSet<String>) -> Result<(), RuleError> {
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
fn callables(
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
                Ok(v) if v.is_true() => {}
                Ok(_) => return Computed::Skipped,
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
        ctx.insert("row".into(), Value::from_serialize(row));
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
        Some(d) => format!("{what}: {d}"),
        None => what,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn eval(sets: &[&str], where_: Option<&str>, user: &BTreeMap<String, String>) -> Computed {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        let rules = Rules::parse(&sets, where_, false).unwrap();
        rules.evaluator().eval(&Subject {
            username: "alice",
            attrs: user,
            row: None,
        })
    }

    fn set(name: &str, v: &str) -> Computed {
        Computed::Changes(vec![(name.to_string(), Some(v.to_string()))])
    }

    #[test]
    fn variables_and_builtin_filters() {
        let u = attrs(&[
            ("email", "Bob@Example.COM"),
            ("sub", "s-1"),
            ("custom:tier", "pro"),
        ]);
        let c = eval(
            &[r#"custom:tenant={{ email | split("@") | last | lower }}"#],
            None,
            &u,
        );
        assert_eq!(c, set("custom:tenant", "example.com"));
        let c = eval(
            &["nickname={{ username }}-{{ sub }}-{{ custom.tier }}-{{ attrs['custom:tier'] }}"],
            None,
            &u,
        );
        assert_eq!(c, set("nickname", "alice-s-1-pro-pro"));
    }

    #[test]
    fn added_filters() {
        let u = attrs(&[("email", "a.b@Corp.example")]);
        assert_eq!(
            eval(&["custom:d={{ email | domain | lower }}"], None, &u),
            set("custom:d", "corp.example")
        );
        assert_eq!(
            eval(&["custom:l={{ email | local_part }}"], None, &u),
            set("custom:l", "a.b")
        );
        assert_eq!(
            eval(&["custom:h={{ 'abc' | sha256 }}"], None, &u),
            set(
                "custom:h",
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
            )
        );
        // default works on undefined values even under strict undefined
        assert_eq!(
            eval(
                &["custom:t={{ custom.tenant | default('none') }}"],
                None,
                &u
            ),
            set("custom:t", "none")
        );
        let no_at = attrs(&[("email", "nobody")]);
        match eval(&["custom:d={{ email | domain }}"], None, &no_at) {
            Computed::Failed(f) => assert!(f[0].1.contains("no @"), "{f:?}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn where_selects_users() {
        let w = Some(r#"attrs["custom:tenant"] is not defined and email is defined"#);
        let untagged = attrs(&[("email", "a@x.example")]);
        let tagged = attrs(&[("email", "a@x.example"), ("custom:tenant", "x")]);
        let no_email = attrs(&[("name", "A")]);
        let sets = ["custom:tenant={{ email | domain }}"];
        assert_eq!(eval(&sets, w, &untagged), set("custom:tenant", "x.example"));
        assert_eq!(eval(&sets, w, &tagged), Computed::Skipped);
        assert_eq!(eval(&sets, w, &no_email), Computed::Skipped);
        let short = Some("custom.tenant is not defined and email is defined");
        assert_eq!(
            eval(&sets, short, &untagged),
            set("custom:tenant", "x.example")
        );
        assert_eq!(eval(&sets, short, &tagged), Computed::Skipped);
        assert_eq!(eval(&sets, Some("false"), &untagged), Computed::Skipped);
    }

    #[test]
    fn strict_undefined_fails_the_row_only() {
        let u = attrs(&[("name", "A")]);
        assert!(matches!(
            eval(&["custom:t={{ email | domain }}"], None, &u),
            Computed::Failed(_)
        ));
        match eval(&["custom:t={{ email }}"], None, &u) {
            Computed::Failed(f) => {
                assert_eq!(f[0].0, "custom:t");
                assert!(f[0].1.contains("undefined"), "{f:?}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn empty_renders_are_refused_unless_asked() {
        let u = attrs(&[("email", "a@x.example")]);
        let sets = vec!["nickname={{ '' }}".to_string()];
        let subject = Subject {
            username: "a",
            attrs: &u,
            row: None,
        };
        let refused = Rules::parse(&sets, None, false).unwrap();
        assert!(matches!(
            refused.evaluator().eval(&subject),
            Computed::Failed(_)
        ));
        let deleting = Rules::parse(&sets, None, true).unwrap();
        assert_eq!(
            deleting.evaluator().eval(&subject),
            Computed::Changes(vec![("nickname".into(), None)])
        );
    }

    #[test]
    fn row_fields() {
        let u = attrs(&[]);
        let row: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(r#"{"Plan": "GOLD", "Id": 42}"#).unwrap();
        let sets = vec!["custom:plan={{ row.Plan | lower }}-{{ row.Id }}".to_string()];
        let rules = Rules::parse(&sets, None, false).unwrap();
        let c = rules.evaluator().eval(&Subject {
            username: "a",
            attrs: &u,
            row: Some(&row),
        });
        assert_eq!(c, set("custom:plan", "gold-42"));
    }

    #[test]
    fn parse_errors_quote_flag_and_position() {
        let e = Rules::parse(&["custom:t={{ email | }}".into()], None, false)
            .err()
            .unwrap()
            .0;
        assert!(
            e.starts_with("--set custom:t: does not parse at line 1, column "),
            "{e}"
        );
        assert!(e.contains("{{ email | }}"), "{e}");
        let e = Rules::parse(&[], Some("email is"), false).err().unwrap().0;
        assert!(e.starts_with("--where: does not parse"), "{e}");
        let e = Rules::parse(&["sub={{ 1 }}".into()], None, false)
            .err()
            .unwrap()
            .0;
        assert!(e.contains("--set sub"), "{e}");
        let e = Rules::parse(&["nothing".into()], None, false)
            .err()
            .unwrap()
            .0;
        assert!(e.contains("NAME=TEMPLATE"), "{e}");
    }

    #[test]
    fn runaway_templates_stop() {
        let u = attrs(&[]);
        let c = eval(
            &[
                "custom:x={% for a in range(10000) %}{% for b in range(10000) %}x{% endfor %}{% endfor %}",
            ],
            None,
            &u,
        );
        assert!(matches!(c, Computed::Failed(_)), "{c:?}");
    }
}

#[cfg(test)]
mod typo_tests {
    use super::Rules;

    #[test]
    fn a_variable_no_user_can_have_is_refused_before_any_call() {
        for set in [
            "nickname={{ \"%s-%s\"|format(given_name, famly_name) }}",
            "nickname={{ [given_name, famly_name]|join(\" \") }}",
            "nickname={{ {\"a\": famly_name}|tojson }}",
        ] {
            let err = Rules::parse(&[set.to_string()], None, true)
                .err()
                .expect(set);
            assert!(
                err.to_string().contains("unknown variable famly_name"),
                "{err}"
            );
        }
        let err = Rules::parse(&["nickname=x".into()], Some("emial is defined"), false)
            .err()
            .unwrap();
        assert!(
            err.to_string().contains("--where: unknown variable emial"),
            "{err}"
        );
        assert!(
            Rules::parse(
                &[
                    "custom:t={{ email | domain }}{% for i in range(2) %}{{ row.X }}{% endfor %}"
                        .into()
                ],
                Some("attrs[\"custom:t\"] is not defined and custom.t is undefined and sub"),
                false
            )
            .is_ok()
        );
    }

    #[test]
    fn an_unknown_filter_or_test_is_refused_before_any_call() {
        let parse = |set: &str, where_: Option<&str>| {
            Rules::parse(&[set.to_string()], where_, false)
                .err()
                .map(|e| e.to_string())
        };
        let e = parse("custom:t={{ email | domian }}", None).unwrap();
        assert!(
            e.contains("--set custom:t: unknown filter \"domian\""),
            "{e}"
        );
        let e = parse("custom:t={% filter uper %}x{% endfilter %}", None).unwrap();
        assert!(e.contains("unknown filter \"uper\""), "{e}");
        let e = parse("custom:t=x", Some("email | lowr == 'a'")).unwrap();
        assert!(e.contains("--where: unknown filter \"lowr\""), "{e}");
        let e = parse("custom:t=x", Some("email is defind")).unwrap();
        assert!(e.contains("--where: unknown test \"defind\""), "{e}");
        // Every filter and test the README names passes, whatever it would do to `none`.
        assert_eq!(
            parse(
                "custom:t={{ email | split('@') | last | lower | upper | trim | replace('a', 'b') \
                 | domain | local_part | sha256 | default('x') | title }}",
                Some("email is defined and email is string and custom.t is undefined")
            ),
            None
        );
    }
}
