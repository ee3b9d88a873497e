//! What the benchmarks on the in-process fake share: the synthetic pool's users and the
//! process's peak memory. Included by each example with `mod common;`.
#![allow(dead_code)] // each example uses what it needs

use cognito_bulk::cognito::User;

/// User number `i` of the synthetic pool `plan_fake` and `backfill_fake` list.
pub fn user(i: u64) -> User {
    User {
        username: format!("user{i:08}"),
        attributes: vec![
            (
                "sub".into(),
                format!("0000{i:08}-aaaa-bbbb-cccc-dddddddddddd"),
            ),
            ("email".into(), format!("user{i}@example.com")),
            ("email_verified".into(), "true".into()),
            ("given_name".into(), format!("Given{i}")),
            ("family_name".into(), "Family".into()),
            ("custom:tier".into(), "free".into()),
        ],
        status: Some("CONFIRMED".into()),
        enabled: Some(true),
    }
}

/// Peak resident memory of this process so far, in MiB (Linux: VmHWM).
pub fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}
