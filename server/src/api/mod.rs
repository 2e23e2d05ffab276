//! The REST API under `/api/v1`: ingest, spend queries, budgets, alerts, the pre-call check, governance, signals and the cost model, authenticated
//! with API keys. Handlers are thin: authorise, parse, call the service or
//! store, map errors.

mod alerts;
mod auth;
pub mod budgets;
mod check;
mod error;
mod events;
mod governance;
pub mod otlp;
mod signals;
mod spend;

pub use auth::{authorize, KeyCache, KEY_CACHE_TTL};
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
        .route("/check", post(check::post_check))
        .route("/budgets", get(budgets::list).post(budgets::create))
        .route("/budgets/{id}", get(budgets::get).put(budgets::replace).delete(budgets::delete))
        .route("/alerts", get(alerts::list))
        .route("/alerts/{id}", get(alerts::get))
        .route("/alerts/{id}/ack", post(alerts::ack))
        .route("/taxonomy", get(governance::get_taxonomy).put(governance::put_taxonomy))
        .route("/jobs/{id}", get(governance::get_job))
        .route("/prices", get(governance::get_prices))
        .route("/prices/import", post(governance::import_prices))
        .route("/prices/unpriced", get(governance::get_unpriced))
        .route("/prices/reprice", post(governance::reprice))
        .route("/audit", get(governance::get_audit))
        .route("/export/focus.csv", get(crate::focus::api_focus))
        .route("/signals", get(signals::get_signals))
        .route("/signals/rules", get(signals::list_rules).post(signals::create_rule))
        .route("/signals/rules/{id}", axum::routing::put(signals::replace_rule).delete(signals::delete_rule))
        .route("/model/estimate", post(signals::estimate))
        .route("/model/calibrate", get(signals::calibrate))
        .route("/model/tiers", get(signals::get_tiers))
        .route("/model/tiers/{model}", axum::routing::put(signals::put_tier))
        .route("/scenarios", get(signals::list_scenarios).post(signals::create_scenario))
        .route(
            "/scenarios/{id}",
            get(signals::get_scenario).put(signals::replace_scenario).delete(signals::delete_scenario),
        )
        .route("/scenarios/{id}/actual", get(signals::scenario_actual))
        .fallback(not_found)
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// `GET /healthz`: the process is up (liveness).
pub async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// `GET /readyz`: the database answers and every migration this build knows is applied (readiness).
pub async fn readyz(axum::extract::State(state): axum::extract::State<AppState>) -> axum::response::Response {
    use axum::response::IntoResponse;
    match state.store.readiness().await {
        Ok(()) => Json(serde_json::json!({ "status": "ready" })).into_response(),
        Err(reason) => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "status": "not ready", "reason": reason })),
        )
            .into_response(),
    }
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such API route; see the README's API section".into())
}
