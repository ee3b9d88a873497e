//! Per-row checks that need no network: attribute names, value sizes and formats.
//!
//! These are Cognito's own rules, checked up front so that a bad row is reported with its line
//! number instead of costing an API call (and a slot of the shared quota) only to be refused.

use crate::cognito::rules::{MAX_VALUE_CHARS, check_name, is_e164, is_read_only};
use crate::model::row::{Change, Code, Problem, Record};

/// Checks a record's attributes and adds every problem found to it.
pub fn check(record: &mut Record) {
    if record.row.username.is_empty() {
        record.problems.push(Problem::row(
            Code::MissingUsername,
            "the user key is missing or empty",
        ));
    }
    if record.row.username.contains('\0') {
        record.problems.push(Problem::row(
            Code::InvalidCharacter,
            "the user key contains a NUL character",
        ));
    }
    let no_ops = record.row.ops.is_empty() && record.row.exact_groups.is_none();
    if no_ops && record.problems.is_empty() {
        record.problems.push(Problem::row(
            Code::NoChanges,
            "the row changes no attribute",
        ));
    }
    let mut seen: Vec<&str> = Vec::new();
    for change in record.row.attrs() {
        let name = change.name.as_str();
        if seen.contains(&name) {
            record.problems.push(Problem::attr(
                Code::DuplicateAttribute,
                name,
                "the attribute appears twice in the row",
            ));
            continue;
        }
        seen.push(name);
        if let Err(message) = check_name(name) {
            let code = if is_read_only(name) {
                Code::ReadOnlyAttribute
            } else {
                Code::UnknownAttribute
            };
            record.problems.push(Problem::attr(code, name, message));
            continue;
        }
        if let Change::Set(value) = &change.change
            && let Err((code, message)) = check_value(name, value)
        {
            record.problems.push(Problem::attr(code, name, message));
        }
    }
}

/// Checks a value to be set. Messages never quote the value: it is personal data.
fn check_value(name: &str, value: &str) -> Result<(), (Code, String)> {
    // Counting stops past the limit: a hostile 1 GB value costs no more than a short one.
    let chars = value.chars().take(MAX_VALUE_CHARS + 1).count();
    if chars > MAX_VALUE_CHARS {
        let chars = value.chars().count();
        return Err((
            Code::ValueTooLong,
            format!("value is {chars} characters, Cognito allows at most {MAX_VALUE_CHARS}"),
        ));
    }
    if value.contains('\0') {
        return Err((
            Code::InvalidCharacter,
            "value contains a NUL character".to_string(),
        ));
    }
    match name {
        "email_verified" | "phone_number_verified" if value != "true" && value != "false" => Err((
            Code::InvalidBoolean,
            "must be \"true\" or \"false\"".to_string(),
        )),
        // Cognito refuses any other form at send time, one failed call each.
        "phone_number" if !is_e164(value) => Err((
            Code::InvalidPhoneNumber,
            "must be in E.164 form: + then the country code and number, digits only (+15551000003)"
                .to_string(),
        )),
        // Digits only: `parse::<u64>` alone would also take a leading `+`.
        "updated_at"
            if !value.bytes().all(|b| b.is_ascii_digit()) || value.parse::<u64>().is_err() =>
        {
            Err((
                Code::InvalidNumber,
                "must be a number of seconds since 1970-01-01".to_string(),
            ))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_must_be_e164() {
        for good in ["+15551000003", "+447700900123", "+33"] {
            assert!(is_e164(good), "{good}");
        }
        for bad in [
            "(555) 100-0003",
            "+1 555 100 0023",
            "15551000003",
            "+",
            "+0123",
            "+1555100000312345",
            "+1-555-100",
        ] {
            assert!(!is_e164(bad), "{bad}");
        }
        let mut r = record("alice", &[("phone_number", Some("(555) 100-0003"))]);
        check(&mut r);
        assert_eq!(r.problems[0].code.as_str(), "InvalidPhoneNumber");
    }

    fn record(username: &str, changes: &[(&str, Option<&str>)]) -> Record {
        Record::for_test(username, changes)
    }

    fn codes(mut r: Record) -> Vec<&'static str> {
        check(&mut r);
        r.problems.iter().map(|p| p.code.as_str()).collect()
    }

    #[test]
    fn accepts_standard_custom_and_developer_attributes() {
        let r = record(
            "alice",
            &[
                ("email", Some("a@example.com")),
                ("custom:tier", Some("pro")),
                ("dev:custom:x", Some("1")),
                ("nickname", None),
                ("email_verified", Some("true")),
            ],
        );
        assert!(codes(r).is_empty());
    }

    #[test]
    fn refuses_bad_names() {
        assert_eq!(
            codes(record("a", &[("tier", Some("x"))])),
            ["UnknownAttribute"]
        );
        assert_eq!(
            codes(record("a", &[("sub", Some("x"))])),
            ["ReadOnlyAttribute"]
        );
        assert_eq!(
            codes(record("a", &[("cognito:user_status", Some("x"))])),
            ["ReadOnlyAttribute"]
        );
        assert_eq!(
            codes(record("a", &[("custom:", Some("x"))])),
            ["UnknownAttribute"]
        );
        let long = format!("custom:{}", "x".repeat(21));
        assert_eq!(
            codes(record("a", &[(&long, Some("x"))])),
            ["UnknownAttribute"]
        );
        let ok = format!("custom:{}", "é".repeat(20));
        assert!(codes(record("a", &[(&ok, Some("x"))])).is_empty());
    }

    #[test]
    fn checks_values() {
        // The limit counts characters (Unicode scalar values), as Cognito's API model does.
        let max = "é".repeat(2048); // 4,096 bytes
        assert!(codes(record("a", &[("custom:t", Some(&max))])).is_empty());
        let emoji = "😀".repeat(2048); // 8,192 bytes
        assert!(codes(record("a", &[("custom:t", Some(&emoji))])).is_empty());
        let over = max + "x";
        assert_eq!(
            codes(record("a", &[("custom:t", Some(&over))])),
            ["ValueTooLong"]
        );
        let mut r = record("a", &[("custom:t", Some(&over))]);
        check(&mut r);
        assert!(r.problems[0].message.contains("2049 characters"));
        assert_eq!(
            codes(record("a", &[("email_verified", Some("yes"))])),
            ["InvalidBoolean"]
        );
        for bad in ["x", "+5", "-5", " 5", "5 ", "1e3", "1.5", ""] {
            assert_eq!(
                codes(record("a", &[("updated_at", Some(bad))])),
                ["InvalidNumber"],
                "{bad:?}"
            );
        }
        assert!(codes(record("a", &[("updated_at", Some("1700000000"))])).is_empty());
    }

    #[test]
    fn refuses_nul_characters() {
        let mut r = record(
            "a",
            &[("nickname", Some("x\0y")), ("given_name", Some("ok"))],
        );
        check(&mut r);
        assert_eq!(r.problems.len(), 1);
        assert_eq!(r.problems[0].code.as_str(), "InvalidCharacter");
        assert_eq!(r.problems[0].attribute.as_deref(), Some("nickname"));
        assert_eq!(
            codes(record("al\0ice", &[("nickname", Some("x"))])),
            ["InvalidCharacter"]
        );
    }

    #[test]
    fn refuses_rows_without_user_or_changes_and_repeated_attributes() {
        assert_eq!(
            codes(record("", &[("email", Some("x"))])),
            ["MissingUsername"]
        );
        assert_eq!(codes(record("a", &[])), ["NoChanges"]);
        assert_eq!(
            codes(record("a", &[("email", Some("x")), ("email", None)])),
            ["DuplicateAttribute"]
        );
    }

    #[test]
    fn messages_never_contain_values() {
        let mut r = record("a", &[("email_verified", Some("SECRET-VALUE"))]);
        check(&mut r);
        assert!(!r.invalid("f.csv").to_string().contains("SECRET-VALUE"));
    }
}
