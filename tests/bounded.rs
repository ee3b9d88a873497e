//! Bounded cost and no surprise for any input (issue 17, items 3 and 4): values nested deeper
//! than serde_json can hold are malformed rows, never `null` (which would delete); duplicate
//! rows cost output linear in the input (peak memory: `bench/duplicates.sh`).

mod support;

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::Path;

use support::*;

use cognito_bulk::rows::input::{self, EmptyCells, Format, InputOptions};

fn jsonl_problems(line: &str) -> (Vec<String>, usize) {
    let opts = InputOptions {
        format: Format::Jsonl,
        key_column: "username".into(),
        empty_cells: EmptyCells::Ignore,
        client_metadata: BTreeMap::new(),
        ops: Default::default(),
    };
    let opened = input::read(Box::new(Cursor::new(line.as_bytes().to_vec())), "in", &opts)
        .expect("JSONL has no header");
    let records: Vec<_> = opened.records.map(|r| r.expect("no I/O error")).collect();
    assert_eq!(records.len(), 1);
    let r = &records[0];
    let codes = r.problems.iter().map(|p| p.code.to_string()).collect();
    (codes, r.row.ops.len())
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

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

#[tokio::test(flavor = "multi_thread")]
async fn many_duplicate_rows_cost_output_linear_in_the_input() {
    const ROWS: u64 = 100_000;
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &[]).await;
    create_user(&c, &pool, "same", &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("dup.csv");
    std::fs::write(
        &input,
        format!("username,nickname\n{}", "same,x\n".repeat(ROWS as usize)),
    )
    .unwrap();
    let input_s = input.to_str().unwrap();

    let run = cognito_bulk(
        &moto.url(),
        &["plan", input_s, "--user-pool-id", &pool],
        None,
    )
    .await;
    assert_eq!(run.code, 1, "every row is invalid: {}", &run.stdout);
    assert!(
        run.stdout.contains(&format!("{ROWS} invalid")) || run.stdout.contains("100,000 invalid"),
        "{}",
        run.stdout
    );
    // The first rows' messages name one other line and the count of the rest.
    assert!(
        run.stderr.contains(&format!(
            ":2: user \"same\": the user also appears on line 3 and on {} more lines",
            ROWS - 2
        )),
        "{}",
        &run.stderr[..2000.min(run.stderr.len())]
    );
    let plan = dir.path().join("dup.csv.plan");
    // Quadratic messages made 5,000 rows a 145 MB plan; now a few hundred bytes a row.
    assert!(size(&plan) < 300 * ROWS, "plan: {} bytes", size(&plan));
    assert!(run.stderr.len() < 10_000, "at most 20 problems are shown");

    let run = cognito_bulk(
        &moto.url(),
        &[
            "apply",
            input_s,
            "--user-pool-id",
            &pool,
            "--current-state",
            "none",
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 1, "{}", &run.stdout);
    assert!(run.stdout.contains("0 updated"), "{}", run.stdout);
    for file in [
        "dup.csv.journal",
        "dup.csv.failed.csv",
        "dup.csv.report.json",
    ] {
        let path = dir.path().join(file);
        assert!(path.exists(), "{file}");
        assert!(size(&path) < 300 * ROWS, "{file}: {} bytes", size(&path));
        eprintln!("{file}: {} bytes", size(&path));
    }
}
