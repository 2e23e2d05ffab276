//! `GET /metrics`: Prometheus metrics (no key; see `ingest::metrics` for what is counted).

use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use ingest::PoolStat;

/// The metrics in Prometheus' text format (version 0.0.4).
pub async fn get_metrics(State(state): State<AppState>) -> Response {
    let pools: Vec<PoolStat> =
        state.store.pool_stats().into_iter().map(|(name, size, idle)| PoolStat { name, size, idle }).collect();
    let mut body = state.metrics.render(&pools);
    let leases = &state.budgets.caps.leases;
    let load = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
    body.push_str(&format!(
        "# HELP bursar_cap_lease_admitted_total Cap counters that admitted a check from this process's lease (Postgres).\n\
         # TYPE bursar_cap_lease_admitted_total counter\nbursar_cap_lease_admitted_total {}\n\
         # HELP bursar_cap_lease_renewals_total Counters this process was granted a lease on (first grants and renewals).\n\
         # TYPE bursar_cap_lease_renewals_total counter\nbursar_cap_lease_renewals_total {}\n",
        load(&leases.admitted),
        load(&leases.renewals),
    ));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response()
}

/// This resource's routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(get_metrics))
}
