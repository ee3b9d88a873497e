//! The failed-rows file: every row that failed or was invalid, in the input's own format with
//! `error_code` and `error_message` added, ready to be fixed and fed back to `apply`.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::files;
use crate::model::row::ERROR_FIELDS;
use crate::model::row::{Code, RawRecord};

/// Writes failed rows; the file is created on the first one, so a clean run leaves none.
pub struct FailedRows {
    path: PathBuf,
    /// The input's CSV header, or None for JSONL.
    csv_header: Option<csv::StringRecord>,
    out: Option<Out>,
    /// Add to an existing file (a resumed run) instead of starting it anew.
    append: bool,
    pub rows: u64,
}

enum Out {
    Csv {
        writer: Box<csv::Writer<File>>,
        /// Input columns copied out (the old error columns are dropped).
        keep: Vec<usize>,
    },
    Jsonl(BufWriter<File>),
}

impl FailedRows {
    pub fn new(path: PathBuf, csv_header: Option<csv::StringRecord>, append: bool) -> Self {
        FailedRows {
            path,
            csv_header,
            out: None,
            append,
            rows: 0,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one row with its error.
    pub fn write(&mut self, raw: &RawRecord, code: &str, message: &str) -> io::Result<()> {
        if self.out.is_none() {
            self.out = Some(self.open()?);
        }
        self.rows += 1;
        match (self.out.as_mut().expect("opened"), raw) {
            (Out::Csv { writer, keep }, RawRecord::Csv(fields)) => {
                // A row whose quotes could not be read has no trustworthy cells (a stray quote
                // may have joined the next line into one of them): written back re-quoted, it
                // would read as a valid row. Its cells stay empty, its key too, so that fed
                // back it is refused (no user) until fixed from the input at its line. (Other
                // malformed rows, such as invalid UTF-8, keep their cells.)
                let unread = code == Code::MalformedRow.as_str() && message.contains("quote");
                let mut out: Vec<&str> = keep
                    .iter()
                    .map(|&i| match unread {
                        true => "",
                        false => fields.get(i).unwrap_or(""),
                    })
                    .collect();
                out.push(code);
                out.push(message);
                writer.write_record(&out)?;
            }
            (Out::Jsonl(w), raw) => {
                let mut object = match raw {
                    RawRecord::Json(map) => map.clone(),
                    RawRecord::Text(text) => {
                        let mut m = serde_json::Map::new();
                        m.insert("raw".into(), text.clone().into());
                        m
                    }
                    RawRecord::Csv(_) => serde_json::Map::new(),
                };
                object.insert("error_code".into(), code.into());
                object.insert("error_message".into(), message.into());
                serde_json::to_writer(&mut *w, &object)?;
                w.write_all(b"\n")?;
            }
            (Out::Csv { .. }, _) => unreachable!("a CSV input gives CSV records"),
        }
        Ok(())
    }

    fn open(&self) -> io::Result<Out> {
        let existing = self.append && std::fs::metadata(&self.path).is_ok_and(|m| m.len() > 0);
        let file = if existing {
            files::append_private(&self.path)?
        } else {
            files::create_private(&self.path)?
        };
        Ok(match &self.csv_header {
            Some(header) => {
                let keep: Vec<usize> = (0..header.len())
                    .filter(|&i| !ERROR_FIELDS.contains(&header.get(i).unwrap_or("")))
                    .collect();
                let mut writer = Box::new(csv::Writer::from_writer(file));
                if !existing {
                    let mut names: Vec<&str> = keep.iter().map(|&i| &header[i]).collect();
                    names.extend(ERROR_FIELDS);
                    writer.write_record(&names)?;
                }
                Out::Csv { writer, keep }
            }
            None => Out::Jsonl(BufWriter::new(file)),
        })
    }

    /// Flushes what was written.
    pub fn flush(&mut self) -> io::Result<()> {
        match &mut self.out {
            Some(Out::Csv { writer, .. }) => writer.flush(),
            Some(Out::Jsonl(w)) => w.flush(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_that_could_not_be_read_is_written_back_without_its_cells() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.csv.failed.csv");
        let header = csv::StringRecord::from(vec!["username", "nickname"]);
        let mut failed = FailedRows::new(path.clone(), Some(header), false);
        let swallowed = csv::StringRecord::from(vec!["bob", "C2\ncarol,C3"]);
        let message = "in.csv:3: the quote opened in column 5 closes only on line 4";
        failed
            .write(&RawRecord::Csv(swallowed), "MalformedRow", message)
            .unwrap();
        let other = csv::StringRecord::from(vec!["nobody", "x"]);
        let not_found = "no such user";
        failed
            .write(&RawRecord::Csv(other), "UserNotFoundException", not_found)
            .unwrap();
        failed.flush().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "username,nickname,error_code,error_message");
        assert!(lines[1].starts_with(",,MalformedRow,"), "{text}");
        assert!(!text.contains("carol"), "{text}");
        assert!(
            lines[2].starts_with("nobody,x,UserNotFoundException"),
            "{text}"
        );
    }
}
