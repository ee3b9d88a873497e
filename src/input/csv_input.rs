//! CSV input: a header row, one column naming the user, every other column an attribute.

use std::io::Read;

use super::{EmptyCells, InputError, InputOptions, Opened};
use crate::row::{AttrChange, Change, Problem, RawRecord, Record, Row};

/// What each column of the file is for.
#[derive(Clone)]
enum Column {
    Key,
    Attribute(String),
    /// `error_code` / `error_message` from a failed-rows file.
    Ignored,
}

pub(super) fn read(
    reader: Box<dyn Read + Send>,
    display: &str,
    opts: &InputOptions,
) -> Result<Opened, InputError> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::None)
        .from_reader(reader);
    let header_error = |message: String| InputError::Header {
        path: display.to_string(),
        message,
    };
    let headers = csv.headers().map_err(|e| match e.into_kind() {
        csv::ErrorKind::Io(source) => InputError::Io {
            path: display.to_string(),
            source,
        },
        other => header_error(format!("cannot read the header row: {other:?}")),
    })?;
    let columns = columns(headers, &opts.key_column).map_err(header_error)?;
    let csv_header = Some(headers.clone());
    let opts = opts.clone();
    let display = display.to_string();
    let mut record = csv::StringRecord::new();
    let mut done = false;
    let records = Box::new(std::iter::from_fn(move || {
        if done {
            return None;
        }
        match csv.read_record(&mut record) {
            Ok(true) => Some(Ok(to_record(&record, &columns, &opts))),
            Ok(false) => {
                done = true;
                None
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                match e.into_kind() {
                    csv::ErrorKind::Io(source) => {
                        done = true;
                        Some(Err(InputError::Io {
                            path: display.clone(),
                            source,
                        }))
                    }
                    // Invalid UTF-8 and the like spoil one record; the reader goes on after it.
                    other => Some(Ok(unreadable(line, format!("{other:?}")))),
                }
            }
        }
    }));
    Ok(Opened {
        records,
        csv_header,
    })
}

/// Maps the header row to columns, refusing headers that would make every row wrong.
fn columns(headers: &csv::StringRecord, key: &str) -> Result<Vec<Column>, String> {
    if !headers
        .iter()
        .enumerate()
        .any(|(i, h)| h == key || (i == 0 && h.trim_start_matches('\u{feff}') == key))
    {
        return Err(format!(
            "no column {key:?} names the user (use --key-column to pick another)"
        ));
    }
    let mut out = Vec::with_capacity(headers.len());
    let mut seen: Vec<&str> = Vec::new();
    for (i, raw) in headers.iter().enumerate() {
        // Spreadsheet programs often start a file with a byte-order mark.
        let name = if i == 0 {
            raw.trim_start_matches('\u{feff}')
        } else {
            raw
        };
        if seen.contains(&name) {
            return Err(format!("column {name:?} appears twice in the header"));
        }
        seen.push(name);
        let column = if name == key {
            Column::Key
        } else if super::ignored_field(name) {
            Column::Ignored
        } else if name.is_empty() {
            return Err(format!("column {} has no name", i + 1));
        } else {
            crate::validate::check_name(name).map_err(|m| format!("column {name:?} {m}"))?;
            Column::Attribute(name.to_string())
        };
        out.push(column);
    }
    Ok(out)
}

fn to_record(fields: &csv::StringRecord, columns: &[Column], opts: &InputOptions) -> Record {
    let line = fields.position().map_or(0, |p| p.line());
    let mut row = Row {
        line,
        username: String::new(),
        changes: Vec::new(),
        client_metadata: opts.client_metadata.clone(),
    };
    let mut problems = Vec::new();
    if fields.len() != columns.len() {
        problems.push(Problem::row(
            "MalformedRow",
            format!(
                "the row has {} fields, the header has {}",
                fields.len(),
                columns.len()
            ),
        ));
    }
    for (column, value) in columns.iter().zip(fields.iter()) {
        match column {
            Column::Key => row.username = value.to_string(),
            Column::Ignored => {}
            Column::Attribute(name) => {
                let change = match (value.is_empty(), opts.empty_cells) {
                    (false, _) => Change::Set(value.to_string()),
                    (true, EmptyCells::Delete) => Change::Delete,
                    (true, EmptyCells::Ignore) => continue,
                };
                row.changes.push(AttrChange {
                    name: name.clone(),
                    change,
                });
            }
        }
    }
    Record {
        index: 0,
        raw: RawRecord::Csv(fields.clone()),
        row,
        problems,
        before: None,
    }
}

fn unreadable(line: u64, why: String) -> Record {
    Record {
        index: 0,
        raw: RawRecord::Csv(csv::StringRecord::new()),
        row: Row {
            line,
            username: String::new(),
            changes: Vec::new(),
            client_metadata: Default::default(),
        },
        problems: vec![Problem::row(
            "MalformedRow",
            format!("cannot read the row: {why}"),
        )],
        before: None,
    }
}
