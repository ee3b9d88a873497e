//! Users as CSV or JSONL rows that `plan` and `apply` read back as they are.

use std::io;

use super::groups::Membership;
use crate::cognito::User;
use crate::rows::input::Format;

/// Formats users as CSV or JSONL.
pub(super) struct Writer<'a> {
    format: Format,
    columns: &'a [String],
    with_status: bool,
    /// `--with-groups`: the membership the `groups` column is written from.
    groups: Option<&'a Membership>,
}

impl<'a> Writer<'a> {
    pub(super) fn new(
        format: Format,
        columns: &'a [String],
        with_status: bool,
        groups: Option<&'a Membership>,
    ) -> Self {
        Writer {
            format,
            columns,
            with_status,
            groups,
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
        if self.groups.is_some() {
            names.push("groups");
        }
        w.write_record(&names)?;
        w.flush()
    }

    pub(super) fn user(&self, out: &mut Vec<u8>, user: &User) -> io::Result<()> {
        let value = |name: &str| user.attribute(name);
        let status = user.status.clone().unwrap_or_default();
        // Unknown (the pool did not say): empty, which changes nothing when read back.
        let enabled = user.enabled.map(|e| e.to_string()).unwrap_or_default();
        let groups = self.groups.map(|m| m.of(&user.username));
        match self.format {
            Format::Csv => {
                let mut w = csv::Writer::from_writer(out);
                let mut record: Vec<&str> = vec![user.username.as_str()];
                record.extend(self.columns.iter().map(|c| value(c).unwrap_or("")));
                if self.with_status {
                    record.extend([status.as_str(), enabled.as_str()]);
                }
                let cell = groups.as_deref().map(groups_cell);
                record.extend(cell.as_deref());
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
                    line["enabled"] = user.enabled.into();
                }
                if let Some(groups) = groups {
                    line["groups"] = groups.into();
                }
                serde_json::to_writer(&mut *out, &line)?;
                out.push(b'\n');
                Ok(())
            }
        }
    }
}

/// A user's groups as one CSV cell: names separated by a space, `[]` for none (an empty cell
/// would mean "no change" when read back). A name that starts with `[` would be read as a JSON
/// array: then the whole set is written as one.
fn groups_cell(groups: &[&str]) -> String {
    if groups.is_empty() {
        "[]".to_string()
    } else if groups.iter().any(|g| g.starts_with('[')) {
        serde_json::to_string(groups).expect("strings serialize")
    } else {
        groups.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::groups_cell;

    #[test]
    fn a_groups_cell_reads_back_as_the_same_set() {
        assert_eq!(groups_cell(&[]), "[]");
        assert_eq!(groups_cell(&["admin", "beta"]), "admin beta");
        assert_eq!(groups_cell(&["[x]", "beta"]), r#"["[x]","beta"]"#);
    }
}
