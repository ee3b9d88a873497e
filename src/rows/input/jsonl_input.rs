//! JSONL input: one JSON object a line,
//! `{"username": "alice", "attributes": {"custom:tier": "pro", "nickname": null}, "client_metadata": {...}}`.

use std::io::{BufRead, BufReader, Read};

use serde_json::Value;
use serde_json::value::RawValue;

use super::columns::{self, OpCells, OpColumn};
use super::json_object::{Members, at_column, is_number, offset_in};
use super::{InputError, InputOptions, Records};
use crate::model::row::{AttrChange, Change, Code, Problem, RawRecord, Record, Row};

mod metadata;
use metadata::metadata_member;

pub(super) fn read(reader: Box<dyn Read + Send>, display: &str, opts: &InputOptions) -> Records {
    let mut reader = BufReader::new(reader);
    let opts = opts.clone();
    let display = display.to_string();
    let mut line_no = 0u64;
    let mut buf = Vec::new();
    let mut done = false;
    Box::new(std::iter::from_fn(move || {
        while !done {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) => done = true,
                Ok(_) => {
                    line_no += 1;
                    if buf.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    // A `groups` key without --exact-groups: the input as a whole is refused.
                    return Some(parse_line(&buf, line_no, &opts).map_err(|message| {
                        InputError::Header {
                            path: display.clone(),
                            message: format!("line {line_no}: key {message}"),
                        }
                    }));
                }
                Err(source) => {
                    done = true;
                    return Some(Err(InputError::Io {
                        path: display.clone(),
                        source,
                    }));
                }
            }
        }
        None
    }))
}

/// One line as a record; Err: the line has a `groups` key without `--exact-groups`.
fn parse_line(bytes: &[u8], line: u64, opts: &InputOptions) -> Result<Record, String> {
    let mut row = Row {
        line,
        username: String::new(),
        ops: Vec::new(),
        client_metadata: opts.client_metadata.clone(),
        exact_groups: None,
    };
    let mut problems = utf8_problems(bytes);
    let text = String::from_utf8_lossy(bytes);
    let object = match object(&text) {
        Ok(object) => object,
        Err(message) => return Ok(malformed(row, &text, problems, message)),
    };
    if object
        .members
        .iter()
        .any(|(k, _)| k == OpColumn::Groups.name())
        && let Some(why) = columns::groups_needs_flag(opts.ops)
    {
        return Err(why);
    }
    let (written, as_text) = fields(&object, &text, opts, &mut row, &mut problems);
    // An object cannot hold a key twice, nor a value nested too deep for a `Value`: such a
    // line is written back as it was.
    let raw = match as_text {
        false => RawRecord::Json(written),
        true => RawRecord::Text(trim_line(&text)),
    };
    Ok(Record {
        index: 0,
        raw,
        row,
        problems,
        before: None,
        identity: None,
    })
}

/// Bad bytes are reported, and the rest of the line is still read (with U+FFFD in their
/// place), so that the failed-rows file keeps the user and the other attributes.
fn utf8_problems(bytes: &[u8]) -> Vec<Problem> {
    match std::str::from_utf8(bytes) {
        Ok(_) => Vec::new(),
        Err(e) => vec![Problem::row(
            Code::MalformedRow,
            format!("invalid UTF-8 at byte {} of the line", e.valid_up_to() + 1),
        )],
    }
}

/// The line's members, or why it is not a JSON object. serde_json's message gives line and
/// column only, never the text.
fn object(text: &str) -> Result<Members<'_>, String> {
    let raw = serde_json::from_str::<&RawValue>(text)
        .map_err(|e| format!("the line is not valid JSON: {}", at_column(&e, 0)))?;
    Members::parse(raw).ok_or_else(|| "the line is not a JSON object".to_string())
}

/// Reads every member of the line into `row`. Returns the members as they are written back
/// to a failed-rows file, and whether the line must be written back as its text instead (a
/// key twice, a value nested too deep).
fn fields(
    object: &Members,
    line: &str,
    opts: &InputOptions,
    row: &mut Row,
    problems: &mut Vec<Problem>,
) -> (serde_json::Map<String, Value>, bool) {
    for key in &object.repeated {
        problems.push(Problem::row(
            Code::MalformedRow,
            format!("the field {key:?} appears more than once"),
        ));
    }
    let mut written = serde_json::Map::new();
    let mut as_text = !object.repeated.is_empty();
    let mut cells = OpCells::default();
    let parse = |value: &RawValue, key: &str, problems: &mut Vec<Problem>| {
        parse(value, key, line, problems)
    };
    for (key, value) in &object.members {
        let kept = match key.as_str() {
            k if k == opts.key_column => {
                username(k, value, row, problems);
                parse(value, key, problems)
            }
            "attributes" => Some(attributes(value, line, row, problems, &mut as_text)),
            "client_metadata" => {
                as_text |= metadata_member(value, row, problems);
                parse(value, key, problems)
            }
            k if super::ignored_field(k) => parse(value, key, problems),
            k if let Some(op) = OpColumn::of(k) => {
                let parsed = parse(value, key, problems);
                if let Some(v) = &parsed {
                    cells.json(op, v, problems);
                }
                parsed
            }
            k => {
                problems.push(Problem::row(
                    Code::MalformedRow,
                    format!(
                        "unknown field {k:?} (expected {:?}, \"attributes\", \"client_metadata\", \
                         \"enabled\", \"groups_add\", \"groups_remove\", \"groups\")",
                        opts.key_column
                    ),
                ));
                parse(value, key, problems)
            }
        };
        match kept {
            Some(v) => _ = written.insert(key.clone(), v),
            // Too deep to hold as a value: the line is written back as it was.
            None => as_text = true,
        }
    }
    cells.finish(row, opts.ops, problems);
    (written, as_text)
}

/// The key column's member: the user's name, which must be a string.
fn username(key: &str, value: &RawValue, row: &mut Row, problems: &mut Vec<Problem>) {
    match serde_json::from_str::<String>(value.get()) {
        Ok(s) => row.username = s,
        Err(_) => problems.push(Problem::row(
            Code::MalformedRow,
            format!("{key:?} must be a string"),
        )),
    }
}

/// Reads the attributes; returns them as they should be written back to a failed-rows file.
fn attributes(
    value: &RawValue,
    line: &str,
    row: &mut Row,
    problems: &mut Vec<Problem>,
    repeated: &mut bool,
) -> Value {
    let Some(map) = Members::parse(value) else {
        problems.push(Problem::row(
            Code::MalformedRow,
            "\"attributes\" must be an object of attribute names to values",
        ));
        return parse(value, "attributes", line, problems).unwrap_or_else(|| {
            *repeated = true;
            Value::Null
        });
    };
    // Every member becomes a change, repeated ones too: the row checks then refuse the
    // attribute as DuplicateAttribute, as they do any attribute named twice.
    *repeated |= !map.repeated.is_empty();
    let mut written = serde_json::Map::new();
    for (name, raw) in map.members {
        // A value too deep to read is malformed, never null (which would delete).
        let Some(value) = parse(raw, &name, line, problems) else {
            *repeated = true;
            continue;
        };
        let change = match &value {
            // A blank value deletes, as it does in Cognito's own API.
            Value::Null => Change::Delete,
            Value::String(s) if s.is_empty() => Change::Delete,
            // A number too large for a float (`1e400`) comes back as its text: sent as written.
            Value::String(s) => Change::Set(s.clone()),
            Value::Bool(b) => Change::Set(b.to_string()),
            // A number is sent as it was written: `1.50`, `1e2`, all 23 digits of a long one.
            Value::Number(_) => Change::Set(raw.get().to_string()),
            Value::Array(_) | Value::Object(_) => {
                problems.push(Problem::attr(
                    Code::MalformedRow,
                    &name,
                    "value must be a string, a number, a boolean or null",
                ));
                written.insert(name, value);
                continue;
            }
        };
        // Written back, a number that a float would change is kept as its text, which is sent
        // the same way when the file is fed back.
        let value = match value {
            Value::Number(n) if n.to_string() != raw.get() => Value::String(raw.get().into()),
            other => other,
        };
        written.insert(name.clone(), value);
        row.push_attr(AttrChange { name, change });
    }
    Value::Object(written)
}

/// A raw value that is known to be valid JSON, as a value; `None` (and a `MalformedRow`
/// naming `field`) when it cannot be held as one: serde_json refuses nesting deeper than 128
/// levels, which the raw reader (iterative) accepted. Never `null`, which would delete.
/// A number a float cannot hold (`1e400`) is its text, as a string: numbers are sent as
/// written. `line` is the line `raw` was read from, so that a message counts columns from
/// its start.
fn parse(raw: &RawValue, field: &str, line: &str, problems: &mut Vec<Problem>) -> Option<Value> {
    match serde_json::from_str(raw.get()) {
        Ok(value) => Some(value),
        Err(_) if is_number(raw) => Some(Value::String(raw.get().to_string())),
        Err(e) => {
            problems.push(Problem::row(
                Code::MalformedRow,
                format!(
                    "{field:?} cannot be read: {}",
                    at_column(&e, offset_in(raw, line))
                ),
            ));
            None
        }
    }
}

fn malformed(row: Row, text: &str, mut problems: Vec<Problem>, message: String) -> Record {
    problems.push(Problem::row(Code::MalformedRow, message));
    Record {
        index: 0,
        raw: RawRecord::Text(trim_line(text)),
        row,
        problems,
        before: None,
        identity: None,
    }
}

fn trim_line(text: &str) -> String {
    text.trim_end_matches(['\n', '\r']).to_string()
}
