//! The templates and `--where` on users: variables, filters, strict undefined values, runaway
//! templates, and the typos refused before any call.

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

#[test]
fn the_attributes_and_columns_a_rule_reads_are_known_before_any_call() {
    let rules = Rules::parse(
        &["custom:t={{ custom.tenatn }}{{ row.Plan }}{% if attrs['custom:x'] %}{{ row['Id'] }}{% endif %}".into()],
        Some("attrs.email is defined and custom.tier is undefined"),
        false,
    )
    .unwrap();
    let refs = rules.references();
    let names: Vec<(&str, &str)> = refs
        .attributes
        .iter()
        .map(|(f, n)| (f.as_str(), n.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("--set custom:t", "custom:tenatn"),
            ("--set custom:t", "custom:x"),
            ("--where", "email"),
            ("--where", "custom:tier")
        ]
    );
    let columns: Vec<&str> = refs.columns.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(columns, ["Plan", "Id"]);
    assert_eq!(refs.row_flags, ["--set custom:t"]);
}

#[test]
fn filters_that_took_an_undefined_value_silently_now_fail_the_row() {
    let user = attrs(&[("email", "a@x.example")]);
    for template in [
        "{{ given_name | join(',') }}",
        "{{ [email, given_name] | join(' ') }}",
        "{{ given_name | tojson }}",
        "{{ {'a': given_name} | tojson }}",
        "{{ given_name | e }}",
        "{{ given_name | escape }}",
        "{{ given_name | pprint }}",
        "{{ '%s' | format(given_name) }}",
    ] {
        // With --empty-is-delete, an empty render would delete: it must fail instead.
        let set = format!("nickname={template}");
        let rules = Rules::parse(&[set], None, true).unwrap();
        let subject = Subject {
            username: "u",
            attrs: &user,
            row: None,
        };
        let computed = rules.evaluator().eval(&subject);
        assert!(
            matches!(&computed, Computed::Failed(f) if f[0].1 == "undefined value"),
            "{template}: {computed:?}"
        );
    }
    // Defined values go through them as before.
    for (template, out) in [
        ("{{ [email, 'b'] | join(' ') }}", "a@x.example b"),
        ("{{ {'a': email} | tojson }}", "{\"a\":\"a@x.example\"}"),
        ("{{ '%s!' | format(email) }}", "a@x.example!"),
        ("{{ given_name | default('x') | join }}", "x"),
    ] {
        assert_eq!(
            eval(&[&format!("nickname={template}")], None, &user),
            set("nickname", out),
            "{template}"
        );
    }
}

#[test]
fn filters_and_tests_named_by_strings_are_checked_too() {
    let parse = |set: &str| {
        Rules::parse(&[set.to_string()], None, false)
            .err()
            .map(|e| e.to_string())
    };
    let e = parse("nickname={{ [email] | map('domian') | join }}").unwrap();
    assert!(e.contains("unknown filter \"domian\""), "{e}");
    let e = parse("nickname={{ [email] | reject('defind') | join }}").unwrap();
    assert!(e.contains("unknown test \"defind\""), "{e}");
    let e = parse("nickname={{ [attrs] | selectattr('email', 'defind') | list }}").unwrap();
    assert!(e.contains("unknown test \"defind\""), "{e}");
    for ok in [
        "nickname={{ [email] | map('lower') | join }}",
        "nickname={{ [email] | select('defined') | join }}",
        "nickname={{ [attrs] | selectattr('email', 'defined') | list | length }}",
        "nickname={{ [attrs] | map(attribute='email') | join }}",
    ] {
        assert_eq!(parse(ok), None, "{ok}");
    }
}

#[test]
fn where_decides_only_with_true_or_false_and_none_is_never_written() {
    let user = attrs(&[("email", "a@x.example"), ("email_verified", "false")]);
    // Cognito's "false" is a non-empty string: it must not select the user.
    for where_ in ["email_verified", "email_verified | lower", "nickname"] {
        let c = eval(&["nickname=x"], Some(where_), &user);
        assert!(
            matches!(&c, Computed::Failed(f) if f[0].0 == "--where"),
            "{where_}: {c:?}"
        );
        if let Computed::Failed(f) = &c {
            assert!(
                !f[0].1.contains("false\""),
                "no value in the message: {}",
                f[0].1
            );
        }
    }
    assert_eq!(
        eval(&["nickname=x"], Some("email_verified == 'false'"), &user),
        set("nickname", "x")
    );
    assert_eq!(
        eval(&["nickname=x"], Some("email_verified == 'true'"), &user),
        Computed::Skipped
    );
    // none is no value to write; booleans are written as Cognito writes them.
    assert!(matches!(
        eval(&["nickname={{ none }}"], None, &user),
        Computed::Failed(_)
    ));
    assert_eq!(
        eval(&["nickname={{ email is defined }}"], None, &user),
        set("nickname", "true")
    );
}

#[test]
fn a_null_in_the_input_row_is_no_value_and_chain_zip_stay_strict() {
    let user = attrs(&[("email", "a@x.example")]);
    let row: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(r#"{"Plan": null, "Vip": true}"#).unwrap();
    let rules = |set: &str| Rules::parse(&[set.to_string()], None, true).unwrap();
    let subject = Subject {
        username: "u",
        attrs: &user,
        row: Some(&row),
    };
    let out = |set: &str| rules(set).evaluator().eval(&subject);
    assert!(matches!(
        out("nickname={{ row.Plan }}"),
        Computed::Failed(_)
    ));
    assert_eq!(
        out("nickname={{ row.Plan | default('free') }}"),
        set("nickname", "free")
    );
    assert_eq!(out("nickname={{ row.Vip }}"), set("nickname", "true"));
    for template in [
        "nickname={{ given_name | chain | join }}",
        "nickname={{ [1] | chain(given_name) | join }}",
        "nickname={{ given_name | zip | list | length }}",
        "nickname={{ given_name | groupby('x') | length }}",
    ] {
        assert!(matches!(out(template), Computed::Failed(_)), "{template}");
    }
}

#[test]
fn in_and_attr_forms_name_what_they_read() {
    let rules = Rules::parse(
        &["nickname={{ custom | attr('tenatn') | default('x') }}".into()],
        Some("'custom:tenatn' not in attrs and 'tier' in custom and 'Plna' in row"),
        false,
    )
    .unwrap();
    let refs = rules.references();
    let names: Vec<&str> = refs.attributes.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, ["custom:tenatn", "custom:tenatn", "custom:tier"]);
    let columns: Vec<&str> = refs.columns.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(columns, ["Plna"]);
}
