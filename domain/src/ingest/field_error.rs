//! A refused field: which, and why. Every reader of input (events, OTLP
//! spans, query parameters, bills) answers with it.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What is wrong with one field of one event, e.g. `input_tokens: must be a
/// non-negative integer`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub(crate) fn new(field: impl Into<String>, reason: impl Into<String>) -> FieldError {
        FieldError { field: field.into(), reason: reason.into() }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}
