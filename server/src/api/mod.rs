//! The REST API under `/api/v1`: ingest and spend queries, authenticated
//! with API keys. Handlers are thin: authorise, parse, call the service or
//! store, map errors.

mod auth;
mod error;
mod events;
mod spend;

pub use auth::authorize;
pub use error::ApiError;

use crate::AppState;
use axum::routing::{get, post};
use axum::{Json, Router};

/// Every `/api/v1` route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/events", post(events::post_events))
        .route("/spend", get(spend::get_spend))
        .fallback(not_found)
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such API route; see the README's API section".into())
}
