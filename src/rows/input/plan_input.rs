//! A plan file as input (`apply --plan`): each entry becomes a row that sets the planned
//! after-values (a missing after-value deletes) and carries the planned before-values, which
//! are checked against the pool before sending; an entry the plan left out becomes an invalid
//! row with the plan's reason, reported and written to the failed rows as `apply INPUT` would.
//! The header line is skipped.

use std::io::{BufRead, BufReader, Read};

use super::{InputError, Records};
use crate::model::op::OpDiff;
use crate::model::row::{Code, Problem, RawRecord, Record, Row};
use crate::plan::file::{LeftOut, PlanEntry};

pub(super) fn read(reader: Box<dyn Read + Send>, display: &str) -> Records {
    let display = display.to_string();
    let mut lines = BufReader::new(reader).lines().enumerate();
    // A plan made with --current-state none saw no values: its rows carry no before-values
    // to check against the pool (they are sent as they are).
    let blind = match lines.next() {
        Some((_, Ok(header))) => header.contains("\"current_state\":\"none\""),
        _ => false,
    };
    Box::new(std::iter::from_fn(move || {
        let (i, line) = lines.next()?;
        let line = match line {
            Ok(l) => l,
            Err(source) => {
                return Some(Err(InputError::Io {
                    path: display.clone(),
                    source,
                }));
            }
        };
        // The trailer ends the entries (`plan::file::verify` checked it before sending).
        if crate::plan::file::is_trailer(line.as_bytes()) {
            return None;
        }
        let mut record = to_record(&line, i as u64 + 1);
        if blind {
            record.before = None;
        }
        Some(Ok(record))
    }))
}

fn to_record(text: &str, file_line: u64) -> Record {
    let entry: PlanEntry = match serde_json::from_str(text) {
        Ok(e) => e,
        Err(e) => {
            return Record {
                index: 0,
                raw: RawRecord::Text(text.to_string()),
                row: Row {
                    line: file_line,
                    username: String::new(),
                    ops: vec![],
                    client_metadata: Default::default(),
                    exact_groups: None,
                },
                problems: vec![Problem::row(
                    Code::MalformedRow,
                    format!("not a plan entry: {e}"),
                )],
                before: None,
                identity: None,
            };
        }
    };
    if let Some(left) = &entry.left_out {
        return left_out(&entry, left, file_line);
    }
    // The plan's changes, each made again as the operation that makes it.
    let ops = entry.changes.iter().map(OpDiff::op).collect();
    let attr_diffs = || entry.changes.iter().filter_map(OpDiff::attribute);
    // Failed rows are written back as JSONL input rows: fixable and re-feedable to `apply`.
    let attributes: serde_json::Map<String, serde_json::Value> = attr_diffs()
        .map(|d| (d.name.clone(), d.after.clone().into()))
        .collect();
    // What the plan saw before the change: checked against the pool before sending.
    let before = attr_diffs()
        .map(|d| (d.name.clone(), d.before.clone()))
        .collect();
    let mut raw = serde_json::Map::new();
    raw.insert("username".into(), entry.user.clone().into());
    raw.insert("attributes".into(), attributes.into());
    let identity = entry.identity();
    Record {
        index: 0,
        raw: RawRecord::Json(raw),
        row: Row {
            line: file_line,
            username: entry.user,
            ops,
            client_metadata: entry.client_metadata,
            exact_groups: None,
        },
        problems: vec![],
        before: Some(before),
        identity,
    }
}

/// A row the plan left out: invalid with the plan's code and reason, the input line it came
/// from named (the plan's own line is where `apply --plan` reports it).
fn left_out(entry: &PlanEntry, left: &LeftOut, file_line: u64) -> Record {
    let mut raw = serde_json::Map::new();
    raw.insert("username".into(), entry.user.clone().into());
    let attributes: serde_json::Map<String, serde_json::Value> = left
        .attributes
        .iter()
        .map(|(n, v)| (n.clone(), v.clone().into()))
        .collect();
    raw.insert("attributes".into(), attributes.into());
    let message = match entry.line {
        0 => format!("left out by the plan: {}", left.message),
        line => format!("left out by the plan (input line {line}): {}", left.message),
    };
    Record {
        index: 0,
        raw: RawRecord::Json(raw),
        row: Row {
            line: file_line,
            username: entry.user.clone(),
            ops: vec![],
            client_metadata: Default::default(),
            exact_groups: None,
        },
        problems: vec![Problem::row(Code::from_text(&left.code), message)],
        before: None,
        identity: None,
    }
}
