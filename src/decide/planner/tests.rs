//! Unit tests of the planner's one decision: the verified flag, a plan's row against the pool,
//! what the pool's messaging settings make a change do. Apart so that planner.rs reads as the rules.

use std::collections::BTreeMap;

use super::*;

fn record(changes: &[(&str, Option<&str>)], before: Option<&[(&str, Option<&str>)]>) -> Record {
    let pairs = |p: &[(&str, Option<&str>)]| -> BTreeMap<String, Option<String>> {
        p.iter()
            .map(|(n, v)| (n.to_string(), v.map(str::to_string)))
            .collect()
    };
    Record {
        before: before.map(pairs),
        ..Record::for_test("alice", changes)
    }
}

fn current(attrs: &[(&str, &str)]) -> Current {
    let mut c = Current::default();
    c.insert_for_tests("alice", attrs);
    c
}

fn planner<'a>(current: &'a Current, aliases: &'a HashSet<u64>, force: bool) -> Planner<'a> {
    Planner {
        schema: None,
        current: Some(current),
        repeated_aliases: aliases,
        allow_verification_messages: false,
        force,
        rows_from: RowsFrom::File,
        messaging: &EVERY_ADDRESS,
        federation: &NO_PROVIDERS,
        already_pending: aliases_none(),
    }
}

/// A pool that auto-verifies both addresses (as DescribeUserPool denied is taken).
fn aliases_none() -> &'static HashSet<(u64, String, String)> {
    static NONE: std::sync::LazyLock<HashSet<(u64, String, String)>> =
        std::sync::LazyLock::new(HashSet::new);
    &NONE
}

static NO_PROVIDERS: std::sync::LazyLock<Federation> =
    std::sync::LazyLock::new(Federation::default);
static EVERY_ADDRESS: std::sync::LazyLock<Messaging> = std::sync::LazyLock::new(Messaging::unknown);

#[test]
fn the_verified_flag_travels_with_its_email() {
    let now = current(&[("email", "a@old"), ("email_verified", "true")]);
    let none = HashSet::new();
    let mut r = record(
        &[("email", Some("a@new")), ("email_verified", Some("true"))],
        None,
    );
    let Decision::Change {
        diffs, messages, ..
    } = planner(&now, &none, false).decide(&mut r)
    else {
        panic!("{:?}", r.problems)
    };
    assert!(messages.is_empty());
    let names: Vec<&str> = diffs
        .iter()
        .filter_map(OpDiff::attribute)
        .map(|d| d.name.as_str())
        .collect();
    assert_eq!(names, ["email", "email_verified"]);
    // Without the flag the rail refuses the row.
    let mut r = record(&[("email", Some("a@new"))], None);
    assert_eq!(
        planner(&now, &none, false).decide(&mut r),
        Decision::Invalid
    );
    assert_eq!(r.problems[0].code.as_str(), "VerificationMessage");
}

#[test]
fn a_plan_row_is_checked_against_the_pool() {
    let none = HashSet::new();
    let planned = [("custom:tier", Some("free"))];
    let row = [("custom:tier", Some("pro"))];
    // As planned: sent.
    let now = current(&[("custom:tier", "free")]);
    let mut r = record(&row, Some(&planned));
    assert!(matches!(
        planner(&now, &none, false).decide(&mut r),
        Decision::Change { .. }
    ));
    // Already at the target: unchanged.
    let now = current(&[("custom:tier", "pro")]);
    let mut r = record(&row, Some(&planned));
    assert_eq!(
        planner(&now, &none, false).decide(&mut r),
        Decision::Unchanged
    );
    // Changed by someone else: a conflict, unless forced.
    let now = current(&[("custom:tier", "vip")]);
    let mut r = record(&row, Some(&planned));
    assert_eq!(
        planner(&now, &none, false).decide(&mut r),
        Decision::Conflict(vec!["custom:tier".into()])
    );
    let mut r = record(&row, Some(&planned));
    let Decision::Change { diffs, .. } = planner(&now, &none, true).decide(&mut r) else {
        panic!()
    };
    assert_eq!(diffs[0].attribute().unwrap().before.as_deref(), Some("vip"));
}

fn with(
    messaging: &Messaging,
    now: &Current,
    row: &[(&str, Option<&str>)],
    allow: bool,
) -> (Decision, Vec<&'static str>) {
    let none = HashSet::new();
    let mut p = planner(now, &none, false);
    p.messaging = messaging;
    p.allow_verification_messages = allow;
    let mut r = record(row, None);
    let d = p.decide(&mut r);
    (d, r.problems.iter().map(|p| p.code.as_str()).collect())
}

#[test]
fn messages_follow_the_pools_auto_verified_attributes() {
    // A pool that auto-verifies only email: a phone change sends nothing, is not refused.
    let email_only = Messaging {
        auto_verified: vec!["email"],
        ..Messaging::unknown()
    };
    let now = current(&[("email", "a@old"), ("phone_number", "+15550000001")]);
    let (d, problems) = with(
        &email_only,
        &now,
        &[("phone_number", Some("+15550000002"))],
        false,
    );
    assert!(problems.is_empty(), "{problems:?}");
    let Decision::Change { messages, .. } = d else {
        panic!("{d:?}")
    };
    assert!(messages.is_empty());
    // Its email change is a message, refused without the flag.
    let (_, problems) = with(&email_only, &now, &[("email", Some("a@new"))], false);
    assert_eq!(problems, ["VerificationMessage"]);
    let (d, _) = with(&email_only, &now, &[("email", Some("a@new"))], true);
    assert!(matches!(d, Decision::Change { ref messages, .. } if messages == &["email"]));
    // A pool that auto-verifies nothing sends nothing.
    let none = Messaging {
        auto_verified: vec![],
        ..Messaging::unknown()
    };
    let (d, problems) = with(&none, &now, &[("email", Some("a@new"))], false);
    assert!(problems.is_empty());
    assert!(matches!(d, Decision::Change { ref messages, .. } if messages.is_empty()));
}

#[test]
fn pending_changes_and_lockouts_follow_the_pool() {
    let pending = Messaging {
        auto_verified: vec!["email"],
        pending_until_verified: vec!["email"],
        sign_in_with: vec!["email"],
        ..Messaging::unknown()
    };
    // A verified address changed unverified: pending, the old one still signs in.
    let verified = current(&[("email", "a@old"), ("email_verified", "true")]);
    let (d, _) = with(&pending, &verified, &[("email", Some("a@new"))], true);
    let Decision::Change {
        pending: p,
        locks_out,
        ..
    } = d
    else {
        panic!("{d:?}")
    };
    assert_eq!((p, locks_out), (vec!["email"], false));
    // Sent with email_verified=true the change is immediate: nothing pending.
    let row = [("email", Some("a@new")), ("email_verified", Some("true"))];
    let (d, _) = with(&pending, &verified, &row, false);
    assert!(
        matches!(d, Decision::Change { ref pending, locks_out: false, .. } if pending.is_empty())
    );
    // An unverified old address is not kept: the change is stored, the user locked out.
    let unverified = current(&[("email", "a@old"), ("email_verified", "false")]);
    let (d, _) = with(&pending, &unverified, &[("email", Some("a@new"))], true);
    assert!(
        matches!(d, Decision::Change { ref pending, locks_out: true, .. } if pending.is_empty())
    );
    // Without the pending setting, a sign-in address changed unverified locks out.
    let sign_in = Messaging {
        pending_until_verified: vec![],
        ..pending
    };
    let (d, _) = with(&sign_in, &verified, &[("email", Some("a@new"))], true);
    assert!(matches!(
        d,
        Decision::Change {
            locks_out: true,
            ..
        }
    ));
}
