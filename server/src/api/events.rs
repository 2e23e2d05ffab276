//! `POST /api/v1/events`: batched ingest of LLM call events (scope `ingest`).

use super::{authorize, ApiError};
use crate::ingest::{self, IngestReport};
use crate::keys::Scope;
use crate::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::Json;

/// Validates, prices and stores a batch; answers per event.
pub async fn post_events(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<IngestReport>, ApiError> {
    authorize(&state, &headers, Scope::Ingest).await?;
    let started = std::time::Instant::now();
    let answer = receive(&state, &headers, body).await;
    state.metrics.ingest_latency.observe(started.elapsed());
    match &answer {
        Ok(report) => state.metrics.record_ingest(report),
        Err(_) => {
            state.metrics.requests_refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
    answer.map(Json)
}

/// Reads, validates and stores one request's events.
async fn receive(state: &AppState, headers: &HeaderMap, body: Body) -> Result<IngestReport, ApiError> {
    let limit = state.config.max_body_bytes;
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::TooLarge { limit });
    }
    let _slot = tokio::time::timeout(state.config.ingest_queue_wait, state.ingest_slots.clone().acquire_owned())
        .await
        .map_err(|_| ApiError::Overloaded("too many ingest requests in flight; retry shortly".into()))?
        .map_err(|_| ApiError::Overloaded("the server is shutting down".into()))?;
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|e| body_error(e, limit))?;
    let parsed = ingest::parse(&bytes).map_err(ApiError::Body)?;
    Ok(ingest::ingest(state, parsed).await?)
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
