//! The unit of work: one user and the operations wanted for it.
//!
//! A row is parsed from one CSV record or one JSONL line. It keeps its raw form so that a
//! failed row can be written back out in the input's own format, ready to be fixed and re-fed.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

pub use super::code::Code;
pub use crate::model::op::{AttrChange, AttrDiff, Before, Change, Op};

/// Fields the tool adds to failed-row files; ignored when such a file is read back.
pub const ERROR_FIELDS: [&str; 2] = ["error_code", "error_message"];

/// A row that parsed; it may still be invalid (see `decide::validate`).
#[derive(Debug, Clone)]
pub struct Row {
    /// 1-based line of the input where the row starts.
    pub line: u64,
    pub username: String,
    /// What to do to the user, in order (see `model::op`).
    pub ops: Vec<Op>,
    pub client_metadata: BTreeMap<String, String>,
    /// The user's full set of groups (`groups` with `--exact-groups`): the user ends in
    /// exactly these. Becomes adds and removes once its membership is read (the planner).
    pub exact_groups: Option<BTreeSet<String>>,
}

impl Row {
    /// The row's attribute operations, for the stages that check attributes (names, values,
    /// the schema, the aliases).
    pub fn attrs(&self) -> impl Iterator<Item = &AttrChange> + Clone {
        self.ops.iter().filter_map(Op::attribute)
    }

    /// Adds an attribute operation.
    pub fn push_attr(&mut self, change: AttrChange) {
        self.ops.push(Op::Attribute(change));
    }

    /// Replaces the row's attribute operations with `kept` (other operations stay).
    pub fn set_attrs(&mut self, kept: Vec<AttrChange>) {
        self.ops.retain(|op| op.attribute().is_none());
        self.ops.extend(kept.into_iter().map(Op::Attribute));
    }
}

/// The row as it was read, for writing failed rows back in the input's format.
#[derive(Debug, Clone)]
pub enum RawRecord {
    Csv(csv::StringRecord),
    Json(serde_json::Map<String, serde_json::Value>),
    /// A line that is not a JSON object at all.
    Text(String),
}

/// One problem found in a row before anything was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// A stable code for reports and the failed-rows file, e.g. `UnknownAttribute`.
    pub code: Code,
    /// The attribute concerned, if the problem is about one.
    pub attribute: Option<String>,
    pub message: String,
}

impl Problem {
    pub fn row(code: Code, message: impl Into<String>) -> Self {
        Problem {
            code,
            attribute: None,
            message: message.into(),
        }
    }

    pub fn attr(code: Code, attribute: &str, message: impl Into<String>) -> Self {
        Problem {
            code,
            attribute: Some(attribute.to_string()),
            message: message.into(),
        }
    }
}

/// Why a row will not be sent: every problem found, with where it came from.
#[derive(Debug, Clone)]
pub struct InvalidRow {
    pub file: String,
    pub line: u64,
    pub username: Option<String>,
    pub problems: Vec<Problem>,
}

impl InvalidRow {
    /// The code of the first problem, used to count failures by code.
    pub fn code(&self) -> Code {
        self.problems.first().map_or(Code::InvalidRow, |p| p.code)
    }

    /// All problems in one line, without the location (for the failed-rows file).
    pub fn message(&self) -> String {
        let parts: Vec<String> = self
            .problems
            .iter()
            .map(|p| match &p.attribute {
                Some(a) => format!("attribute {a}: {}", p.message),
                None => p.message.clone(),
            })
            .collect();
        parts.join("; ")
    }
}

impl fmt::Display for InvalidRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.file, self.line)?;
        if let Some(u) = &self.username {
            write!(f, "user {u:?}: ")?;
        }
        write!(f, "{}", self.message())
    }
}

/// A record as read from the input: its raw form, the row as far as it could be read, and every
/// problem found so far. A record with problems is invalid and is never sent.
#[derive(Debug, Clone)]
pub struct Record {
    /// The record's position among the input's records (0-based), as the journal knows it.
    pub index: u64,
    pub raw: RawRecord,
    pub row: Row,
    pub problems: Vec<Problem>,
    /// What a plan expects the pool to hold before the change (a plan entry's before-values;
    /// None: a plain input row). Checked against current values before sending: a user changed
    /// since the plan was made is a conflict.
    pub before: Option<Before>,
    /// The user the row's key resolved to (set by the planner), or, for a plan's or a
    /// rollback's row, the user it resolved to when the plan was made: then the row acts on
    /// that user (found by `sub`) whatever its key names now.
    pub identity: Option<Identity>,
}

/// A user as Cognito knows it: the real username (which calls are sent with) and the `sub`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub username: String,
    pub sub: Option<String>,
}

impl Record {
    /// A plain input row of `username` at line 2 (None: delete), for unit tests.
    #[cfg(test)]
    pub fn for_test(username: &str, changes: &[(&str, Option<&str>)]) -> Record {
        Record {
            index: 0,
            raw: RawRecord::Text(String::new()),
            row: Row {
                line: 2,
                username: username.to_string(),
                ops: changes
                    .iter()
                    .map(|(n, v)| Op::Attribute(AttrChange::new(*n, v.map(str::to_string))))
                    .collect(),
                client_metadata: BTreeMap::new(),
                exact_groups: None,
            },
            problems: vec![],
            before: None,
            identity: None,
        }
    }

    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }

    /// A plan's row left out because its user was not found when the plan was made: its one
    /// problem says why. Reported as a row of `apply INPUT` whose user is not found.
    pub fn not_found_by_plan(&self) -> Option<&Problem> {
        match self.problems.as_slice() {
            [p] if p.code == Code::UserNotFound => Some(p),
            _ => None,
        }
    }

    /// The username, if the record has one.
    pub fn username(&self) -> Option<&str> {
        Some(self.row.username.as_str()).filter(|u| !u.is_empty())
    }

    /// Describes this record's problems with its location, for reports.
    pub fn invalid(&self, file: &str) -> InvalidRow {
        InvalidRow {
            file: file.to_string(),
            line: self.row.line,
            username: self.username().map(str::to_string),
            problems: self.problems.clone(),
        }
    }
}
