//! cognito-bulk: change the attributes of many Amazon Cognito users at once, safely.
//!
//! Data flows one way, and the folders are its stages: rows ([`rows`]: input files, a
//! journal's before-values) are decided ([`decide`]: schema, current values, validation, the
//! planner; computed backfills) into a plan ([`plan`]: the plan file, its summary, the
//! Markdown plan), sent ([`send`]: workers, the reader thread, the recorder) through the
//! [`cognito`] seam (the `Pool` trait, SDK client, pager, pacing), recorded in the [`journal`]
//! and reported ([`report`]). [`model`] holds the types every stage carries (a row, its
//! changes, its problems); [`files`] the rules every file the tool writes follows. [`app`]
//! turns command-line flags into a run. `docs/ARCHITECTURE.md` has the map.

pub mod app;
pub mod cli;
pub mod cognito;
pub mod decide;
pub(crate) mod export;
pub(crate) mod files;
pub mod journal;
pub mod model;
pub mod plan;
pub mod progress;
pub mod report;
pub mod rows;
pub mod send;
