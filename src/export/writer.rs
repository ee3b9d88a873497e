//! Users as CSV or JSONL rows that `plan` and `apply` read back as they are.

use std::io;

use crate::cognito::User;
use crate::rows::input::Format;

/// Formats users as CSV or JSONL.
pub(super) struct Writer<'a> {
    format: Format,
    columns: &'a [String],
    with_status: bool,
}

impl<'a> Writer<'a> {
    pub(super) fn new(format: Format, columns: &'a [String], with_status: bool) -> Self {
        Writer {
            format,
            columns,
            with_status,
        }
    }

    pub(super) fn header(&self, out: &mut Vec<u8>) -> io::Result<()> {
        if self.format != Format::Csv {
            return Ok(());
        }
        let mut w = csv::Writer::from_writer(out);
        let mut names: Vec<&str> = vec!["username"];
        names.extend(self.columns.iter().map(String::as_str));
        if self.with_status {
            names.extend(["user_status", "enabled"]);
        }
        w.write_record(&names)?;
        w.flush()
    }

    pub(super) fn user(&self, out: &mut Vec<u8>, user: &User) -> io::Result<()> {
        let value = |name: &str| user.attribute(name);
        let status = user.status.clone().unwrap_or_default();
        let enabled = user.enabled.unwrap_or(true).to_string();
        match self.format {
            Format::Csv => {
                let mut w = csv::Writer::from_writer(out);
                let mut record: Vec<&str> = vec![user.username.as_str()];
                record.extend(self.columns.iter().map(|c| value(c).unwrap_or("")));
                if self.with_status {
                    record.extend([status.as_str(), enabled.as_str()]);
                }
                w.write_record(&record)?;
                w.flush()
            }
            Format::Jsonl | Format::Plan => {
                let attributes: serde_json::Map<String, serde_json::Value> = self
                    .columns
                    .iter()
                    .filter_map(|c| Some((c.clone(), value(c)?.into())))
                    .collect();
                let mut line = serde_json::json!({
                    "username": user.username.as_str(),
                    "attributes": attributes,
                });
                if self.with_status {
                    line["user_status"] = status.into();
                    line["enabled"] = user.enabled.unwrap_or(true).into();
                }
                serde_json::to_writer(&mut *out, &line)?;
                out.push(b'\n');
                Ok(())
            }
        }
    }
}
