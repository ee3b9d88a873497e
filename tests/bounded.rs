//! Bounded cost and no surprise for any input (issue 17, items 3 and 4): values nested deeper
//! than serde_json can hold are malformed rows, never `null` (which would delete).

use std::collections::BTreeMap;
use std::io::Cursor;

use cognito_bulk::input::{self, EmptyCells, Format, InputOptions};

fn jsonl_problems(line: &str) -> (Vec<String>, usize) {
    let opts = InputOptions {
        format: Format::Jsonl,
        key_column: "username".into(),
        empty_cells: EmptyCells::Ignore,
        client_metadata: BTreeMap::new(),
    };
    let opened = input::read(Box::new(Cursor::new(line.as_bytes().to_vec())), "in", &opts)
        .expect("JSONL has no header");
    let records: Vec<_> = opened.records.map(|r| r.expect("no I/O error")).collect();
    assert_eq!(records.len(), 1);
    let r = &records[0];
    let codes = r.problems.iter().map(|p| p.code.to_string()).collect();
    (codes, r.row.changes.len())
}

fn arrays(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

fn objects(depth: usize) -> String {
    format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth))
}

#[test]
fn deep_json_values_are_malformed_rows_at_every_depth_never_a_deletion() {
    for depth in [2, 127, 128, 129, 10_000] {
        for value in [arrays(depth), objects(depth)] {
            for line in [
                format!(r#"{{"username":"u3","attributes":{{"nickname":{value}}}}}"#),
                format!(
                    r#"{{"username":"u3","attributes":{{"nickname":"x","custom:a":{value}}}}}"#
                ),
                format!(r#"{{"username":"u3","attributes":{value}}}"#),
                format!(
                    r#"{{"username":"u3","attributes":{{"nickname":"x"}},"client_metadata":{value}}}"#
                ),
                format!(r#"{{"username":"u3","attributes":{{"nickname":"x"}},"other":{value}}}"#),
                format!(r#"{{"username":{value},"attributes":{{"nickname":"x"}}}}"#),
            ] {
                let (codes, _) = jsonl_problems(&line);
                assert!(
                    codes.iter().any(|c| c == "MalformedRow"),
                    "depth {depth}: {codes:?} for {}",
                    &line[..80.min(line.len())]
                );
            }
        }
    }
}

#[test]
fn a_deep_value_is_never_read_as_a_deletion() {
    // Depth 128 and more used to read as null, that is a deletion of the attribute.
    for depth in [128, 129, 10_000] {
        let line = format!(
            r#"{{"username":"u3","attributes":{{"nickname":{}}}}}"#,
            arrays(depth)
        );
        let (codes, changes) = jsonl_problems(&line);
        assert_eq!(codes, ["MalformedRow"], "depth {depth}");
        assert_eq!(changes, 0, "depth {depth}: no change is read from it");
    }
}
