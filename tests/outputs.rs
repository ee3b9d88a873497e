//! An output replaces only what that output writes: the commands a reviewer ran to overwrite
//! export backups, their state, failed-rows files and the inputs of other runs, and the
//! Markdown plan put where its plan's journal goes, each refused before any write (exit 2,
//! the file untouched, nothing sent), then run again on another path as the message advises.
//! All against moto.

mod support;

use std::path::Path;

use support::*;

struct Dir(tempfile::TempDir);

impl Dir {
    fn path(&self, name: &str) -> String {
        self.0.path().join(name).to_str().unwrap().to_string()
    }

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

/// A moto pool with a `tier` attribute and these users (`custom:tier` free), its client, its
/// id and a folder for the run's files.
async fn pool_of(users: &[&str]) -> (Moto, aws_sdk_cognitoidentityprovider::Client, String, Dir) {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["tier"]).await;
    for u in users {
        create_user(&c, &pool, u, &[("custom:tier", "free")]).await;
    }
    (moto, c, pool, Dir(tempfile::tempdir().unwrap()))
}

/// Runs a command that must be refused because of `path`: exit 2, `path` named with `what`
/// and the advice, and its bytes untouched.
async fn refused(url: &str, args: &[&str], path: &str, what: &str) {
    let before = std::fs::read(path).unwrap();
    let run = cognito_bulk(url, args, None).await;
    assert_eq!(run.code, 2, "{args:?}: {run:?}");
    assert!(
        run.stderr.contains(path) && run.stderr.contains(what),
        "{args:?} should name {path} as {what}: {}",
        run.stderr
    );
    assert!(run.stderr.contains("choose another path"), "{}", run.stderr);
    assert_eq!(std::fs::read(path).unwrap(), before, "{path} was changed");
}

#[tokio::test(flavor = "multi_thread")]
async fn outputs_never_replace_exports_their_state_failed_rows_or_other_runs_inputs() {
    let (moto, c, pool, d) = pool_of(&["u0", "u1", "u2"]).await;
    let url = moto.url();
    let p = pool.as_str();
    let backup = d.path("backup.csv");
    let run = cognito_bulk(
        &url,
        &["export", "--user-pool-id", p, "--output", &backup],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let state = format!("{backup}.export-state");
    assert!(Path::new(&state).exists());
    // Another run's input (tiers.csv.journal beside it) and a plan's failed rows.
    let tiers = d.write("tiers.csv", "username,custom:tier\nu1,gold\n");
    assert_eq!(
        cognito_bulk(&url, &["apply", &tiers, "--user-pool-id", p], None)
            .await
            .code,
        0
    );
    let users = d.write("users.csv", "username,custom:tier\nu0,pro\nghost,pro\n");
    assert_eq!(
        cognito_bulk(&url, &["plan", &users, "--user-pool-id", p], None)
            .await
            .code,
        1
    );
    let users_plan = format!("{users}.plan");
    let run = cognito_bulk(
        &url,
        &["apply", "--plan", &users_plan, "--user-pool-id", p],
        None,
    )
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    let failed = format!("{users_plan}.failed.jsonl");
    assert!(Path::new(&failed).exists());

    let plan = |extra: &[&str]| {
        let mut args = vec!["plan", users.as_str(), "--user-pool-id", p];
        args.extend_from_slice(extra);
        args.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    let n_plan = d.path("n.plan");
    let cases = [
        (plan(&["--out", &backup]), &backup, "is an export backup"),
        (
            plan(&["--out", &n_plan, "--markdown", &backup]),
            &backup,
            "is an export backup",
        ),
        (
            plan(&["--out", &n_plan, "--markdown", &state]),
            &state,
            "is an export's state",
        ),
        (
            plan(&["--out", &n_plan, "--markdown", &failed]),
            &failed,
            "is a failed-rows file",
        ),
        (
            plan(&["--out", &n_plan, "--markdown", &tiers]),
            &tiers,
            "is the input of the run journaled in",
        ),
    ];
    for (args, path, what) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        refused(&url, &args, path, what).await;
    }
    assert!(
        !Path::new(&n_plan).exists(),
        "nothing written before the refusal"
    );
    let t3 = d.write("t3.csv", "username,custom:tier\nu2,gold\n");
    refused(
        &url,
        &[
            "apply",
            &t3,
            "--yes",
            "--user-pool-id",
            p,
            "--report",
            &backup,
        ],
        &backup,
        "is an export backup",
    )
    .await;
    assert_eq!(
        attributes(&c, &pool, "u2").await["custom:tier"],
        "free",
        "nothing sent"
    );
    let bk = d.path("bk.csv");
    let run = cognito_bulk(
        &url,
        &["export", "--user-pool-id", p, "--output", &bk],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    refused(
        &url,
        &[
            "apply",
            "--user-pool-id",
            p,
            "--set",
            "nickname={{ username }}",
            "--out",
            &bk,
        ],
        &bk,
        "is an export backup",
    )
    .await;
    assert!(
        !attributes(&c, &pool, "u0").await.contains_key("nickname"),
        "nothing sent"
    );
    refused(
        &url,
        &["plan", &tiers, "--user-pool-id", p, "--out", &users],
        &users,
        "a file the plan does not write",
    )
    .await;

    // The advice followed: another path works, and the same command run again replaces
    // what it wrote itself (its plan and its Markdown plan).
    let md = d.path("n.md");
    for _ in 0..2 {
        let run = cognito_bulk(
            &url,
            &[
                "plan",
                &users,
                "--user-pool-id",
                p,
                "--out",
                &n_plan,
                "--markdown",
                &md,
            ],
            None,
        )
        .await;
        assert_eq!(run.code, 1, "only the ghost row is a problem: {run:?}");
        assert!(
            std::fs::read_to_string(&md)
                .unwrap()
                .starts_with("# Plan: ")
        );
    }
    let t3_report = d.path("t3.report.json");
    let run = cognito_bulk(
        &url,
        &[
            "apply",
            &t3,
            "--yes",
            "--user-pool-id",
            p,
            "--report",
            &t3_report,
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(attributes(&c, &pool, "u2").await["custom:tier"], "gold");
    let computed = d.path("nick.plan");
    let run = cognito_bulk(
        &url,
        &[
            "apply",
            "--user-pool-id",
            p,
            "--set",
            "nickname={{ username }}",
            "--out",
            &computed,
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(attributes(&c, &pool, "u0").await["nickname"], "u0");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_markdown_plan_where_its_plan_keeps_its_journal_is_refused() {
    let (moto, c, pool, d) = pool_of(&["u0"]).await;
    let url = moto.url();
    let p = pool.as_str();
    let mj = d.write("mj.csv", "username,custom:tier\nu0,pro\n");
    let (plan, journal) = (d.path("mj.plan"), d.path("mj.plan.journal"));
    let args = [
        "plan",
        &mj,
        "--user-pool-id",
        p,
        "--out",
        &plan,
        "--markdown",
        &journal,
    ];
    let run = cognito_bulk(&url, &args, None).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains(&journal) && run.stderr.contains("keeps the journal"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("choose another path"), "{}", run.stderr);
    assert!(!Path::new(&plan).exists() && !Path::new(&journal).exists());
    // The advice followed: the Markdown plan elsewhere, and the plan applies.
    let md = d.path("mj.md");
    let args = [
        "plan",
        &mj,
        "--user-pool-id",
        p,
        "--out",
        &plan,
        "--markdown",
        &md,
    ];
    assert_eq!(cognito_bulk(&url, &args, None).await.code, 0);
    let run = cognito_bulk(&url, &["apply", "--plan", &plan, "--user-pool-id", p], None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(attributes(&c, &pool, "u0").await["custom:tier"], "pro");
}

/// The README's loop: a run leaves failed rows, they are fed back (a run of their own, which
/// finishes), then the first command is run again: its failed rows go where they went before.
#[tokio::test(flavor = "multi_thread")]
async fn the_failed_rows_fed_back_then_the_same_command_again() {
    let (moto, _, pool, d) = pool_of(&["u0"]).await;
    let url = moto.url();
    let p = pool.as_str();
    let t1 = d.write("t1.csv", "username,custom:tier\nu0,pro\nnobody,pro\n");
    let failed = d.path("t1.csv.failed.csv");
    let first = ["apply", &t1, "--user-pool-id", p, "--yes"];
    assert_eq!(cognito_bulk(&url, &first, None).await.code, 1);
    let fed = ["apply", &failed, "--user-pool-id", p, "--yes"];
    assert_eq!(
        cognito_bulk(&url, &fed, None).await.code,
        1,
        "nobody fails again"
    );
    let again = cognito_bulk(&url, &first, None).await;
    assert_eq!(again.code, 1, "{again:?}");
    assert!(std::fs::read_to_string(&failed).unwrap().contains("nobody"));
}
