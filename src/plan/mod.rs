//! A plan: what a run will do, fixed before anything is sent. [`file`] is the plan file's
//! format (changes, rows left out, trailer, `verify`); [`markdown`] the plan for review;
//! [`budget`] the plan's messages against what the pool's senders can deliver.

pub(crate) mod budget;
pub mod file;
pub(crate) mod markdown;
pub mod summary;
