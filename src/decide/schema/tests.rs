//! Unit tests of the schema checks, apart so that schema.rs reads as the checks alone.

use super::*;

fn schema() -> Schema {
    Schema::from_attrs([
        (
            "custom:tier".into(),
            AttrSchema {
                mutable: true,
                max_len: Some(5),
                ..Default::default()
            },
        ),
        (
            "custom:plan".into(),
            AttrSchema {
                mutable: false,
                ..Default::default()
            },
        ),
        (
            "custom:n".into(),
            AttrSchema {
                mutable: true,
                number: true,
                ..Default::default()
            },
        ),
        (
            "custom:age".into(),
            AttrSchema {
                mutable: true,
                number: true,
                min_value: Some(0.0),
                max_value: Some(150.0),
                ..Default::default()
            },
        ),
    ])
}

fn codes(changes: &[(&str, &str)]) -> Vec<(&'static str, String)> {
    let changes: Vec<(&str, Option<&str>)> = changes.iter().map(|(n, v)| (*n, Some(*v))).collect();
    let mut r = Record::for_test("u", &changes);
    schema().check(&mut r);
    // Every change here is a real change (no current values): mutability applies.
    let names: Vec<String> = r.row.attrs().map(|c| c.name.clone()).collect();
    schema().check_mutable(&mut r, names.iter().map(String::as_str));
    r.problems
        .into_iter()
        .map(|p| (p.code.as_str(), p.attribute.unwrap()))
        .collect()
}

#[test]
fn checks_against_the_pool() {
    assert!(
        codes(&[
            ("custom:tier", "pro"),
            ("email", "a@b"),
            ("custom:age", "42")
        ])
        .is_empty()
    );
    assert_eq!(
        codes(&[("custom:nope", "x")]),
        [("UnknownAttribute", "custom:nope".into())]
    );
    assert_eq!(
        codes(&[("custom:plan", "x")]),
        [("ImmutableAttribute", "custom:plan".into())]
    );
    assert_eq!(
        codes(&[("custom:tier", "platinum")]),
        [("SchemaViolation", "custom:tier".into())]
    );
    assert_eq!(
        codes(&[("custom:age", "old")]),
        [("SchemaViolation", "custom:age".into())]
    );
    assert_eq!(
        codes(&[("custom:age", "200")]),
        [("SchemaViolation", "custom:age".into())]
    );
    let used = [
        "custom:nope".to_string(),
        "email".into(),
        "custom:tier".into(),
    ];
    assert_eq!(schema().missing(&used), ["custom:nope"]);
}

#[test]
fn number_attributes_take_plain_decimals_only() {
    // What Cognito stores for a Number: an optional minus, digits, an optional fraction.
    for ok in ["0", "42", "-7", "150", "3.14", "-0.5", "007", "0.000"] {
        assert!(codes(&[("custom:n", ok)]).is_empty(), "{ok:?} is a number");
    }
    let refused = [
        "", "NaN", "nan", "inf", "-inf", "infinity", " 5", "5 ", " 5 ", "1e3", "1E3", "+5", ".5",
        "5.", "1.2.3", "--1", "-", "0x10", "1_000", "1,5", "\u{0661}", "5\n",
    ];
    for bad in refused {
        assert_eq!(
            codes(&[("custom:n", bad)]),
            [("SchemaViolation", "custom:n".into())],
            "{bad:?} is not a number"
        );
    }
}
