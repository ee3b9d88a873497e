//! Where rows come from: the input readers ([`input`]: CSV, JSONL, plan files), the first
//! pass over an input ([`scan`]: counts, duplicates, hashes, its SHA-256), the templates of
//! computed rows ([`template`]) and the rows that undo a journal ([`rollback`]).

pub mod input;
pub mod rollback;
pub(crate) mod scan;
pub mod template;
