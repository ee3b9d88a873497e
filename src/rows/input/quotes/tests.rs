//! The splitter on legitimate quotes and stray ones, read a byte at a time.

use super::*;
use crate::rows::input::csv_input::fields;

/// (line, fields, problems) of each record of `text`, read a byte at a time from below.
fn split(text: &[u8]) -> Vec<(u64, Vec<String>, Vec<QuoteProblem>)> {
    let slow = text
        .chunks(1)
        .fold(Box::new(io::empty()) as Box<dyn Read>, |r, c| {
            Box::new(r.chain(c))
        });
    let mut s = Splitter::new(slow);
    let mut out = vec![];
    while let Some(r) = s.next_record().unwrap() {
        let f = fields(&r.bytes);
        let f = f
            .iter()
            .map(|v| String::from_utf8_lossy(v).into())
            .collect();
        out.push((r.line, f, r.problems));
    }
    out
}

fn q(line: u64, column: u64, field: usize) -> Quote {
    Quote {
        line,
        column,
        field,
    }
}

#[test]
fn legitimate_quotes_are_read_as_the_csv_crate_reads_them() {
    let got = split(b"h,v\r\n\r\na,\"x\r\n\"\"y\"\"\",z\r\nb,\"\"\r\n\"c\",\"d\"");
    let want = [
        (1, vec!["h", "v"]),
        (3, vec!["a", "x\r\n\"y\"", "z"]),
        (5, vec!["b", ""]),
        (6, vec!["c", "d"]),
    ];
    assert_eq!(got.len(), want.len());
    for ((line, fields, problems), (l, f)) in got.iter().zip(want) {
        assert_eq!(
            (*line, fields),
            (l, &f.iter().map(|v| v.to_string()).collect())
        );
        assert!(problems.is_empty());
    }
    // Quotes inside an unquoted value are plain characters.
    assert_eq!(split(b"a,x\"y\"\n")[0].1, ["a", "x\"y\""]);
}

#[test]
fn a_stray_quote_is_flagged_and_never_merges_rows() {
    let got = split("h,v\néé,\"C1\"x\nbob,\"C2\ncarol,\"C3\"\nerin,E3\n".as_bytes());
    assert_eq!(got[1].1, ["éé", "C1x"]);
    assert_eq!(got[1].2, [QuoteProblem::TextAfterClose(q(2, 4, 1))]);
    // bob's quote closes on line 4, followed by text: bob is line 3 alone, carol is read.
    assert_eq!(
        (got[2].0, &got[2].1[..]),
        (3, &["bob", "C2"].map(String::from)[..])
    );
    let cut = QuoteProblem::ClosedLaterWithText {
        quote: q(3, 5, 1),
        closed_on: 4,
    };
    assert_eq!(got[2].2, [cut]);
    assert_eq!(
        (got[3].0, &got[3].1[..]),
        (4, &["carol", "C3"].map(String::from)[..])
    );
    assert!(got[3].2.is_empty());
    assert_eq!((got[4].0, got[4].2.len()), (5, 0));
    assert_eq!(got.len(), 5);
    // With CRLF line ends too.
    let got = split(b"h,v\r\nbob,\"C2\r\ncarol,\"C3\r\n");
    assert_eq!(got[1].1, ["bob", "C2"]);
    assert_eq!(got[2].0, 3);
    assert_eq!(got[2].2, [QuoteProblem::NeverClosed(q(3, 7, 1))]);
}
