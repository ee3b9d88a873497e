//! The files a run's report is written to, beside each other: the JSON report (the path the
//! run was given) and the self-contained HTML page. The one list of them: the command layer
//! checks each path before the first write, writes each at the end and says where each is,
//! from [`Format::ALL`], so a new report format is a variant here and its writer.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::{Report, html};
use crate::files;

/// A report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Html,
}

impl Format {
    /// Every format a run writes, in the order they are written and named.
    pub const ALL: [Format; 2] = [Format::Json, Format::Html];

    /// How messages name its file.
    pub fn label(self) -> &'static str {
        match self {
            Format::Json => "the report",
            Format::Html => "the HTML report",
        }
    }

    /// How the end of a run names it (`report: PATH`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "report",
            Format::Html => "HTML report",
        }
    }

    /// Its path, derived from the JSON report's: the HTML page takes `.html` for `.json`
    /// (`.html` added when that would be the JSON report itself).
    pub fn path(self, report: &Path) -> PathBuf {
        match self {
            Format::Json => report.to_path_buf(),
            Format::Html => {
                let page = report.with_extension("html");
                if page == report {
                    PathBuf::from(format!("{}.html", report.display()))
                } else {
                    page
                }
            }
        }
    }

    /// Writes `report` in this format to its path beside `report_path`.
    pub fn write(self, report: &Report, report_path: &Path) -> anyhow::Result<()> {
        let path = self.path(report_path);
        let written = match self {
            Format::Json => serde_json::to_vec_pretty(report)
                .map_err(std::io::Error::other)
                .and_then(|mut json| {
                    json.push(b'\n');
                    files::write_private_atomic(&path, &json)
                }),
            Format::Html => html::write(report, html::TimelineSource::Measured, &path),
        };
        written.with_context(|| format!("writing {} {}", self.label(), path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_html_report_sits_beside_the_json_one_and_never_over_it() {
        let p = |s: &str| Format::Html.path(Path::new(s));
        assert_eq!(
            p("a/users.csv.report.json"),
            Path::new("a/users.csv.report.html")
        );
        assert_eq!(p("report"), Path::new("report.html"));
        assert_eq!(p("r.html"), Path::new("r.html.html"));
        assert_eq!(Format::Json.path(Path::new("r.json")), Path::new("r.json"));
    }
}
