//! The types every stage carries: a row and the changes it asks for ([`row`]), the codes of
//! a row's problems ([`code`]), the 64-bit keys users and aliases are known by in memory
//! ([`keys`]), and where a run reads current values from ([`source`]). Nothing here does I/O or imports another stage.

pub mod code;
pub(crate) mod keys;
pub mod row;
pub mod source;
