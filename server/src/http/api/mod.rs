//! The REST API: one file per resource, each with its own `router()`.
//! Ingest (`events`, `otlp`), spend (`spend`, `focus`), the pre-call check,
//! budgets, alerts and webhooks, the catalog (`prices`, `taxonomy`,
//! `otlp_mapping`, `jobs`, `audit`), signals (`signals`, `signal_rules`), the
//! cost model (`model`, `scenarios`), and health and metrics.
//!
//! Keys are checked once, by [`auth::require_scope`], for the scope the
//! endpoint table (`app::api_catalog`) gives each route; handlers are thin:
//! parse, call the service or store, map errors.

pub(crate) mod auth;
mod body;
pub(crate) mod error;
pub(crate) mod key_cache;
pub(crate) mod params;

mod alerts;
mod audit;
mod bills;
pub mod budgets;
mod check;
mod events;
mod focus;
mod health;
mod jobs;
mod metrics;
mod model;
pub mod otlp;
mod otlp_mapping;
pub mod otlp_size;
mod prices;
mod scenarios;
mod signal_rules;
mod signals;
mod spend;
mod taxonomy;
mod webhooks;

pub use auth::{authorize, ApiKey};
pub use error::ApiError;
pub use key_cache::{KeyCache, KEY_CACHE_TTL};

use crate::state::AppState;
use axum::routing::any;
use axum::Router;

/// Every API route. The resources that need a key sit behind the scope
/// layer; OTLP checks its own key (its errors are OTLP's `Status`), as do
/// no-key endpoints (health, metrics, the OpenAPI document, FOCUS for people).
pub fn router(state: &AppState) -> Router<AppState> {
    let scoped = Router::new()
        .merge(events::router())
        .merge(spend::router())
        .merge(focus::router())
        .merge(check::router())
        .merge(budgets::router())
        .merge(alerts::router())
        .merge(webhooks::router())
        .merge(taxonomy::router())
        .merge(otlp_mapping::router())
        .merge(prices::router())
        .merge(bills::router())
        .merge(jobs::router())
        .merge(audit::router())
        .merge(signals::router())
        .merge(signal_rules::router())
        .merge(model::router())
        .merge(scenarios::router())
        .merge(health::router())
        .merge(metrics::router())
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), auth::require_scope));
    scoped
        .merge(otlp::router())
        .route("/api/v1", any(not_found))
        .route("/api/v1/", any(not_found))
        .route("/api/v1/{*rest}", any(not_found))
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such API route; see the README's API section".into())
}
