//! Cognito's own rules for attribute names and values, whatever the pool: which names may be
//! written, how long a value may be, which values the verified flags and phone numbers take,
//! and which attributes are sign-in aliases. Used by the readers (column names), the row
//! checks (`decide::validate`) and the fake pool, which refuses what Cognito refuses.

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
pub const MAX_CUSTOM_NAME_CHARS: usize = 20;

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
pub const READ_ONLY_ATTRIBUTES: &[&str] = &["sub", "identities"];

/// Whether Cognito maintains `name` itself (writing it is refused).
pub fn is_read_only(name: &str) -> bool {
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
