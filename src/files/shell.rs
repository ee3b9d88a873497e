//! Commands the tool prints for a person to run ("apply it with:", "resume with:"), quoted so
//! that a shell runs them as they were given, whatever bytes a path holds. A word that is not
//! UTF-8 (a file name in another encoding) is written in the `$'...'` quoting of bash, zsh and
//! ksh, byte for byte, never with U+FFFD in place of its bytes (which would name another file).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

/// One word, quoted for the shell.
pub fn quote(word: &OsStr) -> String {
    match word.to_str() {
        Some(text) if !text.chars().any(char::is_control) => {
            shlex::try_quote(text).map_or_else(|_| ansi_c(word.as_bytes()), |q| q.into_owned())
        }
        _ => ansi_c(word.as_bytes()),
    }
}

/// Words quoted and joined by spaces.
pub fn join<'a>(words: impl IntoIterator<Item = &'a OsStr>) -> String {
    words.into_iter().map(quote).collect::<Vec<_>>().join(" ")
}

/// The AWS settings the user gave on the command line (`--region`, `--profile`,
/// `--endpoint-url`), which every command the tool prints for them to run carries: followed
/// as printed, it reaches the same account, region and endpoint (with AWS_REGION unset, or
/// another AWS_PROFILE, a command without them fails or goes elsewhere). Built once from the
/// command line (`cli::Global::commands`); every printed command is written by [`Self::line`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Commands {
    /// The flags and their values, in the order the help lists them.
    aws: Vec<(&'static str, String)>,
}

impl Commands {
    pub fn new(region: Option<&str>, profile: Option<&str>, endpoint_url: Option<&str>) -> Self {
        let given = [
            ("--region", region),
            ("--profile", profile),
            ("--endpoint-url", endpoint_url),
        ];
        Commands {
            aws: given
                .into_iter()
                .filter_map(|(flag, value)| Some((flag, value?.to_string())))
                .collect(),
        }
    }

    /// `cognito-bulk WORDS... --region R --profile P --endpoint-url U`, every word quoted.
    pub fn line<'a>(&self, words: impl IntoIterator<Item = &'a OsStr>) -> String {
        let mut out = String::from("cognito-bulk");
        for word in words {
            out.push(' ');
            out.push_str(&quote(word));
        }
        for (flag, value) in &self.aws {
            out.push_str(&format!(" {flag} {}", quote(OsStr::new(value))));
        }
        out
    }
}

/// What a run's advice needs beyond the AWS flags: how to send its conflicts anyway.
#[derive(Debug, Clone, Default)]
pub struct Advice {
    pub commands: Commands,
    /// The command that sends rows left alone as conflicts anyway, where adding `--force` to
    /// the same command would not (a computed backfill computes a new plan, whose `--where`
    /// may leave the changed user out): `apply --plan PLAN ... --force`. None: `--force`.
    pub force: Option<String>,
}

/// `$'...'`: printable ASCII as it is (`\` and `'` escaped), every other byte as `\xHH`.
fn ansi_c(bytes: &[u8]) -> String {
    let mut out = String::from("$'");
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\'' => out.push_str("\\'"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;

    #[test]
    fn plain_words_stay_readable_and_other_bytes_are_escaped() {
        assert_eq!(quote(OsStr::new("users.csv")), "users.csv");
        assert_eq!(quote(OsStr::new("my users.csv")), "'my users.csv'");
        assert_eq!(quote(OsStr::new("café.csv")), "'café.csv'");
        let latin1 = OsString::from_vec(b"caf\xe9 'x'\\.csv".to_vec());
        assert_eq!(quote(&latin1), r"$'caf\xe9 \'x\'\\.csv'");
        assert_eq!(quote(OsStr::new("a\nb")), r"$'a\x0ab'");
    }

    #[test]
    fn a_printed_command_carries_the_aws_flags_given_quoted() {
        let words = [OsStr::new("rollback"), OsStr::new("my run.journal")];
        assert_eq!(
            Commands::default().line(words),
            "cognito-bulk rollback 'my run.journal'"
        );
        let given = Commands::new(Some("eu-west-1"), Some("ops team"), Some("http://h:1/"));
        assert_eq!(
            given.line(words),
            "cognito-bulk rollback 'my run.journal' --region eu-west-1 --profile 'ops team' \
             --endpoint-url http://h:1/"
        );
    }
}
