//! Rollback of a re-run (issue 17, item 8): rolling back a journal whose run changed nothing
//! says so and names the journal of the last run that did; following that advice restores.

mod support;

use support::*;

#[tokio::test(flavor = "multi_thread")]
async fn rollback_of_a_rerun_names_the_run_that_changed_users_and_the_advice_works() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["tier"]).await;
    for u in ["u0", "u1"] {
        create_user(&c, &pool, u, &[("custom:tier", "free")]).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("a.csv");
    std::fs::write(&input, "username,custom:tier\nu0,pro\nu1,pro\n").unwrap();
    let input = input.to_str().unwrap();
    let apply = ["apply", input, "--user-pool-id", &pool];
    assert_eq!(cognito_bulk(&moto.url(), &apply, None).await.code, 0);
    // The same command again: every row is now unchanged, in a new journal.
    let again = cognito_bulk(&moto.url(), &apply, None).await;
    assert_eq!(again.code, 0, "{again:?}");
    assert!(again.stdout.contains("0 updated, 2 unchanged"), "{again:?}");

    let journal = format!("{input}.journal");
    for extra in [&["--dry-run"][..], &["--yes"][..]] {
        let mut args = vec!["rollback", journal.as_str()];
        args.extend_from_slice(extra);
        let run = cognito_bulk(&moto.url(), &args, None).await;
        assert_eq!(run.code, 2, "never 0 having restored nothing: {run:?}");
        assert!(run.stderr.contains("its run changed no user"), "{run:?}");
        assert!(run.stderr.contains(".journal.old-"), "{run:?}");
    }
    assert_eq!(attributes(&c, &pool, "u0").await["custom:tier"], "pro");

    // Following the printed advice rolls back the run that changed users.
    let run = cognito_bulk(&moto.url(), &["rollback", &journal, "--yes"], None).await;
    let advice = run
        .stderr
        .split_once("roll it back with: ")
        .map(|(_, c)| c.trim().to_string())
        .expect("advice printed");
    let words = shlex::split(&advice).expect("a command line");
    assert_eq!(words[0], "cognito-bulk");
    let mut args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
    args.push("--yes");
    let run = cognito_bulk_as_printed(&args).await;
    assert_eq!(run.code, 0, "{run:?}");
    for u in ["u0", "u1"] {
        assert_eq!(attributes(&c, &pool, u).await["custom:tier"], "free");
    }
}

/// A rollback run again after it finished is a new run: the earlier rollback plan, the record
/// of the run its kept journal describes, is kept aside beside that journal, not replaced.
#[tokio::test(flavor = "multi_thread")]
async fn a_rollback_run_again_keeps_the_plan_it_applied() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["tier"]).await;
    create_user(&c, &pool, "u0", &[("custom:tier", "free")]).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("crm.csv");
    std::fs::write(&input, "username,custom:tier\nu0,pro\n").unwrap();
    let input = input.to_str().unwrap();
    let apply = ["apply", input, "--user-pool-id", &pool];
    assert_eq!(cognito_bulk(&moto.url(), &apply, None).await.code, 0);
    let journal = format!("{input}.journal");
    let rollback = ["rollback", journal.as_str(), "--yes"];
    let run = cognito_bulk(&moto.url(), &rollback, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    let plan = format!("{journal}.rollback.plan");
    let first = std::fs::read(&plan).unwrap();
    assert_eq!(attributes(&c, &pool, "u0").await["custom:tier"], "free");

    // A second later, so that the new run's start differs from the kept one's.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let run = cognito_bulk(&moto.url(), &rollback, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    let kept: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("crm.csv.journal.rollback.plan.old-"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(std::fs::read(dir.path().join(&kept[0])).unwrap(), first);
    let journals: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("crm.csv.journal.rollback.plan.journal.old-"))
        .collect();
    assert_eq!(journals.len(), 1, "its journal kept beside it");
    // Paired by the same timestamp: the plan and the journal of one run.
    let stamp = |name: &str| name.rsplit_once(".old-").unwrap().1.to_string();
    assert_eq!(
        stamp(&kept[0]),
        stamp(&journals[0]),
        "{kept:?} {journals:?}"
    );
}
