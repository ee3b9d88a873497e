//! Deciding each row: the input scanned and the pool read ([`prepare`]), the rules without
//! network ([`validate`], [`schema`]), users' current values ([`current`]) and groups
//! ([`groups`]), the diff
//! ([`diff`]) and the one decision per row ([`planner`]); [`all`] decides every row into a
//! plan and its summary; [`backfill`] computes rows from the pool (or an input joined to it)
//! before they are decided like any other.

pub mod all;
pub(crate) mod backfill;
pub mod current;
pub(crate) mod diff;
pub mod groups;
pub(crate) mod planner;
pub mod prepare;
pub(crate) mod schema;
pub mod validate;
