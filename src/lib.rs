//! cognito-bulk: change the attributes of many Amazon Cognito users at once, safely.
//!
//! Data flows one way: rows ([`input`], backfill, rollback) are decided ([`prepare`], then one
//! decision per row in the planner) into a plan ([`plan`], [`planfile`]), sent ([`apply`],
//! [`sender`]) through the [`pool`] seam, recorded in the [`journal`] and reported
//! ([`report`]). [`app`] turns command-line flags into a run. Modules that tests and
//! benchmarks do not need are private to the crate (`docs/ARCHITECTURE.md` has the map).

pub mod app;
pub mod apply;
pub(crate) mod aws;
pub(crate) mod backfill;
pub(crate) mod budget;
pub mod cli;
pub mod current;
pub(crate) mod current_state;
pub(crate) mod diff;
pub(crate) mod export;
pub(crate) mod files;
pub mod input;
pub mod journal;
pub(crate) mod keys;
pub(crate) mod markdown;
pub(crate) mod pager;
pub mod plan;
pub mod planfile;
pub(crate) mod planner;
pub mod pool;
pub mod prepare;
pub mod progress;
pub(crate) mod recorder;
pub mod report;
pub mod rollback;
pub(crate) mod row;
pub(crate) mod scan;
pub(crate) mod schema;
pub mod sender;
pub(crate) mod shell;
pub(crate) mod signin;
pub(crate) mod stream;
pub mod template;
pub mod validate;
