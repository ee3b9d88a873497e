//! cognito-bulk: change the attributes of many Amazon Cognito users at once, safely.
//!
//! Data flows one way: [`input`] reads rows, [`validate`] and [`scan`] check them, [`sender`]
//! sends them through a paced worker pool, and [`report`] records what happened.
//! [`apply`] wires the flow; [`cmd`] turns command-line flags into a run.

pub mod apply;
pub mod aws;
pub mod backfill;
pub mod cli;
pub mod cmd;
pub mod current;
pub mod current_state;
pub mod diff;
pub mod export;
pub mod files;
pub mod input;
pub mod journal;
pub mod keys;
pub mod markdown;
pub mod pager;
pub mod plan;
pub mod planfile;
pub mod planner;
pub mod pool;
pub mod prepare;
pub mod progress;
pub mod recorder;
pub mod report;
pub mod rollback;
pub mod row;
pub mod scan;
pub mod schema;
pub mod sender;
pub mod stream;
pub mod template;
pub mod validate;
