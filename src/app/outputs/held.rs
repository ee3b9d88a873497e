//! What an existing file holds, read from its first bytes (and its neighbours): one of the
//! files cognito-bulk writes, or something else. An output may replace only a file of its own
//! kind (`outputs.rs` decides), so this tells a journal, a plan, an export backup and its
//! state, a report, a Markdown plan and a failed-rows file apart, without trusting the name.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::model::row::ERROR_FIELDS;

/// What a file already holds.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Held {
    Journal,
    Plan,
    /// A file `export` wrote: its `PATH.export-state` is beside it.
    ExportBackup,
    /// The pagination state of an export (`OUTPUT.export-state`).
    ExportState,
    MarkdownPlan,
    JsonReport,
    HtmlReport,
    FailedRows,
    /// A regular file of no length: nothing in it to lose.
    Empty,
    Other,
}

impl Held {
    /// How messages name it.
    pub(super) fn noun(&self) -> &'static str {
        match self {
            Held::Journal => "a journal of another run",
            Held::Plan => "a plan of another run",
            Held::ExportBackup => "an export backup",
            Held::ExportState => "an export's state",
            Held::MarkdownPlan => "a Markdown plan",
            Held::JsonReport => "a run's report",
            Held::HtmlReport => "a run's HTML report",
            Held::FailedRows => "a failed-rows file",
            Held::Empty => "an empty file",
            Held::Other => "a file cognito-bulk did not write",
        }
    }
}

/// The first line's `kind`, when the first line is a JSON object that has one.
fn first_kind(path: &Path) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Head {
        kind: String,
    }
    let file = std::fs::File::open(path).ok()?;
    serde_json::Deserializer::from_reader(BufReader::new(file))
        .into_iter::<Head>()
        .next()?
        .ok()
        .map(|h| h.kind)
}

/// The kind of the regular file at `path` (anything else, or a file that cannot be read, is
/// `Other`: the checks of links, devices and folders name it better).
pub(super) fn held(path: &Path) -> Held {
    // Not opened unless regular: a FIFO would wait for a writer.
    let Ok(meta) = std::fs::metadata(path) else {
        return Held::Other;
    };
    if !meta.is_file() {
        return Held::Other;
    }
    if meta.len() == 0 {
        return Held::Empty;
    }
    match first_kind(path).as_deref() {
        Some(crate::journal::Header::KIND) => return Held::Journal,
        Some(crate::plan::file::KIND) => return Held::Plan,
        // The membership `export --with-groups` saves beside its output, part of its state.
        Some(crate::export::groups::KIND) => return Held::ExportState,
        _ => {}
    }
    let head = first_bytes(path, 64 * 1024);
    let first_line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    if std::fs::symlink_metadata(export_state_of(path)).is_ok() {
        Held::ExportBackup
    } else if is_export_state(&head) {
        Held::ExportState
    } else if is_markdown_plan(&head) {
        Held::MarkdownPlan
    } else if head.starts_with(b"<!DOCTYPE html>") && contains(&head, b"<title>cognito-bulk") {
        Held::HtmlReport
    } else if is_failed_rows(first_line) {
        Held::FailedRows
    } else if head.starts_with(b"{\n") && is_json_report(path) {
        Held::JsonReport
    } else {
        Held::Other
    }
}

/// Where `export --output PATH` keeps its state.
fn export_state_of(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(".export-state");
    PathBuf::from(name)
}

fn first_bytes(path: &Path, max: u64) -> Vec<u8> {
    let mut bytes = Vec::new();
    if let Ok(file) = std::fs::File::open(path) {
        let _ = file.take(max).read_to_end(&mut bytes);
    }
    bytes
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// An export's state: a small JSON object with the fields `export` saves.
fn is_export_state(head: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct State {
        user_pool_id: String,
        columns: Vec<String>,
        users: u64,
        bytes: u64,
        done: bool,
    }
    serde_json::from_slice::<State>(head).is_ok()
}

/// Ours begins with `# Plan: INPUT` and has its rule's section a few lines below.
fn is_markdown_plan(head: &[u8]) -> bool {
    let mut lines = BufReader::new(head).lines().map_while(Result::ok);
    lines.next().is_some_and(|l| l.starts_with("# Plan: "))
        && lines.take(40).any(|l| l == "## The rule")
}

/// A failed-rows file: its CSV header, or its first JSONL object, has the error fields.
fn is_failed_rows(first_line: &[u8]) -> bool {
    if first_line.starts_with(b"{") {
        return serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(first_line)
            .is_ok_and(|o| ERROR_FIELDS.iter().all(|f| o.contains_key(*f)));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(first_line);
    reader
        .records()
        .next()
        .and_then(Result::ok)
        .is_some_and(|r| {
            ERROR_FIELDS
                .iter()
                .all(|f| r.iter().any(|field| field == *f))
        })
}

/// The JSON report: one object with the report's fields (read whole: it is written whole).
fn is_json_report(path: &Path) -> bool {
    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Report {
        input_sha256: String,
        rows_total: u64,
        failures_by_code: serde::de::IgnoredAny,
    }
    std::fs::File::open(path)
        .ok()
        .and_then(|f| serde_json::from_reader::<_, Report>(BufReader::new(f)).ok())
        .is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: &str = "{\"kind\":\"cognito-bulk-plan\",\"version\":3}\n{\"row\":1}\n";
    const JOURNAL: &str = "{\"version\":3, \"kind\":\"cognito-bulk-journal\"}\n";

    fn file(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn headers_are_read_by_their_kind_not_their_first_bytes() {
        let dir = tempfile::tempdir().unwrap();
        // The kind is found wherever it stands in the first line.
        let journal = file(dir.path(), "j", JOURNAL);
        assert_eq!(held(&journal), Held::Journal);
        // A kind in a later line, or a line that merely begins like a header, is not one.
        let later = file(dir.path(), "l", &format!("{{}}\n{PLAN}"));
        assert_eq!(held(&later), Held::Other);
        let torn = file(dir.path(), "t", "{\"kind\":\"cognito-bulk-plan\"");
        assert_eq!(held(&torn), Held::Other);
        let text = file(dir.path(), "c", "username,email\n");
        assert_eq!(held(&text), Held::Other);
        assert_eq!(held(&dir.path().join("missing")), Held::Other);
        assert_eq!(held(&file(dir.path(), "e", "")), Held::Empty);
    }

    #[test]
    fn each_output_kind_is_told_by_its_content() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let md = "# Plan: users.csv\n\n**2 users to change**\n\n## The rule\n\n| | |\n";
        assert_eq!(held(&file(d, "p.md", md)), Held::MarkdownPlan);
        assert_eq!(held(&file(d, "n.md", "# Plan: my notes\n")), Held::Other);
        let html = "<!DOCTYPE html>\n<html>\n<title>cognito-bulk run report: u</title>\n";
        assert_eq!(held(&file(d, "r.html", html)), Held::HtmlReport);
        assert_eq!(held(&file(d, "o.html", "<!DOCTYPE html>\n")), Held::Other);
        let failed = "username,email,error_code,error_message\nu,e,C,m\n";
        assert_eq!(held(&file(d, "f.csv", failed)), Held::FailedRows);
        let failed = "{\"raw\":\"x\",\"error_code\":\"C\",\"error_message\":\"m\"}\n";
        assert_eq!(held(&file(d, "f.jsonl", failed)), Held::FailedRows);
        let report = "{\n  \"input\": \"u\",\n  \"input_sha256\": \"ab\",\n  \"rows_total\": 3,\n  \
                      \"failures_by_code\": {}\n}\n";
        assert_eq!(held(&file(d, "r.json", report)), Held::JsonReport);
        assert_eq!(held(&file(d, "o.json", "{\n  \"a\": 1\n}\n")), Held::Other);
        let state = "{\"user_pool_id\":\"p\",\"filter\":null,\"columns\":[\"username\"],\
                     \"with_status\":false,\"token\":null,\"users\":3,\"bytes\":40,\"done\":true}";
        assert_eq!(
            held(&file(d, "b.csv.export-state", state)),
            Held::ExportState
        );
        // The backup is told by its state beside it, whatever it holds.
        assert_eq!(held(&file(d, "b.csv", "username\nu\n")), Held::ExportBackup);
    }
}
