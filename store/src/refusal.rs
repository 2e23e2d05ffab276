//! Why a service refused a change or a read: the one refusal type every
//! service (budgets, signals, catalog) answers with, converted once to
//! an HTTP answer (`server`) and once to what a page shows (`app`).

use crate::StoreError;
use domain::FieldError;

/// A refused request, in words a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// Fields that are wrong, each named (400).
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    /// The person or key may not do this (403); the message says who may.
    #[error("{0}")]
    Forbidden(String),
    /// What was named does not exist (404); the message names it.
    #[error("{0}")]
    NotFound(String),
    /// The store failed (503 when transient, else 500); logged, not shown.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Refusal {
    /// One wrong field.
    pub fn field(field: &str, reason: impl Into<String>) -> Refusal {
        Refusal::Invalid(vec![FieldError { field: field.into(), reason: reason.into() }])
    }
}
