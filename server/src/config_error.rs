//! The error every setting reads to: the variable, and why its value is
//! refused. Its own file, so `config` and `config_bills` share it without
//! importing each other.

/// A variable that is set but unusable.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{var}: {reason}")]
pub struct ConfigError {
    pub var: &'static str,
    pub reason: String,
}
