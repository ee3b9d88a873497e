//! A JSONL row's `client_metadata` member: an object of strings, passed to the Lambda
//! triggers the update calls; a key twice or a value not a string is a problem of the row.

use serde_json::Value;
use serde_json::value::RawValue;

use super::super::json_object::Members;
use crate::model::row::{Code, Problem, Row};

/// The `client_metadata` member; true when one of its keys appears twice (the line is then
/// written back as it was).
pub(super) fn metadata_member(
    value: &RawValue,
    row: &mut Row,
    problems: &mut Vec<Problem>,
) -> bool {
    let mut repeated = false;
    for k in Members::parse(value).map_or(vec![], |m| m.repeated) {
        problems.push(Problem::row(
            Code::MalformedRow,
            format!("the client_metadata key {k:?} appears more than once"),
        ));
        repeated = true;
    }
    // Too deep to read: reported once, by the caller, where it is written back.
    if let Ok(v) = serde_json::from_str::<Value>(value.get()) {
        client_metadata(&v, row, problems)
    }
    repeated
}

fn client_metadata(value: &Value, row: &mut Row, problems: &mut Vec<Problem>) {
    let Value::Object(map) = value else {
        problems.push(Problem::row(
            Code::MalformedRow,
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
                Code::MalformedRow,
                format!("client_metadata {key:?} must be a string"),
            )),
        }
    }
}
