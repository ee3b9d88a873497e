//! No input, however broken, makes a reader panic or hang: the CSV and JSONL readers, the
//! plan reader and the journal loader get arbitrary bytes and mutations of the files in
//! `tests/corpus/`, and must answer with records or errors. And a stray quote in a CSV never
//! merges rows: its row is `MalformedRow`, every other row is read as written. Each corpus file is also read as
//! it is, as a plain test. The number of cases is fixed, so this runs in seconds in CI; set
//! `PROPTEST_CASES` to run more.

use std::collections::BTreeMap;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use cognito_bulk::rows::input::{self, EmptyCells, Format, InputOptions, RowOps};
use cognito_bulk::{decide::validate, journal, plan::file};
use proptest::prelude::*;
use proptest::sample::Index;

/// Reads every record of `bytes` as `format`, checking each row as a run would: once as
/// read by default, once with `--exact-groups --sign-out` (the `groups` column read).
fn read_input(format: Format, bytes: &[u8]) {
    read_input_with(format, bytes, RowOps::default());
    let ops = RowOps {
        exact_groups: true,
        sign_out: true,
    };
    read_input_with(format, bytes, ops);
}

fn read_input_with(format: Format, bytes: &[u8], ops: RowOps) {
    let opts = InputOptions {
        format,
        key_column: "username".into(),
        empty_cells: EmptyCells::Delete,
        client_metadata: BTreeMap::new(),
        ops,
    };
    let Ok(opened) = input::read(Box::new(Cursor::new(bytes.to_vec())), "fuzz", &opts) else {
        return;
    };
    for record in opened.records {
        let Ok(mut record) = record else { continue };
        validate::check(&mut record);
        let _ = record.invalid("fuzz").to_string();
    }
}

/// A file holding `bytes`, for the readers that take a path.
fn file(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(bytes).unwrap();
    f.flush().unwrap();
    f
}

fn read_plan(bytes: &[u8]) {
    let f = file(bytes);
    let _ = file::read_header(f.path()).map(|h| h.input_sha256.chars().count());
    read_input(Format::Plan, bytes);
}

fn read_journal(bytes: &[u8]) {
    let f = file(bytes);
    let _ = journal::read_header(f.path());
    if let Ok((tally, _)) = cognito_bulk::report::Tally::load(f.path()) {
        // What `cognito-bulk report` prints.
        let report = tally.to_report();
        let _ = report.summary();
        let _ = serde_json::to_string_pretty(&report);
    }
    if let Ok((_, entries)) = journal::entries(f.path()) {
        entries.for_each(drop);
    }
}

fn corpus(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} is empty", dir.display());
    files
}

/// The small corpus files, as seeds for mutation.
fn seeds(kind: &str) -> Vec<Vec<u8>> {
    corpus(kind)
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .filter(|b| b.len() <= 8 * 1024)
        .collect()
}

/// Pieces that break parsers: quotes, separators, bad UTF-8, BOMs, NUL, extreme numbers, keys
/// the readers look for.
const TOKENS: &[&[u8]] = &[
    b"\"",
    b"\"\"",
    b",",
    b"\n",
    b"\r",
    b"\r\n",
    b"\0",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xef\xbb\xbf",
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b"null",
    b"true",
    "é".as_bytes(),
    "😀".as_bytes(),
    b"18446744073709551615",
    b"18446744073709551616",
    b"4294967296",
    b"-1",
    b"1e999",
    b"-0",
    b"NaN",
    b"\\u0000",
    b"\\ud800",
    b"\"username\"",
    b"\"attributes\"",
    b"\"input_sha256\":\"\xc3\xa9\xc3\xa9\"",
    b"\"kind\"",
    b"\"cognito-bulk-journal\"",
    b"\"cognito-bulk-plan\"",
    b"\"version\":2",
    b"\"n\":18446744073709551615",
    b"\"t\":-1e308",
    b"\"outcome\":\"failed\"",
];

/// One edit of an input: at a position (taken modulo the length), flip a byte, insert a
/// token, delete a stretch, or cut the input there.
#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, usize),
    Delete(usize, usize),
    Cut(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, x)| Edit::Flip(at, x)),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, t)| Edit::Insert(at, t)),
        (any::<usize>(), 1usize..64).prop_map(|(at, n)| Edit::Delete(at, n)),
        any::<usize>().prop_map(Edit::Cut),
    ]
}

fn mutate(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let at = |i: usize| i % (bytes.len() + 1);
        match *e {
            Edit::Flip(i, x) if !bytes.is_empty() => {
                let i = i % bytes.len();
                bytes[i] ^= x;
            }
            Edit::Flip(..) => {}
            Edit::Insert(i, t) => {
                let i = at(i);
                bytes.splice(i..i, TOKENS[t].iter().copied());
            }
            Edit::Delete(i, n) => {
                let i = at(i);
                bytes.drain(i..(i + n).min(bytes.len()));
            }
            Edit::Cut(i) => bytes.truncate(at(i)),
        }
    }
    bytes
}

/// A corpus file of `kind` with a few edits, or arbitrary bytes.
fn input(kind: &'static str) -> impl Strategy<Value = Vec<u8>> {
    let seeds = seeds(kind);
    prop_oneof![
        1 => proptest::collection::vec(any::<u8>(), 0..512),
        4 => (
            proptest::sample::select(seeds),
            proptest::collection::vec(edit(), 1..8)
        )
            .prop_map(|(seed, edits)| mutate(seed, &edits)),
    ]
}

/// 1,024 cases a target unless `PROPTEST_CASES` asks for another number.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn csv_reader_never_panics(bytes in input("csv")) {
        read_input(Format::Csv, &bytes);
    }

    #[test]
    fn jsonl_reader_never_panics(bytes in input("jsonl")) {
        read_input(Format::Jsonl, &bytes);
    }

    #[test]
    fn plan_reader_never_panics(bytes in input("plan")) {
        read_plan(&bytes);
    }

    #[test]
    fn journal_loader_never_panics(bytes in input("journal")) {
        read_journal(&bytes);
    }
}

/// The records of a CSV `username,nickname` whose rows are `u{i},{value}`, with `\n` or
/// `\r\n` line ends; `(line, username, nickname or None, first code: problem messages)` each.
fn stray_quote_rows(values: &[String], crlf: bool) -> Vec<(u64, String, Option<String>, String)> {
    let end = if crlf { "\r\n" } else { "\n" };
    let mut text = format!("username,nickname{end}");
    for (i, v) in values.iter().enumerate() {
        text.push_str(&format!("u{i},{v}{end}"));
    }
    let opts = InputOptions {
        format: Format::Csv,
        key_column: "username".into(),
        empty_cells: EmptyCells::Ignore,
        client_metadata: BTreeMap::new(),
        ops: Default::default(),
    };
    let opened = input::read(Box::new(Cursor::new(text.into_bytes())), "in", &opts).unwrap();
    opened
        .records
        .map(|r| {
            let r = r.unwrap();
            let nickname = r
                .row
                .attrs()
                .find_map(|c| c.change.value().map(str::to_string));
            let problems = match r.is_valid() {
                true => String::new(),
                false => format!(
                    "{}: {}",
                    r.problems[0].code.as_str(),
                    r.invalid("in").message()
                ),
            };
            (r.row.line, r.row.username.clone(), nickname, problems)
        })
        .collect()
}

/// Checks every row but `bad` was read as its own, valid, with its value; returns `bad`'s
/// problems.
fn others_as_written(
    got: &[(u64, String, Option<String>, String)],
    values: &[String],
    bad: usize,
) -> Result<String, TestCaseError> {
    prop_assert_eq!(got.len(), values.len(), "{:?}", got);
    for (i, (line, user, nickname, problems)) in got.iter().enumerate() {
        prop_assert_eq!(*line, i as u64 + 2);
        prop_assert_eq!(user, &format!("u{i}"));
        if i != bad {
            prop_assert_eq!(problems, "");
            prop_assert_eq!(
                nickname.clone(),
                Some(values[i].clone()).filter(|v| !v.is_empty())
            );
        }
    }
    Ok(got[bad].3.clone())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases() / 4,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// `"C1"x`: the row is MalformedRow naming the line and column of the quote.
    #[test]
    fn csv_text_after_a_closing_quote_is_malformed_and_the_rows_go_on(
        mut values in proptest::collection::vec("[a-z ]{0,5}", 1..12),
        at in any::<Index>(),
        quoted in "[a-z ,]{0,4}",
        after in "[a-z][a-z ]{0,3}",
        crlf in any::<bool>(),
    ) {
        let k = at.index(values.len());
        values[k] = format!("\"{quoted}\"{after}");
        let got = stray_quote_rows(&values, crlf);
        let m = others_as_written(&got, &values, k)?;
        let column = format!("u{k},").len() + 1;
        prop_assert!(m.contains("MalformedRow"), "{}", m);
        let at = format!("line {}, column {column}", k + 2);
        prop_assert!(m.contains(&at) && m.contains("text follows"), "{}", m);
    }

    /// `bob,"C2` ... `carol,c"x`: the quote closes on a later line with text after it. bob's
    /// row is MalformedRow, and the lines it would have swallowed are rows of their own.
    #[test]
    fn csv_a_quote_closing_on_a_later_line_never_merges_rows(
        mut values in proptest::collection::vec("[a-z ]{0,5}", 2..12),
        open in any::<Index>(),
        close in any::<Index>(),
        quoted in "[a-z ]{0,3}",
        before in "[a-z]{1,3}",
        after in "[a-z]{1,3}",
        crlf in any::<bool>(),
    ) {
        let k = open.index(values.len() - 1);
        let j = k + 1 + close.index(values.len() - k - 1);
        values[k] = format!("\"{quoted}");
        values[j] = format!("{before}\"{after}");
        let got = stray_quote_rows(&values, crlf);
        let m = others_as_written(&got, &values, k)?;
        let at = format!("line {}, column {} closes only on line {}", k + 2, format!("u{k},").len() + 1, j + 2);
        prop_assert!(m.contains("MalformedRow") && m.contains(&at), "{}", m);
        prop_assert_eq!(got[k].2.clone(), Some(quoted).filter(|v| !v.is_empty()));
    }
}

#[test]
fn corpus_files_are_read_without_panic() {
    for path in corpus("csv") {
        read_input(Format::Csv, &std::fs::read(&path).unwrap());
    }
    for path in corpus("jsonl") {
        read_input(Format::Jsonl, &std::fs::read(&path).unwrap());
    }
    for path in corpus("plan") {
        read_plan(&std::fs::read(&path).unwrap());
    }
    for path in corpus("journal") {
        read_journal(&std::fs::read(&path).unwrap());
    }
}
