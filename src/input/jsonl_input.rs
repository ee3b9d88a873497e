//! JSONL input: one JSON object a line,
//! `{"username": "alice", "attributes": {"custom:tier": "pro", "nickname": null}, "client_metadata": {...}}`.

use std::io::{BufRead, BufReader, Read};

use serde_json::Value;

use super::{InputError, InputOptions, Records};
use crate::row::{AttrChange, Change, Problem, RawRecord, Record, Row};

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
                    return Some(Ok(parse_line(&buf, line_no, &opts)));
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

fn parse_line(bytes: &[u8], line: u64, opts: &InputOptions) -> Record {
    let mut row = Row {
        line,
        username: String::new(),
        changes: Vec::new(),
        client_metadata: opts.client_metadata.clone(),
    };
    let object = match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return malformed(row, bytes, "the line is not a JSON object".into()),
        // serde_json's message gives line and column only, never the text.
        Err(e) => return malformed(row, bytes, format!("the line is not valid JSON: {e}")),
    };
    let mut problems = Vec::new();
    for (key, value) in &object {
        match key.as_str() {
            k if k == opts.key_column => match value {
                Value::String(s) => row.username = s.clone(),
                _ => problems.push(Problem::row(
                    "MalformedRow",
                    format!("{k:?} must be a string"),
                )),
            },
            "attributes" => attributes(value, &mut row, &mut problems),
            "client_metadata" => client_metadata(value, &mut row, &mut problems),
            k if super::ignored_field(k) => {}
            k => problems.push(Problem::row(
                "MalformedRow",
                format!(
                    "unknown field {k:?} (expected {:?}, \"attributes\", \"client_metadata\")",
                    opts.key_column
                ),
            )),
        }
    }
    Record {
        index: 0,
        raw: RawRecord::Json(object),
        row,
        problems,
        before: None,
    }
}

fn attributes(value: &Value, row: &mut Row, problems: &mut Vec<Problem>) {
    let Value::Object(map) = value else {
        problems.push(Problem::row(
            "MalformedRow",
            "\"attributes\" must be an object of attribute names to values",
        ));
        return;
    };
    for (name, value) in map {
        let change = match value {
            // A blank value deletes, as it does in Cognito's own API.
            Value::Null => Change::Delete,
            Value::String(s) if s.is_empty() => Change::Delete,
            Value::String(s) => Change::Set(s.clone()),
            Value::Bool(b) => Change::Set(b.to_string()),
            Value::Number(n) => Change::Set(n.to_string()),
            Value::Array(_) | Value::Object(_) => {
                problems.push(Problem::attr(
                    "MalformedRow",
                    name,
                    "value must be a string, a number, a boolean or null",
                ));
                continue;
            }
        };
        row.changes.push(AttrChange {
            name: name.clone(),
            change,
        });
    }
}

fn client_metadata(value: &Value, row: &mut Row, problems: &mut Vec<Problem>) {
    let Value::Object(map) = value else {
        problems.push(Problem::row(
            "MalformedRow",
            "\"client_metadata\" must be an object of strings",
        ));
        return;
    };
    for (key, value) in map {
        match value {
            Value::String(s) => {
                row.client_metadata.insert(key.clone(), s.clone());
            }
            _ => problems.push(Problem::row(
                "MalformedRow",
                format!("client_metadata {key:?} must be a string"),
            )),
        }
    }
}

fn malformed(row: Row, bytes: &[u8], message: String) -> Record {
    let text = String::from_utf8_lossy(bytes)
        .trim_end_matches(['\n', '\r'])
        .to_string();
    Record {
        index: 0,
        raw: RawRecord::Text(text),
        row,
        problems: vec![Problem::row("MalformedRow", message)],
        before: None,
    }
}
