//! Rows that carry several operation kinds (attributes, group membership, `enabled`,
//! sign-out) from a plan file to the pool and back, in-process on the fake pool through
//! `app::run`: the calls in order, the read just before them (a stale plan's membership costs
//! no call), the journal per operation (a row cut between its calls resumes with only what is
//! left; a sign-out is never sent again), rollback per operation (sign-outs listed as not
//! reversible) and the report's counts by kind. Plans are written by hand, as `plan` would
//! write them (the input columns that make these operations are another stage's).

mod inprocess;

use std::path::{Path, PathBuf};

use cognito_bulk::app::Outcome;
use cognito_bulk::cognito::api::Api;
use cognito_bulk::cognito::fake::FakePool;
use cognito_bulk::model::op::{AttrDiff, EnabledDiff, GroupChange, OpDiff, SignOutDiff};
use cognito_bulk::model::source::Source;
use cognito_bulk::plan::file::{self, PlanEntry, PlanHeader, PlanWriter};
use inprocess::cognito_bulk;

const POOL: &str = "us-east-1_fake";

/// Users al, bo, cy (`custom:tier` free, enabled); groups admin and beta, bo in beta.
fn fake() -> FakePool {
    let pool = FakePool::new(&[("tier", true)]);
    for user in ["al", "bo", "cy"] {
        pool.add_user(user, &[("custom:tier", "free")]);
    }
    pool.add_group("admin");
    pool.add_group("beta");
    pool.put_in_group("bo", "beta");
    pool
}

fn tier(after: &str) -> OpDiff {
    OpDiff::Attribute(AttrDiff {
        name: "custom:tier".into(),
        before: Some("free".into()),
        after: Some(after.into()),
    })
}

fn add(group: &str) -> OpDiff {
    OpDiff::Group(GroupChange::add(group))
}

fn disable() -> OpDiff {
    OpDiff::Enabled(EnabledDiff::new(Some(true), false))
}

fn sign_out() -> OpDiff {
    OpDiff::SignOut(SignOutDiff::default())
}

/// A plan file of these rows (user, changes), written as `plan` writes one.
fn plan(dir: &Path, rows: &[(&str, Vec<OpDiff>)]) -> PathBuf {
    let path = dir.join("ops.plan");
    let header = PlanHeader {
        kind: file::KIND.into(),
        version: file::VERSION,
        user_pool_id: POOL.into(),
        input: "ops.csv".into(),
        input_path: None,
        input_path_hex: None,
        input_sha256: "0".repeat(64),
        created_unix: cognito_bulk::journal::now_unix() as u64,
        current_state: Source::List,
        options: serde_json::json!({}),
        allow_verification_messages: false,
        backfill: None,
    };
    let mut writer = PlanWriter::create(&path, &header).unwrap();
    for (i, (user, changes)) in rows.iter().enumerate() {
        writer
            .write(&PlanEntry {
                line: i as u64 + 2,
                user: user.to_string(),
                username: None,
                sub: None,
                changes: changes.clone(),
                client_metadata: Default::default(),
                left_out: None,
            })
            .unwrap();
    }
    writer.finish().unwrap();
    path
}

async fn apply(pool: &FakePool, plan: &Path) -> Outcome {
    let plan = plan.to_str().unwrap();
    let args = [
        "apply",
        "--plan",
        plan,
        "--user-pool-id",
        POOL,
        "--yes",
        "--rps",
        "5000",
        // The pools here are a few users: one disabled is over the rail's tenth.
        "--allow-mass-disable",
    ];
    cognito_bulk(pool, &args).await.unwrap()
}

/// The calls that reached the pool for `user` since call number `from`.
fn calls_of(pool: &FakePool, user: &str, from: usize) -> Vec<Api> {
    let calls = pool.calls();
    let of = calls[from..].iter().filter(|(_, u)| u == user);
    of.map(|(api, _)| *api).collect()
}

fn journal_lines(plan: &Path) -> Vec<String> {
    let journal = format!("{}.journal", plan.display());
    let text = std::fs::read_to_string(journal).unwrap();
    text.lines().map(str::to_string).collect()
}

fn report(path: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn a_mixed_plan_goes_in_order_and_its_rollback_restores_all_but_the_sign_out() {
    let pool = fake();
    let dir = tempfile::tempdir().unwrap();
    let remove_beta = OpDiff::Group(GroupChange::remove("beta"));
    let rows = [
        ("al", vec![tier("pro"), add("admin"), disable(), sign_out()]),
        ("bo", vec![tier("pro"), remove_beta]),
    ];
    let plan = plan(dir.path(), &rows);
    assert_eq!(apply(&pool, &plan).await, Outcome::Success);
    let al = calls_of(&pool, "al", 0);
    let writes: Vec<Api> = al
        .iter()
        .copied()
        .filter(|a| !matches!(a, Api::GetUser | Api::ListGroupsForUser))
        .collect();
    assert_eq!(
        writes,
        [
            Api::Update,
            Api::AddToGroup,
            Api::DisableUser,
            Api::GlobalSignOut
        ],
        "attributes, groups, enabled, sign-out last"
    );
    assert_eq!(pool.attributes("al")["custom:tier"], "pro");
    assert!(pool.groups_of("al").contains("admin"));
    assert_eq!((pool.enabled("al"), pool.sign_outs("al")), (Some(false), 1));
    assert!(pool.groups_of("bo").is_empty());
    // The report counts operations by kind.
    let r = report(&format!("{}.report.json", plan.display()));
    let ops = &r["ops"];
    assert_eq!(ops["set_attribute"], 2, "{r}");
    assert_eq!(ops["add_to_group"], 1, "{r}");
    assert_eq!(ops["remove_from_group"], 1, "{r}");
    assert_eq!(ops["disable_user"], 1, "{r}");
    assert_eq!(ops["sign_out"], 1, "{r}");
    // The HTML page names every kind.
    let page = std::fs::read_to_string(format!("{}.report.html", plan.display())).unwrap();
    assert!(page.contains("1 group memberships added"), "{page}");
    assert!(page.contains("1 users disabled") && page.contains("1 users signed out"));

    // The rollback's dry run lists the sign-out and writes nothing.
    let journal = format!("{}.journal", plan.display());
    let before = pool.calls().len();
    let dry = cognito_bulk(&pool, &["rollback", &journal, "--dry-run"]).await;
    assert_eq!(dry.unwrap(), Outcome::Success);
    let written = [
        Api::Update,
        Api::AddToGroup,
        Api::RemoveFromGroup,
        Api::EnableUser,
        Api::DisableUser,
        Api::GlobalSignOut,
    ];
    let writes = pool.calls()[before..]
        .iter()
        .filter(|(a, _)| written.contains(a))
        .count();
    assert_eq!(writes, 0, "a dry run sends nothing");
    // The rollback restores attributes, groups and enabled; the sign-out stays, listed.
    let undo = ["rollback", &journal, "--yes", "--rps", "5000"];
    assert_eq!(cognito_bulk(&pool, &undo).await.unwrap(), Outcome::Success);
    assert_eq!(pool.attributes("al")["custom:tier"], "free");
    assert_eq!(pool.attributes("bo")["custom:tier"], "free");
    assert!(
        pool.groups_of("al").is_empty(),
        "removed from what it was added to"
    );
    assert!(pool.groups_of("bo").contains("beta"), "added back");
    assert_eq!(pool.enabled("al"), Some(true));
    assert_eq!(
        pool.sign_outs("al"),
        1,
        "a sign-out is not undone nor repeated"
    );
    let r = report(&format!("{journal}.rollback.plan.report.json"));
    assert_eq!(r["not_reversible"]["count"], 1, "{r}");
    let listed = r["not_reversible"]["first"][0].as_str().unwrap();
    assert!(
        listed.contains("\"al\"") && listed.contains("signed out"),
        "{listed}"
    );
    assert_eq!(r["ops"]["enable_user"], 1, "{r}");
    assert_eq!(r["ops"]["add_to_group"], 1, "{r}");
    assert_eq!(r["ops"]["remove_from_group"], 1, "{r}");
    let page = format!("{journal}.rollback.plan.report.html");
    let page = std::fs::read_to_string(page).unwrap();
    assert!(page.contains("Not reversible") && page.contains("signed out"));
}

#[tokio::test]
async fn a_stale_plan_whose_user_joined_the_group_since_costs_no_call() {
    let pool = fake();
    let dir = tempfile::tempdir().unwrap();
    let plan = plan(
        dir.path(),
        &[("al", vec![add("admin")]), ("cy", vec![disable()])],
    );
    // Since the plan: al was added to admin and cy disabled by someone else.
    pool.put_in_group("al", "admin");
    pool.set_enabled("cy", false).unwrap();
    assert_eq!(apply(&pool, &plan).await, Outcome::Success);
    let writes = [Api::AddToGroup, Api::DisableUser, Api::EnableUser];
    assert!(
        writes.iter().all(|w| pool.count(*w) == 0),
        "{:?}",
        pool.calls()
    );
    // Found already done by the plan's own membership read before sending (ListUsersInGroup
    // of the group the plan names): the user is not read again.
    assert_eq!(
        pool.count(Api::ListUsersInGroup),
        1,
        "one read, for admin's members"
    );
    let r = report(&format!("{}.report.json", plan.display()));
    assert_eq!(
        (r["unchanged"].as_u64(), r["conflicts"].as_u64()),
        (Some(2), Some(0))
    );
    // And the rollback has nothing of theirs to undo: this run changed nothing.
    let journal = format!("{}.journal", plan.display());
    let undo = cognito_bulk(&pool, &["rollback", &journal, "--yes"]).await;
    assert!(undo.is_err(), "nothing to roll back");
    assert!(
        pool.groups_of("al").contains("admin"),
        "left as someone else set it"
    );
}

/// A kill between a user's attribute call and its group call: the journal holds its intent
/// and the attribute call's step, not the group call. The resume sends only what is left.
#[tokio::test]
async fn a_user_cut_after_its_attribute_call_resumes_with_only_its_group_call() {
    let pool = fake();
    let dir = tempfile::tempdir().unwrap();
    let rows = [
        ("al", vec![tier("pro"), sign_out()]),
        ("bo", vec![tier("pro"), add("admin"), sign_out()]),
    ];
    let plan = plan(dir.path(), &rows);
    let run = [
        "apply",
        "--plan",
        plan.to_str().unwrap(),
        "--user-pool-id",
        POOL,
    ];
    let mut args = run.to_vec();
    args.extend(["--yes", "--rps", "5000", "--concurrency", "1"]);
    assert_eq!(cognito_bulk(&pool, &args).await.unwrap(), Outcome::Success);
    // As a kill -9 leaves it: al done; bo's intent and attribute step written, its group
    // call (and everything after) not sent.
    let lines = journal_lines(&plan);
    let bo_step = lines
        .iter()
        .position(|l| l.contains("\"user\":\"bo\"") && l.contains("\"outcome\":\"step\""))
        .expect("bo's attribute step");
    assert!(lines[bo_step].contains("\"after\":{\"custom:tier\":\"pro\"}"));
    assert!(
        !lines[bo_step].contains("add_to_group"),
        "{}",
        lines[bo_step]
    );
    let kept = lines[..=bo_step].join("\n") + "\n";
    std::fs::write(format!("{}.journal", plan.display()), kept).unwrap();
    let undo_group = cognito_bulk::cognito::call::Call::RemoveUserFromGroup {
        username: "bo".into(),
        group: "admin".into(),
    };
    cognito_bulk::cognito::Pool::send(&pool, &undo_group)
        .await
        .unwrap();
    // (The fake counts the first run's sign-out of bo, which the kill would have prevented.)
    let (al_out, bo_out) = (pool.sign_outs("al"), pool.sign_outs("bo"));
    let from = pool.calls().len();
    assert_eq!(cognito_bulk(&pool, &args).await.unwrap(), Outcome::Success);
    assert!(calls_of(&pool, "al", from).is_empty(), "al is done");
    let bo: Vec<Api> = calls_of(&pool, "bo", from);
    let writes: Vec<Api> = bo
        .into_iter()
        .filter(|a| !matches!(a, Api::GetUser | Api::ListGroupsForUser))
        .collect();
    assert_eq!(
        writes,
        [Api::AddToGroup, Api::GlobalSignOut],
        "only what was left"
    );
    assert!(pool.groups_of("bo").contains("admin"));
    assert_eq!(
        (pool.sign_outs("al"), pool.sign_outs("bo")),
        (al_out, bo_out + 1)
    );
    // The row's outcome lists every operation, the first run's attribute call included:
    // rollback restores both.
    let journal = format!("{}.journal", plan.display());
    let undo = ["rollback", &journal, "--yes", "--rps", "5000"];
    assert_eq!(cognito_bulk(&pool, &undo).await.unwrap(), Outcome::Success);
    assert_eq!(pool.attributes("bo")["custom:tier"], "free");
    assert!(
        !pool.groups_of("bo").contains("admin"),
        "bo was not in admin before"
    );
    let r = report(&format!("{journal}.rollback.plan.report.json"));
    assert_eq!(r["not_reversible"]["count"], 2, "two sign-outs listed: {r}");
}

/// A sign-out recorded as done is never sent again: not by a resume of a row whose steps
/// record it, and not by the same plan applied again once its run finished.
#[tokio::test]
async fn a_sign_out_that_went_is_never_sent_again() {
    let pool = fake();
    let dir = tempfile::tempdir().unwrap();
    let plan = plan(dir.path(), &[("al", vec![tier("pro"), sign_out()])]);
    assert_eq!(apply(&pool, &plan).await, Outcome::Success);
    assert_eq!(pool.sign_outs("al"), 1);
    // The finished plan applied again: a new run; everything is at its target, so the
    // sign-out (all that would be left) is not sent.
    assert_eq!(apply(&pool, &plan).await, Outcome::Success);
    assert_eq!(pool.sign_outs("al"), 1, "not signed out again");
    // A journal whose row recorded its sign-out in a step and died before its outcome.
    std::fs::remove_file(format!("{}.journal", plan.display())).unwrap();
    pool.set("al", "custom:tier", "free");
    assert_eq!(apply(&pool, &plan).await, Outcome::Success);
    assert_eq!(pool.sign_outs("al"), 2);
    let lines = journal_lines(&plan);
    let outcome = lines.last().unwrap();
    assert!(outcome.contains("\"outcome\":\"updated\"") && outcome.contains("sign_out"));
    let step = outcome
        .replace("\"outcome\":\"updated\"", "\"outcome\":\"step\"")
        .replace("\"attempts\":2", "\"attempts\":0");
    let cut = format!("{}\n{step}\n", lines[..lines.len() - 1].join("\n"));
    std::fs::write(format!("{}.journal", plan.display()), cut).unwrap();
    let from = pool.calls().len();
    assert_eq!(apply(&pool, &plan).await, Outcome::Success);
    assert_eq!(pool.sign_outs("al"), 2, "recorded as done: not sent again");
    assert!(!calls_of(&pool, "al", from).contains(&Api::Update));
}

/// A membership changed by someone else since the run holds what its rollback would write
/// (two states): the rollback sends nothing for it, restores the rest, and reports no
/// conflict. Without the read before the calls, whether the user was a member before is
/// unknown: the rollback lists the membership as not reversible instead of guessing.
#[tokio::test]
async fn rollback_leaves_a_membership_changed_since_and_lists_one_it_never_read() {
    let pool = fake();
    let dir = tempfile::tempdir().unwrap();
    let mixed = plan(dir.path(), &[("al", vec![tier("pro"), add("admin")])]);
    assert_eq!(apply(&pool, &mixed).await, Outcome::Success);
    let r = report(&format!("{}.report.json", mixed.display()));
    assert_eq!(
        (r["api_calls"].as_u64(), r["retries"].as_u64()),
        (Some(2), Some(0))
    );
    let undo_group = cognito_bulk::cognito::call::Call::RemoveUserFromGroup {
        username: "al".into(),
        group: "admin".into(),
    };
    cognito_bulk::cognito::Pool::send(&pool, &undo_group)
        .await
        .unwrap();
    let journal = format!("{}.journal", mixed.display());
    let removals = pool.count(Api::RemoveFromGroup);
    let undo = ["rollback", &journal, "--yes", "--rps", "5000"];
    assert_eq!(cognito_bulk(&pool, &undo).await.unwrap(), Outcome::Success);
    assert_eq!(pool.attributes("al")["custom:tier"], "free");
    assert_eq!(
        pool.count(Api::RemoveFromGroup),
        removals,
        "already as before"
    );

    // The same plan sent without reading the user first.
    let pool = fake();
    let dir = tempfile::tempdir().unwrap();
    let unread = plan(dir.path(), &[("cy", vec![add("admin")])]);
    let p = unread.to_str().unwrap();
    let args = ["apply", "--plan", p, "--user-pool-id", POOL, "--yes"];
    let mut args = args.to_vec();
    args.push("--no-read-before-write");
    assert_eq!(cognito_bulk(&pool, &args).await.unwrap(), Outcome::Success);
    assert_eq!(pool.count(Api::ListGroupsForUser), 0);
    assert!(
        journal_lines(&unread)
            .last()
            .unwrap()
            .contains("\"groups_unread\":true")
    );
    let journal = format!("{}.journal", unread.display());
    let undo = ["rollback", &journal, "--yes", "--rps", "5000"];
    assert_eq!(cognito_bulk(&pool, &undo).await.unwrap(), Outcome::Success);
    assert!(pool.groups_of("cy").contains("admin"), "not guessed");
    let r = report(&format!("{journal}.rollback.plan.report.json"));
    let listed = r["not_reversible"]["first"][0].as_str().unwrap();
    assert!(listed.contains("added to group admin"), "{listed}");
}

/// A fatal answer to a user's group call (a policy without AdminAddUserToGroup, say) after its
/// attribute call went: the run stops; `--retry-failed` then sends only the group call (the
/// attribute call's step is in the journal) and the sign-out after it, even without the read
/// before the calls, which would have found the attribute at its target.
#[tokio::test]
async fn a_run_stopped_between_a_users_calls_retries_only_what_is_left() {
    use cognito_bulk::cognito::faults::{Fault, Faulty};
    let fake = fake();
    let pool = Faulty::new(fake.clone());
    pool.fail(Api::AddToGroup, Fault::fatal("AccessDeniedException"), 1);
    let dir = tempfile::tempdir().unwrap();
    let plan = plan(
        dir.path(),
        &[("al", vec![tier("pro"), add("admin"), sign_out()])],
    );
    let p = plan.to_str().unwrap();
    let mut args = vec!["apply", "--plan", p, "--user-pool-id", POOL, "--yes"];
    args.extend(["--rps", "5000", "--no-read-before-write"]);
    assert_eq!(cognito_bulk(&pool, &args).await.unwrap(), Outcome::Stopped);
    assert_eq!(fake.attributes("al")["custom:tier"], "pro");
    assert_eq!((fake.groups_of("al").len(), fake.sign_outs("al")), (0, 0));
    let from = fake.calls().len();
    args.push("--retry-failed");
    assert_eq!(cognito_bulk(&pool, &args).await.unwrap(), Outcome::Success);
    let writes = calls_of(&fake, "al", from);
    assert_eq!(
        writes,
        [Api::AddToGroup, Api::GlobalSignOut],
        "not the attributes again"
    );
    assert!(fake.groups_of("al").contains("admin"));
    assert_eq!(fake.sign_outs("al"), 1);
}

/// The review's case: a user whose attribute and group calls went before the process died
/// (kill -9 or Ctrl-C), its sign-out not: the resumed run finds nothing else to change, and
/// still signs the user out, once, since this run changed it.
#[tokio::test]
async fn a_user_cut_before_its_sign_out_is_signed_out_on_resume() {
    let pool = fake();
    let dir = tempfile::tempdir().unwrap();
    let plan = plan(
        dir.path(),
        &[("bo", vec![tier("pro"), add("admin"), sign_out()])],
    );
    let mut args = vec![
        "apply",
        "--plan",
        plan.to_str().unwrap(),
        "--user-pool-id",
        POOL,
    ];
    args.extend(["--yes", "--rps", "5000", "--concurrency", "1"]);
    assert_eq!(cognito_bulk(&pool, &args).await.unwrap(), Outcome::Success);
    assert_eq!(pool.sign_outs("bo"), 1);
    // As the kill leaves it: bo's intent and both steps (attribute, group) written, the
    // sign-out never sent (the fake counted the first run's: start from that count).
    let lines = journal_lines(&plan);
    let last_step = lines
        .iter()
        .rposition(|l| l.contains("\"user\":\"bo\"") && l.contains("\"outcome\":\"step\""))
        .expect("bo's steps");
    assert!(
        lines[last_step].contains("add_to_group"),
        "{}",
        lines[last_step]
    );
    let kept = lines[..=last_step].join("\n") + "\n";
    std::fs::write(format!("{}.journal", plan.display()), kept).unwrap();
    let from = pool.calls().len();
    assert_eq!(cognito_bulk(&pool, &args).await.unwrap(), Outcome::Success);
    let writes: Vec<Api> = calls_of(&pool, "bo", from)
        .into_iter()
        .filter(|a| !matches!(a, Api::GetUser | Api::ListGroupsForUser))
        .collect();
    assert_eq!(writes, [Api::GlobalSignOut], "only the sign-out is left");
    assert_eq!(pool.sign_outs("bo"), 2, "signed out on resume");
    // Run again: done, nothing sent.
    let from = pool.calls().len();
    assert_eq!(cognito_bulk(&pool, &args).await.unwrap(), Outcome::Success);
    assert!(
        calls_of(&pool, "bo", from)
            .iter()
            .all(|a| *a != Api::GlobalSignOut)
    );
}
