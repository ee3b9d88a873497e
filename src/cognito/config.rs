//! The pool settings that decide what a change does besides changing a value, read from
//! DescribeUserPool: which addresses Cognito verifies by message (`AutoVerifiedAttributes`),
//! which changes wait for that verification (`UserAttributeUpdateSettings`), which addresses
//! people sign in with (`UsernameAttributes`, `AliasAttributes`), who sends the messages
//! (`EmailConfiguration`, `SmsConfiguration`) and whether a custom message Lambda runs
//! (`LambdaConfig.CustomMessage`). The planner, the plan summary and the report follow it.

use aws_sdk_cognitoidentityprovider::types::{
    EmailSendingAccountType, UserPoolType, VerifiedAttributeType,
};

/// Emails a day Cognito's default email sender delivers for an account (developer guide,
/// "Quotas in Amazon Cognito", resource quotas): past it, sending fails for the rest of the day.
pub const DEFAULT_EMAIL_DAILY_LIMIT: u64 = 50;

/// The address a verified-attribute setting names.
fn address(a: &VerifiedAttributeType) -> Option<&'static str> {
    match a {
        VerifiedAttributeType::Email => Some("email"),
        VerifiedAttributeType::PhoneNumber => Some("phone_number"),
        _ => None,
    }
}

/// How the pool messages its users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Messaging {
    /// `email` / `phone_number`: a change of it without its `*_verified=true` sends a code.
    pub auto_verified: Vec<&'static str>,
    /// `email` / `phone_number` whose change is not stored until the user confirms the code
    /// (AttributesRequireVerificationBeforeUpdate); sent with `*_verified=true` it is immediate.
    pub pending_until_verified: Vec<&'static str>,
    /// `email` / `phone_number` people sign in with (UsernameAttributes or AliasAttributes).
    pub sign_in_with: Vec<&'static str>,
    /// True when emails go through Cognito's default sender (its daily limit applies); false
    /// for the pool's own SES configuration (`DEVELOPER`).
    pub default_email_sender: bool,
    /// The pool has an SMS configuration (SNS); None of it means SMS cannot be sent.
    pub sms_configured: bool,
    /// The pool's custom message Lambda, which runs once per message.
    pub custom_message_lambda: Option<String>,
    /// False when DescribeUserPool was denied: every email and phone change is then assumed
    /// to send a message (the safe side for the rail).
    pub known: bool,
}

impl Messaging {
    pub fn from_pool(pool: &UserPoolType) -> Messaging {
        let auto_verified = pool
            .auto_verified_attributes()
            .iter()
            .filter_map(address)
            .collect();
        let pending_until_verified = pool
            .user_attribute_update_settings()
            .map(|s| s.attributes_require_verification_before_update())
            .unwrap_or_default()
            .iter()
            .filter_map(address)
            .collect();
        let sign_in_with = crate::cognito::signin::SignIn::from_pool(pool).addresses();
        let default_email_sender = pool
            .email_configuration()
            .and_then(|e| e.email_sending_account())
            .is_none_or(|a| *a != EmailSendingAccountType::Developer);
        Messaging {
            auto_verified,
            pending_until_verified,
            sign_in_with,
            default_email_sender,
            sms_configured: pool.sms_configuration().is_some(),
            custom_message_lambda: pool
                .lambda_config()
                .and_then(|l| l.custom_message())
                .map(str::to_string),
            known: true,
        }
    }

    /// What is assumed when DescribeUserPool was denied: every address change messages.
    pub fn unknown() -> Messaging {
        Messaging {
            auto_verified: vec!["email", "phone_number"],
            pending_until_verified: vec![],
            sign_in_with: vec![],
            default_email_sender: true,
            sms_configured: true,
            custom_message_lambda: None,
            known: false,
        }
    }

    /// Whether an unverified change of `alias` makes Cognito send a code.
    pub fn messages(&self, alias: &str) -> bool {
        self.auto_verified.contains(&alias)
    }

    /// Whether an unverified change of `alias` waits for the user's confirmation.
    pub fn pending(&self, alias: &str) -> bool {
        self.pending_until_verified.contains(&alias)
    }

    /// Whether people sign in with `alias`: an unverified change of it that is stored at once
    /// (not pending) leaves the user unable to sign in with either address until they verify.
    pub fn signs_in_with(&self, alias: &str) -> bool {
        self.sign_in_with.contains(&alias)
    }
}

impl Default for Messaging {
    fn default() -> Self {
        Messaging::unknown()
    }
}

/// An external identity provider of the pool and the user pool attributes it maps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub name: String,
    pub mapped: Vec<String>,
}

/// Federated users (an `identities` attribute) get every mapped attribute written again at
/// each sign-in: a change to one would silently revert.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Federation {
    /// User pool attribute -> the providers that map it.
    pub mapped: std::collections::BTreeMap<String, Vec<String>>,
    /// Reading the providers was denied (or failed): not checked, and said so.
    pub unknown: Option<String>,
    /// `--allow-overwritten-at-sign-in`: such changes are sent anyway.
    pub allow: bool,
}

impl Federation {
    pub fn from_providers(providers: &[Provider]) -> Federation {
        let mut mapped: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for p in providers {
            for attr in &p.mapped {
                mapped.entry(attr.clone()).or_default().push(p.name.clone());
            }
        }
        Federation {
            mapped,
            ..Federation::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cognitoidentityprovider::types::{
        AliasAttributeType, EmailConfigurationType, LambdaConfigType,
        UserAttributeUpdateSettingsType, UsernameAttributeType,
    };

    #[test]
    fn reads_the_settings_that_decide_messages() {
        let pool = UserPoolType::builder()
            .auto_verified_attributes(VerifiedAttributeType::Email)
            .username_attributes(UsernameAttributeType::Email)
            .user_attribute_update_settings(
                UserAttributeUpdateSettingsType::builder()
                    .attributes_require_verification_before_update(VerifiedAttributeType::Email)
                    .build(),
            )
            .email_configuration(
                EmailConfigurationType::builder()
                    .email_sending_account(EmailSendingAccountType::Developer)
                    .build(),
            )
            .lambda_config(LambdaConfigType::builder().custom_message("arn:cm").build())
            .build();
        let m = Messaging::from_pool(&pool);
        assert!(m.messages("email") && !m.messages("phone_number"));
        assert!(m.pending("email") && m.signs_in_with("email"));
        assert!(!m.default_email_sender && !m.sms_configured);
        assert_eq!(m.custom_message_lambda.as_deref(), Some("arn:cm"));
        // Nothing said: Cognito's default sender, no auto-verification.
        let plain = Messaging::from_pool(&UserPoolType::builder().build());
        assert!(plain.default_email_sender && !plain.messages("email"));
        let alias = UserPoolType::builder()
            .alias_attributes(AliasAttributeType::PhoneNumber)
            .build();
        assert!(Messaging::from_pool(&alias).signs_in_with("phone_number"));
    }
}
