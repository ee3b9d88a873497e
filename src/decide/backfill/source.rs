//! An input file read for a computed backfill: each row's user key, and either its fields as
//! template data (`row.X`, with `--set`: the columns are data, not attributes) or the row
//! itself (with `--match` alone: the columns are attributes, as in a plain input).
//! A row that cannot be read is a row with a problem, never an error of the whole file.

use std::io::BufRead;
use std::path::Path;

use anyhow::bail;

use crate::model::row::{Code, Problem, Record};
use crate::rows::input::{self, Format, InputOptions, LineIndex};

/// One input row.
pub struct InRow {
    pub line: u64,
    /// The user key (the `--key-column` field), if the row has one.
    pub key: Option<String>,
    /// The row's fields, for the templates.
    pub data: Option<serde_json::Map<String, serde_json::Value>>,
    /// The row as a plain input row (without `--set`).
    pub record: Option<Record>,
    /// Why the row cannot be used (its line is `line`).
    pub problem: Option<Problem>,
}

pub type InRows = Box<dyn Iterator<Item = anyhow::Result<InRow>> + Send>;

/// Streams the rows of `path`: as template data (`data`) or as plain input rows.
pub fn rows(path: &Path, io: &InputOptions, data: bool) -> anyhow::Result<InRows> {
    let display = path.display().to_string();
    if !data {
        let records = input::read(input::open(path)?, &display, io)?.records;
        return Ok(Box::new(records.map(move |r| {
            let record = r?;
            let problem = (!record.problems.is_empty()).then(|| {
                let invalid = record.invalid(&display);
                Problem::row(invalid.code(), invalid.message())
            });
            Ok(InRow {
                line: record.row.line,
                key: record.username().map(str::to_string),
                data: None,
                problem,
                record: Some(record),
            })
        })));
    }
    match io.format {
        Format::Csv => csv_rows(path, display, &io.key_column),
        Format::Jsonl => Ok(jsonl_rows(path, display, io.key_column.clone())?),
        Format::Plan => bail!("{display}: a plan file cannot be the input of --set"),
    }
}

/// The columns of a CSV input (None for JSONL, whose keys vary by row): what `row.X` may read.
pub fn columns(path: &Path, io: &InputOptions) -> anyhow::Result<Option<Vec<String>>> {
    match io.format {
        Format::Csv => {
            let display = path.display().to_string();
            Ok(Some(csv_reader(path, &display)?.1))
        }
        _ => Ok(None),
    }
}

type CsvReader = csv::Reader<LineIndex<Box<dyn std::io::Read + Send>>>;

/// A CSV reader past its header row, and the header's names (a byte-order mark dropped).
fn csv_reader(path: &Path, display: &str) -> anyhow::Result<(CsvReader, Vec<String>)> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(LineIndex::new(input::open(path)?));
    let mut headers: Vec<String> = reader
        .headers()
        .map_err(|e| anyhow::anyhow!("{display}: cannot read the header row: {e}"))?
        .iter()
        .map(str::to_string)
        .collect();
    if let Some(first) = headers.first_mut() {
        *first = first.trim_start_matches('\u{feff}').to_string();
    }
    Ok((reader, headers))
}

fn csv_rows(path: &Path, display: String, key: &str) -> anyhow::Result<InRows> {
    let (mut reader, headers) = csv_reader(path, &display)?;
    let Some(key_at) = headers.iter().position(|h| h == key) else {
        bail!("{display}: no column {key:?} (--key-column) in the header row");
    };
    let mut r = csv::StringRecord::new();
    let mut done = false;
    Ok(Box::new(std::iter::from_fn(move || {
        if done {
            return None;
        }
        let read = reader.read_record(&mut r);
        // The line of the record's first byte, counted as an editor does (CRLF, blank lines).
        let start = match &read {
            Ok(_) => r.position().map(csv::Position::byte),
            Err(e) => e.position().map(csv::Position::byte),
        };
        let line = reader.get_mut().line_at(start.unwrap_or(u64::MAX));
        Some(Ok(match read {
            Ok(false) => return None,
            Ok(true) => {
                let problem = (r.len() != headers.len()).then(|| {
                    let why = format!("{} fields, the header has {}", r.len(), headers.len());
                    Problem::row(Code::MalformedRow, why)
                });
                let key = r.get(key_at).filter(|k| !k.is_empty()).map(str::to_string);
                let problem = problem.or_else(|| {
                    key.is_none()
                        .then(|| Problem::row(Code::MissingUsername, "no user key"))
                });
                let data = headers
                    .iter()
                    .zip(r.iter())
                    .map(|(h, v)| (h.clone(), v.into()))
                    .collect();
                InRow {
                    line,
                    key,
                    data: Some(data),
                    record: None,
                    problem,
                }
            }
            Err(e) => {
                // Invalid UTF-8 spoils one row; an I/O error ends the file.
                done = e.position().is_none();
                InRow {
                    line,
                    key: None,
                    data: None,
                    record: None,
                    problem: Some(Problem::row(Code::MalformedRow, e.to_string())),
                }
            }
        }))
    })))
}

fn jsonl_rows(path: &Path, display: String, key: String) -> anyhow::Result<InRows> {
    let lines = std::io::BufReader::new(input::open(path)?).lines();
    Ok(Box::new(
        lines
            .enumerate()
            .filter(|(_, l)| l.as_ref().map_or(true, |l| !l.trim().is_empty()))
            .map(move |(i, l)| {
                let line = i as u64 + 1;
                let text = l.map_err(|e| anyhow::anyhow!("{display}: {e}"))?;
                let bad = |code: Code, why: String| InRow {
                    line,
                    key: None,
                    data: None,
                    record: None,
                    problem: Some(Problem::row(code, why)),
                };
                let object = match serde_json::from_str::<serde_json::Value>(&text) {
                    Ok(serde_json::Value::Object(o)) => o,
                    Ok(_) => return Ok(bad(Code::MalformedRow, "not a JSON object".into())),
                    Err(e) => return Ok(bad(Code::MalformedRow, format!("not valid JSON: {e}"))),
                };
                let k = match object.get(&key) {
                    Some(serde_json::Value::String(s)) if !s.is_empty() => s.clone(),
                    Some(serde_json::Value::Number(n)) => n.to_string(),
                    _ => return Ok(bad(Code::MissingUsername, format!("no {key:?} key"))),
                };
                Ok(InRow {
                    line,
                    key: Some(k),
                    data: Some(object),
                    record: None,
                    problem: None,
                })
            }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rows::input::EmptyCells;

    fn io(format: Format, key: &str) -> InputOptions {
        InputOptions {
            format,
            key_column: key.into(),
            empty_cells: EmptyCells::Ignore,
            client_metadata: Default::default(),
            ops: Default::default(),
        }
    }

    #[test]
    fn csv_columns_are_data() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("crm.csv");
        std::fs::write(
            &p,
            "\u{feff}Email,Plan\nA@x.example,GOLD\n,free\nb@x.example\n",
        )
        .unwrap();
        let rows: Vec<InRow> = rows(&p, &io(Format::Csv, "Email"), true)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].key.as_deref(), Some("A@x.example"));
        assert_eq!(rows[0].data.as_ref().unwrap()["Plan"], "GOLD");
        assert!(rows[0].problem.is_none());
        assert!(rows[1].problem.as_ref().unwrap().code.as_str() == "MissingUsername");
        assert!(
            rows[2].line == 4 && rows[2].problem.as_ref().unwrap().code.as_str() == "MalformedRow"
        );
        let e = rows_err(&p, &io(Format::Csv, "Id"));
        assert!(e.contains("no column \"Id\""), "{e}");
    }

    fn rows_err(p: &Path, io: &InputOptions) -> String {
        match rows(p, io, true) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("expected an error"),
        }
    }

    #[test]
    fn jsonl_keys_are_data() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("crm.jsonl");
        std::fs::write(
            &p,
            "{\"id\": 7, \"plan\": \"x\"}\n\nnot json\n[1]\n{\"plan\": 1}\n",
        )
        .unwrap();
        let rows: Vec<InRow> = rows(&p, &io(Format::Jsonl, "id"), true)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].key.as_deref(), Some("7"));
        assert!(
            rows[1].line == 3 && rows[1].problem.as_ref().unwrap().code.as_str() == "MalformedRow"
        );
        assert!(
            rows[2]
                .problem
                .as_ref()
                .unwrap()
                .message
                .contains("not a JSON object")
        );
        assert!(rows[3].problem.as_ref().unwrap().code.as_str() == "MissingUsername");
    }

    #[test]
    fn plain_rows_keep_their_attributes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("legacy.csv");
        std::fs::write(&p, "legacy_id,custom:tier\nL1,pro\n").unwrap();
        let rows: Vec<InRow> = rows(&p, &io(Format::Csv, "legacy_id"), false)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(rows[0].key.as_deref(), Some("L1"));
        assert_eq!(
            rows[0]
                .record
                .as_ref()
                .unwrap()
                .row
                .attrs()
                .next()
                .unwrap()
                .name,
            "custom:tier"
        );
    }
}
