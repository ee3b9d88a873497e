//! The codes of row problems: what a row's problem is called in the plan file, the journal,
//! the report, the failed-rows file and the messages. One enum, so that a code made in one
//! stage and matched in another cannot drift apart as two spellings of a string; the text
//! of each is fixed (files already written hold it) and read back with [`Code::from_text`].
//!
//! Errors from Cognito keep the service's own codes as text (`CallError::code`): only the
//! ones a row's problem shares, like `UserNotFoundException`, are here.

use std::fmt;

/// Defines [`Code`] with the text of each code beside its variant, and the list of all.
macro_rules! codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $text:literal,)*) => {
        /// Why a row is not sent (or failed before its call): a stable code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Code {
            /// Every code, in the order of the text.
            pub const ALL: &[Code] = &[$(Code::$variant,)*];

            /// The code as files and messages spell it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $text,)*
                }
            }
        }
    };
}

codes! {
    /// Another user of the pool already has the email or phone number set.
    AliasExists = "AliasExists",
    /// The key names more than one user.
    AmbiguousMatch = "AmbiguousMatch",
    /// Another row sets the same email or phone number.
    DuplicateAlias = "DuplicateAlias",
    DuplicateAttribute = "DuplicateAttribute",
    /// Several lines name one user.
    DuplicateUser = "DuplicateUser",
    ImmutableAttribute = "ImmutableAttribute",
    InvalidBoolean = "InvalidBoolean",
    InvalidCharacter = "InvalidCharacter",
    /// A group column that cannot be read (a bad name, a group both added and removed).
    InvalidGroup = "InvalidGroup",
    InvalidNumber = "InvalidNumber",
    InvalidPhoneNumber = "InvalidPhoneNumber",
    /// A row that is invalid for a reason without a code of its own (also an unknown code
    /// read back from a plan).
    InvalidRow = "InvalidRow",
    MalformedRow = "MalformedRow",
    MissingUsername = "MissingUsername",
    NoChanges = "NoChanges",
    /// A federated user's attribute that its identity provider writes at every sign-in.
    OverwrittenAtSignIn = "OverwrittenAtSignIn",
    ReadOnlyAttribute = "ReadOnlyAttribute",
    SchemaViolation = "SchemaViolation",
    /// A computed row whose template could not be rendered.
    TemplateFailed = "TemplateFailed",
    /// The user would end in more groups than Cognito allows one user (100).
    TooManyGroups = "TooManyGroups",
    UnknownAttribute = "UnknownAttribute",
    /// No such user: spelled as Cognito names the error its call would answer.
    UserNotFound = "UserNotFoundException",
    ValueTooLong = "ValueTooLong",
    /// The change would make Cognito send a verification message, and that is not allowed.
    VerificationMessage = "VerificationMessage",
}

impl Code {
    /// The code `text` spells; `InvalidRow` for any other text (a plan written by another
    /// version, or edited).
    pub fn from_text(text: &str) -> Code {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == text)
            .unwrap_or(Code::InvalidRow)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_as_itself() {
        for code in Code::ALL {
            assert_eq!(Code::from_text(code.as_str()), *code);
            assert_eq!(code.to_string(), code.as_str());
        }
        assert_eq!(Code::UserNotFound.as_str(), "UserNotFoundException");
    }

    #[test]
    fn unknown_text_is_an_invalid_row() {
        for text in ["", "Nonsense", "usernotfoundexception", "Throttling"] {
            assert_eq!(Code::from_text(text), Code::InvalidRow, "{text}");
        }
    }

    #[test]
    fn the_text_is_the_variant_name_except_for_cognitos_own() {
        // The files written before this enum existed hold these strings.
        for code in Code::ALL {
            let name = format!("{code:?}");
            match code {
                Code::UserNotFound => assert_eq!(code.as_str(), "UserNotFoundException"),
                _ => assert_eq!(code.as_str(), name),
            }
        }
    }
}
