//! Per-row checks that need no network: attribute names, value sizes and formats.
//!
//! These are Cognito's own rules, checked up front so that a bad row is reported with its line
//! number instead of costing an API call (and a slot of the shared quota) only to be refused.

use crate::model::row::{Change, Problem, Record};

/// Each alias attribute with the flag that, set to true in the same call, keeps it verified
/// (otherwise Cognito marks the new address unverified and sends a code).
pub const ALIASES: [(&str, &str); 2] = [
    ("email", "email_verified"),
    ("phone_number", "phone_number_verified"),
];

/// Longest attribute value Cognito accepts, in characters: the API model's length constraint
/// counts Unicode scalar values, so 2,048 `é` (4,096 bytes) fit.
pub const MAX_VALUE_CHARS: usize = 2048;

/// Longest custom attribute name (after `custom:`), in characters.
const MAX_CUSTOM_NAME_CHARS: usize = 20;

/// The standard attributes Cognito defines (OpenID Connect names) that a user may be given.
pub const STANDARD_ATTRIBUTES: &[&str] = &[
    "address",
    "birthdate",
    "email",
    "email_verified",
    "family_name",
    "gender",
    "given_name",
    "locale",
    "middle_name",
    "name",
    "nickname",
    "phone_number",
    "phone_number_verified",
    "picture",
    "preferred_username",
    "profile",
    "updated_at",
    "website",
    "zoneinfo",
];

/// Attributes Cognito maintains itself; writing them is refused.
const READ_ONLY_ATTRIBUTES: &[&str] = &["sub", "identities"];

/// Checks a record's attributes and adds every problem found to it.
pub fn check(record: &mut Record) {
    if record.row.username.is_empty() {
        record.problems.push(Problem::row(
            "MissingUsername",
            "the user key is missing or empty",
        ));
    }
    if record.row.username.contains('\0') {
        record.problems.push(Problem::row(
            "InvalidCharacter",
            "the user key contains a NUL character",
        ));
    }
    if record.row.changes.is_empty() && record.problems.is_empty() {
        record
            .problems
            .push(Problem::row("NoChanges", "the row changes no attribute"));
    }
    let mut seen: Vec<&str> = Vec::new();
    for change in &record.row.changes {
        let name = change.name.as_str();
        if seen.contains(&name) {
            record.problems.push(Problem::attr(
                "DuplicateAttribute",
                name,
                "the attribute appears twice in the row",
            ));
            continue;
        }
        seen.push(name);
        if let Err(message) = check_name(name) {
            let code = if is_read_only(name) {
                "ReadOnlyAttribute"
            } else {
                "UnknownAttribute"
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

fn is_read_only(name: &str) -> bool {
    READ_ONLY_ATTRIBUTES.contains(&name) || name.starts_with("cognito:")
}

/// Whether `name` is an attribute that may be written: a standard one, `custom:NAME` or
/// `dev:custom:NAME`.
pub fn check_name(name: &str) -> Result<(), String> {
    if is_read_only(name) {
        return Err("is maintained by Cognito and cannot be written".into());
    }
    if STANDARD_ATTRIBUTES.contains(&name) {
        return Ok(());
    }
    let custom = name
        .strip_prefix("custom:")
        .or_else(|| name.strip_prefix("dev:custom:"));
    match custom {
        Some(rest) => {
            let chars = rest.chars().count();
            if chars == 0 || chars > MAX_CUSTOM_NAME_CHARS {
                Err(format!(
                    "custom attribute names are 1-{MAX_CUSTOM_NAME_CHARS} characters after the prefix, this one has {chars}"
                ))
            } else if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
                Err("custom attribute names cannot contain spaces or control characters".into())
            } else {
                Ok(())
            }
        }
        None => Err(
            "is not a standard Cognito attribute; custom attributes need the \"custom:\" prefix"
                .into(),
        ),
    }
}

/// Checks a value to be set. Messages never quote the value: it is personal data.
fn check_value(name: &str, value: &str) -> Result<(), (&'static str, String)> {
    // Counting stops past the limit: a hostile 1 GB value costs no more than a short one.
    let chars = value.chars().take(MAX_VALUE_CHARS + 1).count();
    if chars > MAX_VALUE_CHARS {
        let chars = value.chars().count();
        return Err((
            "ValueTooLong",
            format!("value is {chars} characters, Cognito allows at most {MAX_VALUE_CHARS}"),
        ));
    }
    if value.contains('\0') {
        return Err((
            "InvalidCharacter",
            "value contains a NUL character".to_string(),
        ));
    }
    match name {
        "email_verified" | "phone_number_verified" if value != "true" && value != "false" => Err((
            "InvalidBoolean",
            "must be \"true\" or \"false\"".to_string(),
        )),
        // Cognito refuses any other form at send time, one failed call each.
        "phone_number" if !is_e164(value) => Err((
            "InvalidPhoneNumber",
            "must be in E.164 form: + then the country code and number, digits only (+15551000003)"
                .to_string(),
        )),
        // Digits only: `parse::<u64>` alone would also take a leading `+`.
        "updated_at"
            if !value.bytes().all(|b| b.is_ascii_digit()) || value.parse::<u64>().is_err() =>
        {
            Err((
                "InvalidNumber",
                "must be a number of seconds since 1970-01-01".to_string(),
            ))
        }
        _ => Ok(()),
    }
}

/// E.164 as Cognito takes it: `+`, a country code not starting with 0, at most 15 digits in
/// all, nothing else (no spaces, dashes or brackets).
pub fn is_e164(value: &str) -> bool {
    let Some(digits) = value.strip_prefix('+') else {
        return false;
    };
    (2..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
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
        assert_eq!(r.problems[0].code, "InvalidPhoneNumber");
    }

    fn record(username: &str, changes: &[(&str, Option<&str>)]) -> Record {
        Record::for_test(username, changes)
    }

    fn codes(mut r: Record) -> Vec<&'static str> {
        check(&mut r);
        r.problems.iter().map(|p| p.code).collect()
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
        assert_eq!(r.problems[0].code, "InvalidCharacter");
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
