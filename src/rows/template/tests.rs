//! The templates and `--where` on users: variables, filters, strict undefined values, runaway
//! templates; the typos refused before any call and the strict built-ins are in `tests/`.

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

mod refused_early;
mod strict;
