//! Rules refused before any call (a variable no user can have, an unknown filter or test),
//! and what a rule reads of users and rows, known before any call so that it can be checked
//! against the schema and the input's columns. Apart from the evaluation tests: nothing here
//! renders a template for a user.

use super::*;

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
