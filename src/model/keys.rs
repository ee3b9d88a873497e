//! How users and aliases are compared: as 64-bit hashes of their case-folded text, so that
//! the scan, the pre-read and the rails keep a number per user instead of a string.

use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};

/// Usernames are compared case-insensitively: Cognito pools are case-insensitive by default,
/// and rows differing only in case are suspicious even where they are not.
pub fn user_key(username: &str) -> u64 {
    // A fixed-key hasher: the same name must give the same key in every pass.
    BuildHasherDefault::<DefaultHasher>::default().hash_one(username.to_lowercase())
}

/// Hash of an alias value (emails compare case-insensitively).
pub fn alias_key(value: &str) -> u64 {
    BuildHasherDefault::<DefaultHasher>::default().hash_one(value.trim().to_lowercase())
}
