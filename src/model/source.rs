//! `--current-state`: where a run reads the users' current values from. Recorded in plans.

/// Where current values come from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Stream the whole pool with ListUsers.
    List,
    /// AdminGetUser for each input user (makes each a billable active user).
    Get,
    /// `list` unless the pool is much larger than the input.
    Auto,
    /// Do not read: send every row as it is (no diff, no rollback information).
    None,
}
