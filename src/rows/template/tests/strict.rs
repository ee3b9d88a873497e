//! Strict about undefined values where MiniJinja's built-ins are lenient: filters and tests
//! that took an undefined value silently now fail the row, `--where` decides only with true or
//! false, and a null in the input row is no value. Apart because it tests `strict.rs`.

use super::*;

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
