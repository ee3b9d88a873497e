//! A JSON object read member by member, as the text says it: keys in file order, values left
//! as their raw text, and every key that appears more than once.
//!
//! `serde_json::Value` keeps the last of two equal keys without a word, and turns numbers into
//! floats (`1.50` -> `1.5`, a 23-digit integer loses digits). A JSONL row needs neither: a
//! repeated key is an error to report, and a number is sent as the text it was written as.
//! serde_json's positions count from the text it was given (a member's value): messages count
//! them from the start of the line instead.

use std::collections::HashSet;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// The members of one JSON object.
pub(super) struct Members<'a> {
    pub members: Vec<(String, &'a RawValue)>,
    /// Keys seen more than once, each named once, in the order found.
    pub repeated: Vec<String>,
}

impl<'a> Members<'a> {
    /// Reads `raw` as an object; `None` if it is valid JSON of another kind.
    pub fn parse(raw: &'a RawValue) -> Option<Members<'a>> {
        if !raw.get().starts_with('{') {
            return None;
        }
        serde_json::from_str(raw.get()).ok()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Members<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(MembersVisitor(std::marker::PhantomData))
    }
}

struct MembersVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for MembersVisitor<'a> {
    type Value = Members<'a>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        let mut members = Vec::new();
        let mut seen = HashSet::new();
        let mut repeated = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let value: &'a RawValue = map.next_value()?;
            if !seen.insert(key.clone()) && !repeated.contains(&key) {
                repeated.push(key.clone());
            }
            members.push((key, value));
        }
        Ok(Members { members, repeated })
    }
}

/// Whether a raw value is a number (valid JSON that starts as one can only be one).
pub(super) fn is_number(raw: &RawValue) -> bool {
    raw.get()
        .starts_with(|c: char| c == '-' || c.is_ascii_digit())
}

/// Where `raw`, a slice of `line`, starts in it (bytes); 0 if it is not one.
pub(super) fn offset_in(raw: &RawValue, line: &str) -> usize {
    (raw.get().as_ptr() as usize)
        .checked_sub(line.as_ptr() as usize)
        .filter(|&at| at <= line.len())
        .unwrap_or(0)
}

/// serde_json's message with its position counted from the start of the JSONL line: its own
/// `line 1 column N` counts from the text it was given, which for a member is the value.
pub(super) fn at_column(e: &serde_json::Error, offset: usize) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let Some(message) = text.strip_suffix(&suffix) else {
        return text;
    };
    match e.line() {
        // The line's own end (its `\n`) is the only line break the text can hold.
        1 => format!("{message} at column {} of the line", offset + e.column()),
        _ => format!("{message} at the end of the line"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_raw_values_and_repeated_keys() {
        let raw: &RawValue =
            serde_json::from_str(r#"{"b": 1.50, "a":{"x":1e2} ,"b":null, "b":"\u0041"}"#).unwrap();
        let m = Members::parse(raw).unwrap();
        let got: Vec<(&str, &str)> = m.members.iter().map(|(k, v)| (&k[..], v.get())).collect();
        assert_eq!(
            got,
            [
                ("b", "1.50"),
                ("a", r#"{"x":1e2}"#),
                ("b", "null"),
                ("b", r#""\u0041""#)
            ]
        );
        assert_eq!(m.repeated, ["b"]);
        let not_object: &RawValue = serde_json::from_str("[1]").unwrap();
        assert!(Members::parse(not_object).is_none());
    }
}
