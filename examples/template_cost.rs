//! Benchmark helper (bench/backfill.sh): the CPU cost of evaluating a backfill rule per user,
//! in-process, over synthetic users shaped like ListUsers answers.
//! `template_cost [USERS]` prints `users SECONDS` (single thread, so wall time is CPU time).

use std::collections::BTreeMap;
use std::time::Instant;

use cognito_bulk::rows::template::{Computed, Rules};

fn main() {
    let users: usize = std::env::args()
        .nth(1)
        .map_or(100_000, |n| n.parse().expect("USERS"));
    let rules = Rules::parse(
        &["custom:signup_source={{ email | split(\"@\") | last | lower }}".to_string()],
        Some("attrs[\"custom:signup_source\"] is not defined and email is defined"),
        false,
    )
    .expect("rule");
    let eval = rules.evaluator();
    let started = Instant::now();
    let mut changed = 0usize;
    for i in 0..users {
        // What a backfill builds from each ListUsers user: its attributes by name.
        let attrs: BTreeMap<String, String> = [
            ("sub", format!("0000-{i:08}")),
            ("email", format!("user{i:06}@Dept{}.Example", i % 7)),
            ("email_verified", "true".to_string()),
            ("given_name", format!("User {i}")),
            ("custom:tier", "free".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let subject = cognito_bulk::rows::template::Subject {
            username: &format!("user{i:06}"),
            attrs: &attrs,
            row: None,
        };
        if let Computed::Changes(_) = eval.eval(&subject) {
            changed += 1;
        }
    }
    assert_eq!(changed, users);
    println!("{users} {:.6}", started.elapsed().as_secs_f64());
}
