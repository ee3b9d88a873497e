//! How a pool names its users, read from DescribeUserPool: which attributes a `Username`
//! parameter may be besides the username and the `sub` (`UsernameAttributes`,
//! `AliasAttributes`), and whether usernames compare case-insensitively
//! (`UsernameConfiguration.CaseSensitive`). The tool resolves a row's key to a user the way
//! Cognito resolves the `Username` of an admin call, so that it diffs, journals and sends for
//! the user Cognito would act on.
//!
//! From the API reference and the developer guide ("User pool attributes", sign-in options):
//! - `UsernameAttributes` email / phone_number: the user signs in with that value instead of
//!   a username (the username is a UUID); it names the user whether verified or not.
//! - `AliasAttributes` email / phone_number: an alias counts only once verified
//!   (`email_verified` / `phone_number_verified` = true); preferred_username needs no
//!   verification.
//! - `CaseSensitive=false` makes the username, preferred_username and email case-insensitive;
//!   a pool without `UsernameConfiguration` (the API's default) is case-sensitive. Emails are
//!   compared case-insensitively in every pool.

use aws_sdk_cognitoidentityprovider::types::UserPoolType;

/// The pool's sign-in settings that decide which user a key names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignIn {
    /// `UsernameAttributes`: email and/or phone_number.
    pub username_attributes: Vec<String>,
    /// `AliasAttributes`: email, phone_number and/or preferred_username.
    pub alias_attributes: Vec<String>,
    /// `UsernameConfiguration.CaseSensitive` (true when the pool does not say).
    pub case_sensitive: bool,
}

/// One name by which a user can be named in an admin call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name<'a> {
    /// `username`, `sub`, or the attribute the alias is.
    pub kind: &'a str,
    pub value: &'a str,
    /// Compared without regard to case.
    pub folded: bool,
}

impl SignIn {
    /// A pool's settings; a pool that gives none is case-sensitive with usernames only.
    pub fn from_pool(pool: &UserPoolType) -> SignIn {
        let username_attributes = pool
            .username_attributes()
            .iter()
            .map(|a| a.as_str().to_string())
            .collect();
        let alias_attributes = pool
            .alias_attributes()
            .iter()
            .map(|a| a.as_str().to_string())
            .collect();
        SignIn {
            username_attributes,
            alias_attributes,
            case_sensitive: pool
                .username_configuration()
                .is_none_or(|c| c.case_sensitive()),
        }
    }

    /// A pool where only the username (in its exact case) and the `sub` name a user.
    pub fn plain() -> SignIn {
        SignIn {
            case_sensitive: true,
            ..SignIn::default()
        }
    }

    /// The addresses (`email`, `phone_number`) people sign in with, as a username attribute
    /// or an alias, each once.
    pub fn addresses(&self) -> Vec<&'static str> {
        ["email", "phone_number"]
            .into_iter()
            .filter(|a| {
                self.username_attributes.iter().any(|u| u == a)
                    || self.alias_attributes.iter().any(|u| u == a)
            })
            .collect()
    }

    /// Whether any attribute can name a user (then a key may be an alias).
    pub fn has_aliases(&self) -> bool {
        !self.username_attributes.is_empty() || !self.alias_attributes.is_empty()
    }

    /// Every name by which Cognito resolves this user: the username, the `sub`, and each
    /// alias the pool allows (verified where it must be).
    pub fn names<'a>(&'a self, username: &'a str, attrs: &'a [(String, String)]) -> Vec<Name<'a>> {
        let get = |n: &str| {
            attrs
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.is_empty())
        };
        let mut out = vec![Name {
            kind: "username",
            value: username,
            folded: !self.case_sensitive,
        }];
        if let Some(sub) = get("sub") {
            out.push(Name {
                kind: "sub",
                value: sub,
                folded: false,
            });
        }
        for attr in ["email", "phone_number", "preferred_username"] {
            let Some(value) = get(attr) else { continue };
            let as_username = self.username_attributes.iter().any(|a| a == attr);
            let as_alias = self.alias_attributes.iter().any(|a| a == attr);
            let verified = match attr {
                "preferred_username" => true,
                _ => get(&format!("{attr}_verified")) == Some("true"),
            };
            if as_username || (as_alias && verified) {
                out.push(Name {
                    kind: attr,
                    value,
                    folded: attr == "email"
                        || (attr == "preferred_username" && !self.case_sensitive),
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cognitoidentityprovider::types::{
        AliasAttributeType, UsernameAttributeType, UsernameConfigurationType,
    };

    fn attrs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn reads_the_pools_sign_in_settings() {
        let pool = UserPoolType::builder()
            .username_attributes(UsernameAttributeType::Email)
            .alias_attributes(AliasAttributeType::PreferredUsername)
            .username_configuration(
                UsernameConfigurationType::builder()
                    .case_sensitive(false)
                    .build()
                    .unwrap(),
            )
            .build();
        let s = SignIn::from_pool(&pool);
        assert_eq!(s.username_attributes, ["email"]);
        assert_eq!(s.alias_attributes, ["preferred_username"]);
        assert!(!s.case_sensitive);
        // No UsernameConfiguration: the API's default, case-sensitive.
        assert!(SignIn::from_pool(&UserPoolType::builder().build()).case_sensitive);
    }

    #[test]
    fn an_alias_names_a_user_only_when_the_pool_allows_it() {
        let user = attrs(&[
            ("sub", "s-1"),
            ("email", "Ana@Example.com"),
            ("email_verified", "false"),
            ("phone_number", "+15550100"),
            ("phone_number_verified", "true"),
        ]);
        let kinds = |s: &SignIn| -> Vec<String> {
            s.names("ana", &user)
                .iter()
                .map(|n| n.kind.to_string())
                .collect()
        };
        assert_eq!(kinds(&SignIn::plain()), ["username", "sub"]);
        // An email alias must be verified; a verified phone alias counts.
        let alias = SignIn {
            alias_attributes: vec!["email".into(), "phone_number".into()],
            ..SignIn::plain()
        };
        assert_eq!(kinds(&alias), ["username", "sub", "phone_number"]);
        // As a username attribute the email counts, verified or not, and ignores case.
        let email = SignIn {
            username_attributes: vec!["email".into()],
            ..SignIn::plain()
        };
        let names = email.names("ana", &user);
        assert_eq!(names[2].kind, "email");
        assert!(names[2].folded);
        assert!(!names[0].folded, "a case-sensitive pool's username");
    }
}
