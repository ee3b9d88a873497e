use super::*;
use crate::model::row::Record;

fn work(changes: &[(&str, &str)], expected: Option<&[(&str, &str)]>) -> Work {
    let values = |p: &[(&str, &str)]| -> Before {
        p.iter()
            .map(|(n, v)| (n.to_string(), Some(v.to_string())))
            .collect()
    };
    let changes: Vec<(&str, Option<&str>)> = changes.iter().map(|(n, v)| (*n, Some(*v))).collect();
    Work {
        record: Record::for_test("alice", &changes),
        before: expected.map(values),
        expected: expected.map(values),
        earlier: None,
        messages: 0,
        pending: Vec::new(),
        others: Vec::new(),
        groups_read: false,
        done: Default::default(),
        calls_sent: 0,
    }
}

fn user(attrs: &[(&str, &str)]) -> User {
    User {
        username: "alice".into(),
        attributes: attrs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        ..User::default()
    }
}

fn names(work: &Work) -> Vec<&str> {
    work.record.row.attrs().map(|c| c.name.as_str()).collect()
}

#[test]
fn a_value_changed_since_the_decision_is_a_conflict_unless_forced() {
    let expected: &[(&str, &str)] = &[("nickname", "old")];
    let mut w = work(&[("nickname", "new")], Some(expected));
    let now = user(&[("nickname", "theirs")]);
    assert!(matches!(recheck(&mut w, &now, false), Checked::Conflict(n) if n == ["nickname"]));
    let mut w = work(&[("nickname", "new")], Some(expected));
    assert!(matches!(recheck(&mut w, &now, true), Checked::Send));
    let before = w.before.unwrap();
    assert_eq!(before["nickname"].as_deref(), Some("theirs"), "read now");
}

#[test]
fn the_verified_flag_of_a_changing_address_is_kept_even_at_its_value() {
    let expected: &[(&str, &str)] = &[
        ("email", "a@old"),
        ("email_verified", "true"),
        ("nickname", "x"),
    ];
    let changes = [
        ("email", "a@new"),
        ("email_verified", "true"),
        ("nickname", "y"),
    ];
    // Someone set the nickname to the target meanwhile: dropped; the flag goes with email.
    let mut w = work(&changes, Some(expected));
    let now = user(&[
        ("email", "a@old"),
        ("email_verified", "true"),
        ("nickname", "y"),
    ]);
    assert!(matches!(recheck(&mut w, &now, false), Checked::Send));
    assert_eq!(names(&w), ["email", "email_verified"]);
    // The address already changed too: nothing left to send.
    let mut w = work(&changes, Some(expected));
    let now = user(&[
        ("email", "a@new"),
        ("email_verified", "true"),
        ("nickname", "y"),
    ]);
    assert!(matches!(recheck(&mut w, &now, false), Checked::Unchanged));
}

#[test]
fn without_an_expectation_rows_go_as_they_are_with_the_values_read() {
    let mut w = work(&[("nickname", "new"), ("locale", "fr")], None);
    let now = user(&[("nickname", "theirs"), ("locale", "fr")]);
    assert!(matches!(recheck(&mut w, &now, false), Checked::Send));
    assert_eq!(names(&w), ["nickname", "locale"]);
    let before = w.before.unwrap();
    assert_eq!(before["nickname"].as_deref(), Some("theirs"));
    assert_eq!(before["locale"].as_deref(), Some("fr"));
}
