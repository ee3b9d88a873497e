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
}
