//! Reading an ingest body: after the ingest slot is taken, never past the
//! size limit, and never for longer than `BURSAR_BODY_TIMEOUT_SECS`, so a
//! few slow uploads cannot hold every slot while others wait.

use super::error::ApiError;
use crate::state::AppState;
use axum::body::{Body, Bytes};
use tokio::sync::OwnedSemaphorePermit;

/// Takes an ingest slot, waiting at most `BURSAR_INGEST_QUEUE_WAIT_MS`.
///
/// Errors: 503 with `Retry-After` when every slot stays busy.
pub async fn slot(state: &AppState) -> Result<OwnedSemaphorePermit, ApiError> {
    state.ingest.slot().await.map_err(|busy| match busy {
        ingest::Busy::Overloaded => ApiError::Overloaded("too many ingest requests in flight; retry shortly".into()),
        ingest::Busy::Closed => ApiError::Overloaded("the server is shutting down".into()),
    })
}

/// Reads the whole body within the size and time limits.
///
/// Errors: 413 past `BURSAR_MAX_BODY_BYTES`, 408 past `BURSAR_BODY_TIMEOUT_SECS`,
/// 400 when the client goes away mid-upload.
pub async fn read(state: &AppState, body: Body) -> Result<Bytes, ApiError> {
    let (limit, within) = (state.config.max_body_bytes, state.config.body_timeout);
    match tokio::time::timeout(within, axum::body::to_bytes(body, limit)).await {
        Err(_) => Err(ApiError::SlowBody { limit: within }),
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) => Err(body_error(e, limit)),
    }
}

/// A body over the limit is 413; a body that could not be read (the client
/// went away mid-upload) is 400.
fn body_error(e: axum::Error, limit: usize) -> ApiError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() {
            return ApiError::TooLarge { limit };
        }
        source = err.source();
    }
    ApiError::Invalid(domain::FieldError { field: "body".into(), reason: format!("could not be read: {e}") })
}
