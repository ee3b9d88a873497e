//! Advice followed exactly as printed, with only the AWS settings the user gave on the command
//! line (no AWS_REGION in the environment): the commands `plan`, `apply` and `rollback` print
//! carry `--region`, `--profile` and `--endpoint-url`; the conflict advice of a computed
//! backfill; `report` of a run that did not finish; the billable users a plan counts.

mod support;

use std::path::Path;

use support::*;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_get_plan_counts_only_the_users_it_found_as_billable() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["tier"]).await;
    create_user(&c, &pool, "u0", &[("custom:tier", "free")]).await;
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "g.csv",
        "username,custom:tier\nu0,pro\ngone,pro\n",
    );
    let args = [
        "plan",
        &input,
        "--user-pool-id",
        &pool,
        "--current-state",
        "get",
    ];
    let run = cognito_bulk(&moto.url(), &args, None).await;
    assert!(
        run.stdout
            .contains("Reading current values with AdminGetUser made 1 users billable"),
        "{run:?}"
    );
}
