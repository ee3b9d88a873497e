//! The types every stage carries: a row ([`row`]) and the typed operations it asks for
//! ([`op`]: one module per kind), the codes of a row's problems ([`code`]), the 64-bit keys
//! users and aliases are known by in memory ([`keys`]), and where a run reads current values
//! from ([`source`]). Nothing here does I/O; the only stage imported is `cognito`'s vocabulary
//! (an operation names the call that sends it and its quota category), and `cognito` imports
//! nothing from here.

pub mod code;
pub(crate) mod keys;
pub mod op;
pub mod row;
pub mod source;
