//! The CSV and JSONL readers on inputs that are broken in the ways real files are: open
//! quotes, bad bytes, repeated keys, byte-order marks, numbers with more digits than a float.

use std::collections::BTreeMap;
use std::io::Cursor;

use super::{EmptyCells, Format, InputOptions};
use crate::model::row::{Change, RawRecord, Record};

fn options(format: Format) -> InputOptions {
    InputOptions {
        format,
        key_column: "username".into(),
        empty_cells: EmptyCells::Ignore,
        client_metadata: BTreeMap::new(),
        ops: Default::default(),
    }
}

pub(super) fn read(format: Format, bytes: &[u8]) -> Result<Vec<Record>, String> {
    let opened = super::read(
        Box::new(Cursor::new(bytes.to_vec())),
        "in",
        &options(format),
    )
    .map_err(|e| e.to_string())?;
    opened
        .records
        .map(|r| r.map_err(|e| e.to_string()))
        .collect()
}

fn csv(text: &[u8]) -> Vec<Record> {
    read(Format::Csv, text).expect("the header is fine")
}

fn jsonl(text: &[u8]) -> Vec<Record> {
    read(Format::Jsonl, text).expect("JSONL has no header")
}

/// The value a record sets for `name`.
fn set(record: &Record, name: &str) -> Option<String> {
    record.row.attrs().find_map(|c| match &c.change {
        Change::Set(v) if c.name == name => Some(v.clone()),
        _ => None,
    })
}

fn messages(record: &Record) -> String {
    record.invalid("in").message()
}

#[test]
fn csv_header_with_many_columns_completes() {
    // 200,000 columns: a quadratic check of repeated names would not finish in any CI.
    let names: Vec<String> = (0..200_000).map(|i| format!("custom:c{i}")).collect();
    let text = format!(
        "username,{}\nalice,{}\n",
        names.join(","),
        "x,".repeat(199_999) + "x"
    );
    let records = csv(text.as_bytes());
    assert_eq!(records.len(), 1);
    assert!(records[0].is_valid(), "{}", messages(&records[0]));
    assert_eq!(records[0].row.ops.len(), 200_000);

    let repeated = format!("username,{},custom:c7\n", names[..1000].join(","));
    let err = read(Format::Csv, repeated.as_bytes()).expect_err("refused");
    assert!(err.contains("\"custom:c7\" appears twice"), "{err}");
}

#[test]
fn csv_quote_open_at_end_of_input_is_malformed_naming_its_line() {
    let records = csv(b"username,nickname\nalice,Al\nbob,\"Bo\n");
    assert_eq!(records.len(), 2);
    assert!(records[0].is_valid());
    let bob = &records[1];
    assert_eq!(bob.problems[0].code.as_str(), "MalformedRow");
    let m = messages(bob);
    assert!(m.contains("line 3") && m.contains("never closed"), "{m}");

    // In the header row itself: the whole file is one header, refused as such.
    let err = read(Format::Csv, b"username,\"nickname\nalice,x\n").unwrap_err();
    assert!(err.contains("line 1 is never closed"), "{err}");
}

#[test]
fn csv_quote_open_mid_file_names_the_line_it_opened_on() {
    // The quote on line 3 swallows the rest of the file into one cell.
    let records =
        csv(b"username,nickname,given_name\nalice,a,A\nbob,\"Bo,B\ncarol,c,C\ndave,d,D\n");
    assert_eq!(records.len(), 2);
    assert!(records[0].is_valid());
    let m = messages(&records[1]);
    assert_eq!(records[1].problems[0].code.as_str(), "MalformedRow");
    assert!(m.contains("line 3") && m.contains("never closed"), "{m}");

    // A later quote closes it: the count of fields is then wrong, and the message says why.
    let records = csv(b"username,nickname,given_name\nbob,\"Bo\ncarol,c\",C,x\ndave,d,D\n");
    assert_eq!(records.len(), 2);
    let m = messages(&records[0]);
    assert!(m.contains("4 fields") && m.contains("line 2"), "{m}");
    assert!(m.contains("quote"), "{m}");
    assert!(records[1].is_valid(), "{}", messages(&records[1]));
}

#[test]
fn csv_quoted_values_over_several_lines_are_kept() {
    let records = csv(b"username,nickname\r\nalice,\"Al\r\n\"\"the boss\"\"\"\r\nbob,\"b,\"\r\n");
    assert_eq!(records.len(), 2);
    assert!(records.iter().all(Record::is_valid));
    assert_eq!(set(&records[0], "nickname").unwrap(), "Al\r\n\"the boss\"");
    assert_eq!(set(&records[1], "nickname").unwrap(), "b,");
    // A closed quote as the last byte of the file is fine too.
    let records = csv(b"username,nickname\nalice,\"Al\nice\"");
    assert!(records[0].is_valid(), "{}", messages(&records[0]));
}

#[test]
fn csv_invalid_utf8_names_the_byte_and_keeps_the_rest_of_the_row() {
    let records = csv(b"username,nickname,given_name\nalice,ab\xffc,Alice\nbob,b,B\n");
    assert_eq!(records.len(), 2);
    let alice = &records[0];
    assert_eq!(alice.problems[0].code.as_str(), "MalformedRow");
    assert_eq!(alice.problems[0].attribute.as_deref(), Some("nickname"));
    let m = messages(alice);
    assert!(m.contains("invalid UTF-8 at byte 3"), "{m}");
    assert!(!m.contains("Utf8"), "{m}");
    assert_eq!(alice.username(), Some("alice"));
    let RawRecord::Csv(raw) = &alice.raw else {
        panic!("a CSV record")
    };
    assert_eq!(raw.get(0), Some("alice"));
    assert_eq!(raw.get(2), Some("Alice"));
    assert!(records[1].is_valid());

    let err = read(Format::Csv, b"username,nick\xc3name\n").unwrap_err();
    assert!(err.contains("invalid UTF-8 at byte 5"), "{err}");
    assert!(!err.contains("Utf8"), "{err}");
}

#[test]
fn csv_byte_order_mark_is_ignored_even_before_a_quoted_header() {
    let records = csv(b"\xef\xbb\xbf\"username\",\"nickname\"\nalice,x\n");
    assert!(records[0].is_valid(), "{}", messages(&records[0]));
    assert_eq!(records[0].username(), Some("alice"));
}

#[test]
fn a_plans_left_out_entry_is_an_invalid_row_with_the_plans_reason() {
    let plan = concat!(
        r#"{"kind":"cognito-bulk-plan","version":3}"#,
        "\n",
        r#"{"line":4,"user":"k@x.example","changes":[],"left_out":{"code":"AmbiguousMatch","message":"2 users of the pool have this email"}}"#,
        "\n",
        r#"{"line":5,"user":"u","changes":[],"left_out":{"code":"SomethingNew","message":"why"}}"#,
        "\n",
        r#"{"line":6,"user":"v","changes":[{"name":"nickname","before":null,"after":"v"}]}"#,
        "\n"
    );
    let records = read(Format::Plan, plan.as_bytes()).unwrap();
    assert_eq!(records.len(), 3);
    let p = &records[0].problems;
    assert_eq!((p.len(), p[0].code.as_str()), (1, "AmbiguousMatch"));
    assert_eq!(
        p[0].message,
        "left out by the plan (input line 4): 2 users of the pool have this email"
    );
    assert_eq!(records[0].row.username, "k@x.example");
    assert!(records[0].row.ops.is_empty() && records[0].before.is_none());
    // A code this build does not know still leaves the row out.
    assert_eq!(records[1].problems[0].code.as_str(), "InvalidRow");
    assert!(records[2].is_valid());
}

#[test]
fn every_code_a_plan_can_leave_a_row_out_with_reads_back_as_itself() {
    // The list a plan's codes were read back against once lacked two codes the planner and
    // the row checks make, so their rows came back as `InvalidRow`.
    for code in [
        "InvalidPhoneNumber",
        "OverwrittenAtSignIn",
        "UserNotFoundException",
    ] {
        let plan = format!(
            "{{\"kind\":\"cognito-bulk-plan\",\"version\":3}}\n{{\"line\":4,\"user\":\"u\",\"changes\":[],\"left_out\":{{\"code\":\"{code}\",\"message\":\"why\"}}}}\n"
        );
        let records = read(Format::Plan, plan.as_bytes()).unwrap();
        assert_eq!(records[0].problems[0].code.as_str(), code);
    }
}

#[test]
fn csv_stray_quotes_are_malformed_and_never_merge_rows() {
    // The reviewer's file: text after a closing quote, and a quote that closes on a later
    // line and goes on unquoted.
    let records = csv(b"username,nickname\nalice,\"C1\"x\nbob,\"C2\ncarol,\"C3\"\nerin,E3\n");
    let users: Vec<_> = records.iter().map(|r| (r.row.line, r.username())).collect();
    assert_eq!(
        users,
        [
            (2, Some("alice")),
            (3, Some("bob")),
            (4, Some("carol")),
            (5, Some("erin"))
        ]
    );
    let alice = &records[0];
    assert_eq!(alice.problems[0].code.as_str(), "MalformedRow");
    assert_eq!(alice.problems[0].attribute.as_deref(), Some("nickname"));
    let m = messages(alice);
    assert!(
        m.contains("line 2, column 7") && m.contains("text follows"),
        "{m}"
    );
    let bob = &records[1];
    assert_eq!(bob.problems[0].code.as_str(), "MalformedRow");
    assert_eq!(bob.problems[0].attribute.as_deref(), Some("nickname"));
    let m = messages(bob);
    assert!(m.contains("line 3, column 5 closes only on line 4"), "{m}");
    // bob's own line, nothing of carol's.
    assert_eq!(set(bob, "nickname").unwrap(), "C2");
    assert!(records[2].is_valid() && records[3].is_valid());
    assert_eq!(set(&records[2], "nickname").unwrap(), "C3");

    // As the reviewer wrote it, carol's quote is never closed either: her row says so.
    let records = csv(b"username,nickname\nalice,\"C1\"x\nbob,\"C2\ncarol,\"C3\nerin,E3\n");
    assert_eq!(records.len(), 3);
    assert!(records.iter().all(|r| !r.is_valid()));
    let m = messages(&records[2]);
    assert!(m.contains("line 4 is never closed"), "{m}");

    // In the key column: the row is named by its line, the problem by no attribute.
    let records = csv(b"username,nickname\n\"al\"ice,x\r\nbob,y\r\n");
    assert_eq!(records[0].problems[0].attribute, None);
    assert!(messages(&records[0]).contains("line 2, column 1"));
    assert!(records[1].is_valid());

    // In the header: refused, naming where.
    let err = read(Format::Csv, b"username,\"nick\"name\nalice,x\n").unwrap_err();
    assert!(
        err.contains("header row") && err.contains("line 1, column 10"),
        "{err}"
    );
}

#[test]
fn csv_a_quoted_value_over_lines_closing_before_a_delimiter_or_the_end_is_kept() {
    let records = csv(b"username,given_name,nickname\nalice,A,\"a\nb\"\nbob,\"c\r\n\",B\ndave,d,D");
    assert_eq!(records.len(), 3);
    assert!(records.iter().all(Record::is_valid));
    assert_eq!(set(&records[0], "nickname").unwrap(), "a\nb");
    assert_eq!(records[1].row.line, 4);
    assert_eq!(set(&records[1], "given_name").unwrap(), "c\r\n");
    assert_eq!(records[2].row.line, 6);
}

mod jsonl;
mod ops;
