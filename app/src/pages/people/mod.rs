//! People: signing in, users, API keys, one's own account, and the audit log.

pub mod account;
pub mod audit;
pub mod auth;
pub mod keys;
pub mod users;
