//! People: accounts, roles and teams, and the audit log of who changed what.

pub mod audit;
pub mod users;

pub use audit::Entry;
pub use users::{Person, Role};
