//! API errors and their HTTP answers: 4xx name the field and the reason;
//! 5xx are logged with context and answered with a generic message.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::ingest::event::BodyError;
use domain::FieldError;
use serde_json::json;
use store::StoreError;

/// Seconds a client should wait before retrying after 429/503.
pub const RETRY_AFTER_SECS: u32 = 1;

/// Everything an API call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Invalid(FieldError),
    /// Several fields were wrong (a budget); every one is listed.
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Fields(Vec<FieldError>),
    #[error("{0}")]
    Body(BodyError),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("request body is larger than the limit of {limit} bytes")]
    TooLarge { limit: usize },
    #[error("{0}")]
    Overloaded(String),
    /// The body did not arrive within the time allowed (408).
    #[error("body: did not arrive within {limit:?} (BURSAR_BODY_TIMEOUT_SECS); send it faster or in smaller requests")]
    SlowBody { limit: std::time::Duration },
    #[error("internal error")]
    Internal(String),
}

/// The services' one refusal type, answered as the API answers.
impl From<store::Refusal> for ApiError {
    fn from(r: store::Refusal) -> ApiError {
        match r {
            store::Refusal::Invalid(errors) => ApiError::Fields(errors),
            store::Refusal::Forbidden(m) => ApiError::Forbidden(m),
            store::Refusal::NotFound(m) => ApiError::NotFound(m),
            store::Refusal::Store(e) => e.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        if let StoreError::Refused(f) = e {
            return ApiError::Invalid(f);
        }
        if e.is_transient() {
            tracing::warn!(error = %e, "store unavailable");
            ApiError::Overloaded("the database is busy; retry shortly".into())
        } else {
            ApiError::Internal(e.to_string())
        }
    }
}

impl ApiError {
    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Body(BodyError::TooMany { .. } | BodyError::TooBig(_)) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Invalid(_) | ApiError::Fields(_) | ApiError::Body(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Overloaded(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::SlowBody { .. } => StatusCode::REQUEST_TIMEOUT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, field) = match &self {
            ApiError::Invalid(f) => (StatusCode::BAD_REQUEST, "invalid", Some(f.field.clone())),
            ApiError::Fields(fs) => (StatusCode::BAD_REQUEST, "invalid", fs.first().map(|f| f.field.clone())),
            ApiError::Body(BodyError::Malformed { .. }) => (StatusCode::BAD_REQUEST, "malformed_json", None),
            ApiError::Body(BodyError::TooMany { .. }) => {
                (StatusCode::PAYLOAD_TOO_LARGE, "too_many_events", Some("events".into()))
            }
            ApiError::Body(BodyError::TooBig(_)) => {
                (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", Some("body".into()))
            }
            ApiError::Body(BodyError::NotAnObject) => (StatusCode::BAD_REQUEST, "invalid", Some("body".into())),
            ApiError::Body(_) => (StatusCode::BAD_REQUEST, "invalid", Some("events".into())),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized", None),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", None),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found", None),
            ApiError::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", None),
            ApiError::Overloaded(_) => (StatusCode::SERVICE_UNAVAILABLE, "overloaded", None),
            ApiError::SlowBody { .. } => (StatusCode::REQUEST_TIMEOUT, "body_too_slow", Some("body".into())),
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error answering an API call");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", None)
            }
        };
        let message = match &self {
            ApiError::Internal(_) => "internal error; the server log has the details".to_string(),
            other => other.to_string(),
        };
        let mut error = json!({ "code": code, "field": field, "message": message });
        if let ApiError::Fields(fs) = &self {
            error["errors"] =
                json!(fs.iter().map(|f| json!({"field": f.field, "reason": f.reason})).collect::<Vec<_>>());
        }
        let mut resp = (status, Json(json!({ "error": error }))).into_response();
        if matches!(self, ApiError::Unauthorized(_)) {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if matches!(self, ApiError::Overloaded(_)) {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
        }
        resp
    }
}
