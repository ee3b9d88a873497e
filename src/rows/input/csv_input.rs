//! CSV input: a header row, one column naming the user, every other column an attribute.

use std::collections::HashSet;
use std::io::Read;

use super::columns::{self, OpCells, OpColumn};
use super::quotes::{self, QuoteProblem, Splitter};
use super::{EmptyCells, InputError, InputOptions, Opened, Records, RowOps};
use crate::model::row::{AttrChange, Change, Code, Problem, RawRecord, Record, Row};

/// What each column of the file is for.
#[derive(Clone)]
enum Column {
    Key,
    Attribute(String),
    /// `enabled`, `groups_add`, `groups_remove`, `groups` (see `super::columns`).
    Op(OpColumn),
    /// `error_code` / `error_message` from a failed-rows file.
    Ignored,
}

/// The records of an input, split strictly by their quotes (see `super::quotes`).
type Csv = Splitter<Box<dyn Read + Send>>;

pub(super) fn read(
    reader: Box<dyn Read + Send>,
    display: &str,
    opts: &InputOptions,
) -> Result<Opened, InputError> {
    let mut csv = Splitter::new(reader);
    let (headers, columns) = header(&mut csv, display, &opts.key_column, opts.ops)?;
    Ok(Opened {
        records: records(csv, columns, opts, display),
        csv_header: Some(headers),
    })
}

/// The header row, and what each of its columns is for; an error names the file.
fn header(
    csv: &mut Csv,
    display: &str,
    key_column: &str,
    ops: RowOps,
) -> Result<(csv::StringRecord, Vec<Column>), InputError> {
    let header_error = |message: String| InputError::Header {
        path: display.to_string(),
        message,
    };
    let first = csv.next_record().map_err(|source| InputError::Io {
        path: display.to_string(),
        source,
    })?;
    let (headers, problems) = match first {
        Some(split) => (fields(&split.bytes), split.problems),
        None => (csv::ByteRecord::new(), vec![]),
    };
    if let Some(problem) = problems.first() {
        return Err(header_error(match problem {
            QuoteProblem::NeverClosed(q) => format!(
                "a quote opened on line {} is never closed, so the header row runs to the end of the file",
                q.line
            ),
            other => format!("the header row: {}", other.message()),
        }));
    }
    let headers = match csv::StringRecord::from_byte_record(headers) {
        Ok(h) => h,
        Err(e) => {
            let (column, byte) = (e.utf8_error().field() + 1, e.utf8_error().valid_up_to() + 1);
            return Err(header_error(format!(
                "the header row has invalid UTF-8 at byte {byte} of column {column}"
            )));
        }
    };
    let columns = columns(&headers, key_column, ops).map_err(header_error)?;
    Ok((headers, columns))
}

/// The rows after the header, one record each, until the end or the first read error.
fn records(mut csv: Csv, columns: Vec<Column>, opts: &InputOptions, display: &str) -> Records {
    let opts = opts.clone();
    let display = display.to_string();
    let mut done = false;
    Box::new(std::iter::from_fn(move || {
        if done {
            return None;
        }
        match csv.next_record() {
            Ok(Some(split)) => Some(Ok(data_row(split, &columns, &opts))),
            Ok(None) => {
                done = true;
                None
            }
            Err(source) => {
                done = true;
                Some(Err(InputError::Io {
                    path: display.clone(),
                    source,
                }))
            }
        }
    }))
}

/// One record read, at the line an editor shows it on; what was wrong with its quotes comes
/// first, naming the attribute of the column the quote opened in.
fn data_row(split: quotes::Split, columns: &[Column], opts: &InputOptions) -> Record {
    let fields = fields(&split.bytes);
    let mut out = to_record(&fields, split.line, columns, opts);
    let quoted: Vec<Problem> = split
        .problems
        .iter()
        .map(|p| match columns.get(p.quote().field) {
            Some(Column::Attribute(name)) => Problem::attr(Code::MalformedRow, name, p.message()),
            _ => Problem::row(Code::MalformedRow, p.message()),
        })
        .collect();
    out.problems.splice(0..0, quoted);
    out
}

/// Maps the header row to columns, refusing headers that would make every row wrong.
fn columns(headers: &csv::StringRecord, key: &str, ops: RowOps) -> Result<Vec<Column>, String> {
    if !headers.iter().any(|h| h == key) {
        return Err(format!(
            "no column {key:?} names the user (use --key-column to pick another)"
        ));
    }
    let mut out = Vec::with_capacity(headers.len());
    let mut seen: HashSet<&str> = HashSet::with_capacity(headers.len());
    // A byte-order mark was dropped before the file got here (see `super::bom`).
    for (i, name) in headers.iter().enumerate() {
        if !seen.insert(name) {
            return Err(format!("column {name:?} appears twice in the header"));
        }
        let column = if name == key {
            Column::Key
        } else if super::ignored_field(name) {
            Column::Ignored
        } else if let Some(op) = OpColumn::of(name) {
            if op == OpColumn::Groups
                && let Some(why) = columns::groups_needs_flag(ops)
            {
                return Err(format!("column {why}"));
            }
            Column::Op(op)
        } else if name.is_empty() {
            return Err(format!("column {} has no name", i + 1));
        } else {
            crate::cognito::rules::check_name(name).map_err(|m| format!("column {name:?} {m}"))?;
            Column::Attribute(name.to_string())
        };
        out.push(column);
    }
    Ok(out)
}

fn to_record(
    bytes: &csv::ByteRecord,
    line: u64,
    columns: &[Column],
    opts: &InputOptions,
) -> Record {
    // Bad bytes spoil only their own cells: the rest of the row is kept for the failed-rows
    // file, with U+FFFD in place of what could not be read.
    let (fields, bad_bytes) = match csv::StringRecord::from_byte_record(bytes.clone()) {
        Ok(fields) => (fields, false),
        Err(e) => {
            let bytes = e.into_byte_record();
            (csv::StringRecord::from_byte_record_lossy(bytes), true)
        }
    };
    let mut row = Row {
        line,
        username: String::new(),
        ops: Vec::new(),
        client_metadata: opts.client_metadata.clone(),
        exact_groups: None,
    };
    let mut problems = Vec::new();
    let mut cells = OpCells::default();
    if fields.len() != columns.len() {
        problems.push(Problem::row(
            Code::MalformedRow,
            format!(
                "the row has {} fields, the header has {}{}",
                fields.len(),
                columns.len(),
                multi_line_hint(&fields, line)
            ),
        ));
    }
    for (column, (raw, value)) in columns.iter().zip(bytes.iter().zip(fields.iter())) {
        if let Some(e) = bad_bytes.then(|| std::str::from_utf8(raw).err()).flatten() {
            problems.extend(bad_utf8(column, e.valid_up_to() + 1));
        }
        match column {
            Column::Key => row.username = value.to_string(),
            Column::Ignored => {}
            Column::Op(op) => cells.cell(*op, value, &mut problems),
            Column::Attribute(name) => {
                let change = match (value.is_empty(), opts.empty_cells) {
                    (false, _) => Change::Set(value.to_string()),
                    (true, EmptyCells::Delete) => Change::Delete,
                    (true, EmptyCells::Ignore) => continue,
                };
                row.push_attr(AttrChange {
                    name: name.clone(),
                    change,
                });
            }
        }
    }
    cells.finish(&mut row, opts.ops, &mut problems);
    Record {
        index: 0,
        raw: RawRecord::Csv(fields),
        row,
        problems,
        before: None,
        identity: None,
    }
}

/// A cell of `column` whose bytes are not UTF-8 from `byte` (1-based) on.
fn bad_utf8(column: &Column, byte: usize) -> Option<Problem> {
    match column {
        Column::Key => Some(Problem::row(
            Code::MalformedRow,
            format!("the user key has invalid UTF-8 at byte {byte}"),
        )),
        Column::Attribute(name) => Some(Problem::attr(
            Code::MalformedRow,
            name,
            format!("invalid UTF-8 at byte {byte} of the value"),
        )),
        Column::Op(op) => Some(Problem::row(
            Code::MalformedRow,
            format!("column {}: invalid UTF-8 at byte {byte}", op.name()),
        )),
        Column::Ignored => None,
    }
}

/// For a row with the wrong number of fields: where a quoted value spans lines, which is what
/// a missing or extra quote looks like.
fn multi_line_hint(fields: &csv::StringRecord, line: u64) -> String {
    // Fields before the first multi-line one hold no line break: it opens on the row's line.
    fields
        .iter()
        .position(|v| v.contains(['\n', '\r']))
        .map_or(String::new(), |i| {
            let lines = fields[i].matches('\n').count() + 1;
            format!(
                " (the quoted value in field {} opens on line {line} and runs over {lines} \
                 lines: is a quote missing or extra?)",
                i + 1
            )
        })
}

/// The fields of one record's bytes, unescaped by csv-core as the csv crate would.
pub(super) fn fields(bytes: &[u8]) -> csv::ByteRecord {
    let mut reader = csv_core::Reader::new();
    let mut output = vec![0; bytes.len()];
    let mut ends = vec![0; bytes.iter().filter(|&&b| b == b',').count() + 1];
    let (mut input, mut used, mut fields) = (bytes, 0, 0);
    loop {
        let (result, read, wrote, ended) =
            reader.read_record(input, &mut output[used..], &mut ends[fields..]);
        input = &input[read..];
        used += wrote;
        fields += ended;
        match result {
            csv_core::ReadRecordResult::InputEmpty => {}
            csv_core::ReadRecordResult::OutputFull => output.resize(output.len() * 2 + 1, 0),
            csv_core::ReadRecordResult::OutputEndsFull => ends.resize(ends.len() * 2, 0),
            csv_core::ReadRecordResult::Record | csv_core::ReadRecordResult::End => break,
        }
    }
    let mut record = csv::ByteRecord::with_capacity(used, fields);
    let mut start = 0;
    for &end in &ends[..fields] {
        record.push_field(&output[start..end]);
        start = end;
    }
    record
}
