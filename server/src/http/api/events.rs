//! `POST /api/v1/events`: batched ingest of LLM call events (scope `ingest`).

use super::auth::ApiKey;
use super::error::ApiError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::routing::post;
use axum::{Json, Router};
use ingest::IngestReport;

/// Validates, prices and stores a batch; answers per event.
pub async fn post_events(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<IngestReport>, ApiError> {
    let started = std::time::Instant::now();
    let answer = receive(&state, &headers, body, key.tag_limits.as_ref()).await;
    state.metrics.ingest_latency.observe(started.elapsed());
    if answer.is_err() {
        state.metrics.requests_refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    answer.map(Json)
}

/// Reads, validates and stores one request's events.
async fn receive(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
    limits: Option<&domain::ingest::key_limits::TagLimits>,
) -> Result<IngestReport, ApiError> {
    let limit = state.config.max_body_bytes;
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::TooLarge { limit });
    }
    let _slot = super::body::slot(state).await?;
    let bytes = super::body::read(state, body).await?;
    let parsed = ingest::parse(&bytes).map_err(ApiError::Body)?;
    Ok(state.ingest.ingest(parsed, limits).await?)
}

/// This resource's routes (the scope each needs is in the endpoint table).
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/events", post(post_events))
}
