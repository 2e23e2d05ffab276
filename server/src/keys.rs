//! API keys (kept in `accounts`, which the pages share): generated here,
//! shown once, stored only as a SHA-256 hash.

pub use accounts::keys::*;
