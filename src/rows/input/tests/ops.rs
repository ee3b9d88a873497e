//! The operation columns (`enabled`, `groups_add`, `groups_remove`, `groups`) in CSV and
//! JSONL: what they make, what a bad value makes, and the `groups` column refused without
//! `--exact-groups`.

use std::collections::BTreeSet;
use std::io::Cursor;

use super::super::{Format, RowOps};
use super::options;
use crate::model::op::{GroupChange, Op};
use crate::model::row::{Code, Record};

fn read_with(format: Format, ops: RowOps, text: &str) -> Result<Vec<Record>, String> {
    let opts = super::super::InputOptions {
        ops,
        ..options(format)
    };
    let reader = Box::new(Cursor::new(text.as_bytes().to_vec()));
    let opened = super::super::read(reader, "in", &opts).map_err(|e| e.to_string())?;
    opened
        .records
        .map(|r| r.map_err(|e| e.to_string()))
        .collect()
}

fn plain(format: Format, text: &str) -> Vec<Record> {
    read_with(format, RowOps::default(), text).expect("read")
}

fn codes(r: &Record) -> Vec<Code> {
    r.problems.iter().map(|p| p.code).collect()
}

fn add(g: &str) -> Op {
    Op::Group(GroupChange::add(g))
}

fn remove(g: &str) -> Op {
    Op::Group(GroupChange::remove(g))
}

#[test]
fn csv_columns_make_memberships_and_the_flag_and_empty_cells_change_nothing() {
    let text = "username,nickname,groups_add,groups_remove,enabled\n\
                al,Al,admin  pro,beta,false\n\
                bo,,,,\n\
                cy,,\"[\"\"a b\"\"]\",,TRUE\n\
                di,,\"[\"\"x\"\", \"\"y\"\"]\",[],\n";
    let records = plain(Format::Csv, text);
    assert_eq!(records[0].row.ops.len(), 5, "{:?}", records[0].row.ops);
    assert!(records[0].row.ops.contains(&add("admin")));
    assert!(records[0].row.ops.contains(&add("pro")));
    assert!(records[0].row.ops.contains(&remove("beta")));
    assert!(records[0].row.ops.contains(&Op::Enabled(false)));
    assert!(records[1].row.ops.is_empty(), "empty cells: no change");
    // A JSON array cell whose name holds a space: not a group name Cognito allows.
    assert_eq!(codes(&records[2]), [Code::InvalidGroup]);
    assert_eq!(records[3].row.ops, [add("x"), add("y")]);
    assert!(records.iter().all(|r| r.row.exact_groups.is_none()));
}

#[test]
fn a_bad_value_is_an_invalid_row_naming_its_column_and_the_next_row_goes_on() {
    let text = "username,enabled,groups_add\nal,yes,\nbo,,\"[1]\"\ncy,true,\n";
    let records = plain(Format::Csv, text);
    assert_eq!(codes(&records[0]), [Code::InvalidBoolean]);
    let shown = records[0].invalid("in.csv").to_string();
    assert!(
        shown.starts_with("in.csv:2: user \"al\": column enabled"),
        "{shown}"
    );
    assert_eq!(codes(&records[1]), [Code::InvalidGroup]);
    assert!(records[1].invalid("in").message().contains("groups_add"));
    assert!(records[2].is_valid());
    assert_eq!(records[2].row.ops, [Op::Enabled(true)]);
}

#[test]
fn a_group_both_added_and_removed_is_invalid() {
    let records = plain(Format::Csv, "username,groups_add,groups_remove\nal,a b,b\n");
    assert_eq!(codes(&records[0]), [Code::InvalidGroup]);
    assert!(records[0].invalid("in").message().contains("group b"));
}

#[test]
fn more_groups_added_than_a_user_may_have_is_invalid() {
    let names: Vec<String> = (0..101).map(|i| format!("g{i}")).collect();
    let text = format!("username,groups_add\nal,{}\n", names.join(" "));
    let records = plain(Format::Csv, &text);
    assert_eq!(codes(&records[0]), [Code::TooManyGroups]);
}

#[test]
fn the_groups_column_needs_exact_groups_and_names_the_other_way() {
    for (format, text) in [
        (Format::Csv, "username,groups\nal,admin\n"),
        (
            Format::Jsonl,
            "{\"username\":\"al\",\"groups\":[\"admin\"]}\n",
        ),
    ] {
        let err = read_with(format, RowOps::default(), text).unwrap_err();
        assert!(err.contains("--exact-groups"), "{err}");
        assert!(err.contains("groups_add"), "{err}");
        let exact = RowOps {
            exact_groups: true,
            ..RowOps::default()
        };
        let records = read_with(format, exact, text).expect("with the flag");
        let set: BTreeSet<String> = ["admin".to_string()].into();
        assert_eq!(records[0].row.exact_groups, Some(set), "{format:?}");
    }
}

#[test]
fn with_exact_groups_an_empty_cell_changes_nothing_and_brackets_are_the_empty_set() {
    let exact = RowOps {
        exact_groups: true,
        ..RowOps::default()
    };
    let records = read_with(Format::Csv, exact, "username,groups\nal,\nbo,[]\n").unwrap();
    assert_eq!(records[0].row.exact_groups, None);
    assert_eq!(records[1].row.exact_groups, Some(BTreeSet::new()));
}

#[test]
fn jsonl_keys_read_as_the_columns_and_a_bad_one_is_named() {
    let text = "{\"username\":\"al\",\"enabled\":false,\"groups_add\":\"admin\",\"groups_remove\":[\"b\",\"c\"]}\n\
                {\"username\":\"bo\",\"enabled\":\"no\"}\n\
                {\"username\":\"cy\",\"groups_add\":{\"a\":1},\"enabled\":null}\n";
    let records = plain(Format::Jsonl, text);
    assert_eq!(
        records[0].row.ops,
        [add("admin"), remove("b"), remove("c"), Op::Enabled(false)]
    );
    assert_eq!(codes(&records[1]), [Code::InvalidBoolean]);
    assert_eq!(codes(&records[2]), [Code::InvalidGroup]);
    // Written back as read, for the failed-rows file.
    let crate::model::row::RawRecord::Json(raw) = &records[1].raw else {
        panic!("a JSON row")
    };
    assert_eq!(raw["enabled"], "no");
}

#[test]
fn sign_out_comes_last_and_only_on_rows_that_change_something() {
    let ops = RowOps {
        sign_out: true,
        ..RowOps::default()
    };
    let text = "username,nickname,enabled\nal,Al,false\nbo,,\n";
    let records = read_with(Format::Csv, ops, text).unwrap();
    assert_eq!(records[0].row.ops.last(), Some(&Op::SignOut));
    assert_eq!(records[0].row.ops.len(), 3);
    assert!(records[1].row.ops.is_empty());
}
