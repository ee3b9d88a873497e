//! The JSONL reader: numbers kept as written, keys twice, byte-order marks, invalid UTF-8,
//! and messages that count columns from the start of the line.

use super::*;

#[test]
fn jsonl_numbers_are_sent_as_their_literal_text() {
    let line = br#"{"username":"a","attributes":{"custom:p":1.50,"custom:e":1e2,"custom:big":12345678901234567890123,"custom:neg":-0.10}}"#;
    let records = jsonl(line);
    let r = &records[0];
    assert!(r.is_valid(), "{}", messages(r));
    assert_eq!(set(r, "custom:p").unwrap(), "1.50");
    assert_eq!(set(r, "custom:e").unwrap(), "1e2");
    assert_eq!(set(r, "custom:big").unwrap(), "12345678901234567890123");
    assert_eq!(set(r, "custom:neg").unwrap(), "-0.10");
    // A failed row is written back with the same text.
    let RawRecord::Json(raw) = &r.raw else {
        panic!("a JSON record")
    };
    let back = serde_json::to_string(raw).unwrap();
    assert!(
        back.contains("1.50") && back.contains("12345678901234567890123"),
        "{back}"
    );
}

#[test]
fn jsonl_repeated_keys_are_refused_and_named() {
    let records = jsonl(
        br#"{"username":"a","username":"b","attributes":{"email":"x"}}
{"username":"c","attributes":{"given_name":"C","given_name":"D","nickname":"n"}}
{"username":"e","attributes":{"given_name":"E"}}
{"username":"f","attributes":{"nickname":"F"},"client_metadata":{"k":"1","k":"2"}}"#,
    );
    let top = &records[0];
    assert_eq!(top.problems[0].code.as_str(), "MalformedRow");
    let m = messages(top);
    assert!(
        m.contains("\"username\"") && m.contains("more than once"),
        "{m}"
    );

    // Both values are read: the row checks (`decide::validate`) refuse the attribute named
    // twice.
    let attr = &records[1];
    assert!(attr.is_valid());
    let named = attr.row.attrs().filter(|c| c.name == "given_name").count();
    assert_eq!(named, 2, "{}", messages(attr));
    // Written back as the line was, both values in it.
    for r in &records[..2] {
        assert!(matches!(r.raw, RawRecord::Text(_)));
    }
    assert!(records[2].is_valid());
    assert!(messages(&records[3]).contains("client_metadata key \"k\" appears more than once"));
}

#[test]
fn jsonl_byte_order_mark_is_ignored() {
    let records = jsonl(b"\xef\xbb\xbf{\"username\":\"a\",\"attributes\":{\"email\":\"x\"}}\n");
    assert!(records[0].is_valid(), "{}", messages(&records[0]));
    assert_eq!(records[0].username(), Some("a"));

    // Spaces around the object and Windows line ends are fine too.
    let records = jsonl(b" \t{\"username\" : \"b\", \"attributes\" : {\"custom:n\" : 2.0 }} \r\n");
    assert!(records[0].is_valid(), "{}", messages(&records[0]));
    assert_eq!(set(&records[0], "custom:n").unwrap(), "2.0");
}

#[test]
fn jsonl_invalid_utf8_names_the_byte_and_keeps_the_user() {
    let records = jsonl(b"{\"username\":\"alice\",\"attributes\":{\"nickname\":\"a\xffb\"}}\n");
    let r = &records[0];
    assert_eq!(r.problems[0].code.as_str(), "MalformedRow");
    let m = messages(r);
    assert!(m.contains("invalid UTF-8 at byte 48"), "{m}");
    assert_eq!(r.username(), Some("alice"));
    assert!(matches!(r.raw, RawRecord::Json(_)));

    // Not JSON even once the bad byte is replaced: kept as text.
    let records = jsonl(b"{\"username\":\xff\n");
    assert!(messages(&records[0]).contains("invalid UTF-8 at byte 13"));
    assert!(matches!(records[0].raw, RawRecord::Text(_)));
}

#[test]
fn jsonl_number_beyond_a_float_is_sent_as_written() {
    let records = jsonl(
        br#"{"username":"a","attributes":{"custom:tier":1e400,"custom:neg":-1E-400,"custom:n":7}}"#,
    );
    let r = &records[0];
    assert!(r.is_valid(), "{}", messages(r));
    assert_eq!(set(r, "custom:tier").unwrap(), "1e400");
    assert_eq!(set(r, "custom:neg").unwrap(), "-1E-400");
    assert_eq!(set(r, "custom:n").unwrap(), "7");
    // Written back as the same text (a string, sent the same way when fed back).
    let RawRecord::Json(raw) = &r.raw else {
        panic!("a JSON record")
    };
    let back = serde_json::to_string(raw).unwrap();
    assert!(back.contains(r#""custom:tier":"1e400""#), "{back}");
    // An ignored field holding such a number does not spoil the row either.
    let records = jsonl(br#"{"username":"b","error_code":1e400,"attributes":{"nickname":"x"}}"#);
    assert!(records[0].is_valid(), "{}", messages(&records[0]));
}

#[test]
fn jsonl_message_columns_count_from_the_start_of_the_line() {
    // A value nested too deep to hold: the column is where it fails in the line, not in the
    // value.
    let deep = format!(
        r#"{{"username":"a","attributes":{{"nickname":"x"}},"client_metadata":{}{}}}"#,
        "[".repeat(200),
        "]".repeat(200)
    );
    let records = jsonl(deep.as_bytes());
    let m = messages(&records[0]);
    // `{"username":"a","attributes":{"nickname":"x"},"client_metadata":` is 64 bytes; the
    // 128th `[` is the first one too deep.
    assert!(
        m.contains("recursion limit exceeded at column 192 of the line"),
        "{m}"
    );
    assert!(!m.contains("line 1 column"), "{m}");

    // The line itself not JSON: its column, and no "line 1" of a one-line text.
    let records = jsonl(b"{\"username\":\"a\",}\n");
    let m = messages(&records[0]);
    assert!(
        m.contains("not valid JSON: key must be a string at column 17 of the line"),
        "{m}"
    );
    let records = jsonl(b"{\"username\":\"a\"\n");
    let m = messages(&records[0]);
    assert!(m.contains("at the end of the line"), "{m}");
}
