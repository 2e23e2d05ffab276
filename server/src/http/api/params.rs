//! Reading request parameters and bodies the way every resource answers:
//! a 400 naming the field and the reason.

use super::error::ApiError;
use axum::body::Bytes;
use domain::FieldError;
use serde_json::Value;
use std::collections::HashMap;

pub(super) fn invalid(field: &str, reason: impl Into<String>) -> ApiError {
    ApiError::Invalid(FieldError { field: field.into(), reason: reason.into() })
}

pub(super) fn json_body(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| invalid("body", format!("is not valid JSON: {e}")))
}

/// Reads a whole number parameter within a range, or its default.
pub(super) fn number(params: &HashMap<String, String>, name: &str, default: u32, max: u32) -> Result<u32, ApiError> {
    match params.get(name).map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(v) => match v.parse::<u32>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(invalid(name, format!("must be a whole number from 1 to {max} (got {v:?})"))),
        },
    }
}
