//! Routes from the endpoint table (`app::api_catalog`): each described
//! endpoint is matched to its handler here, and only described endpoints
//! are routed, so `/api/openapi.json` cannot drift from the real routes.

use crate::AppState;
use app::api_catalog::ENDPOINTS;
use axum::routing::{delete, get, post, put, MethodRouter};
use axum::Router;

use super::{alerts, budgets, catalog_api, check, events, otlp, signals, spend};

/// The handler of one described endpoint.
fn handler(method: &str, path: &str) -> Option<MethodRouter<AppState>> {
    Some(match (method, path) {
        ("get", "/api/v1/health") => get(super::health),
        ("post", "/api/v1/events") => post(events::post_events),
        ("get", "/api/v1/spend") => get(spend::get_spend),
        ("post", "/api/v1/check") => post(check::post_check),
        ("get", "/api/v1/budgets") => get(budgets::list),
        ("post", "/api/v1/budgets") => post(budgets::create),
        ("get", "/api/v1/budgets/{id}") => get(budgets::get),
        ("put", "/api/v1/budgets/{id}") => put(budgets::replace),
        ("delete", "/api/v1/budgets/{id}") => delete(budgets::delete),
        ("get", "/api/v1/alerts") => get(alerts::list),
        ("get", "/api/v1/alerts/{id}") => get(alerts::get),
        ("post", "/api/v1/alerts/{id}/ack") => post(alerts::ack),
        ("post", "/api/v1/webhooks/test") => post(alerts::test_webhook),
        ("get", "/api/v1/taxonomy") => get(catalog_api::get_taxonomy),
        ("put", "/api/v1/taxonomy") => put(catalog_api::put_taxonomy),
        ("get", "/api/v1/jobs/{id}") => get(catalog_api::get_job),
        ("get", "/api/v1/otlp/mapping") => get(catalog_api::get_otlp_mapping),
        ("put", "/api/v1/otlp/mapping") => put(catalog_api::put_otlp_mapping),
        ("get", "/api/v1/prices") => get(catalog_api::get_prices),
        ("post", "/api/v1/prices/import") => post(catalog_api::import_prices),
        ("get", "/api/v1/prices/unpriced") => get(catalog_api::get_unpriced),
        ("post", "/api/v1/prices/reprice") => post(catalog_api::reprice),
        ("get", "/api/v1/audit") => get(catalog_api::get_audit),
        ("get", "/api/v1/export/focus.csv") => get(crate::focus::api_focus),
        ("get", "/api/v1/signals") => get(signals::get_signals),
        ("get", "/api/v1/signals/rules") => get(signals::list_rules),
        ("post", "/api/v1/signals/rules") => post(signals::create_rule),
        ("put", "/api/v1/signals/rules/{id}") => put(signals::replace_rule),
        ("delete", "/api/v1/signals/rules/{id}") => delete(signals::delete_rule),
        ("post", "/api/v1/model/estimate") => post(signals::estimate),
        ("get", "/api/v1/model/calibrate") => get(signals::calibrate),
        ("get", "/api/v1/model/tiers") => get(signals::get_tiers),
        ("put", "/api/v1/model/tiers/{model}") => put(signals::put_tier),
        ("get", "/api/v1/scenarios") => get(signals::list_scenarios),
        ("post", "/api/v1/scenarios") => post(signals::create_scenario),
        ("get", "/api/v1/scenarios/{id}") => get(signals::get_scenario),
        ("put", "/api/v1/scenarios/{id}") => put(signals::replace_scenario),
        ("delete", "/api/v1/scenarios/{id}") => delete(signals::delete_scenario),
        ("get", "/api/v1/scenarios/{id}/actual") => get(signals::scenario_actual),
        ("post", "/api/otlp/v1/traces") => post(otlp::post_traces),
        ("get", "/healthz") => get(super::healthz),
        ("get", "/readyz") => get(super::readyz),
        ("get", "/metrics") => get(crate::metrics::get_metrics),
        ("get", "/api/openapi.json") => get(super::openapi_json),
        ("get", "/focus.csv") => get(crate::focus::page_focus),
        _ => return None,
    })
}

/// Adds every described endpoint under `prefix` (with the prefix taken off)
/// or, with `prefix` `None`, every endpoint outside `/api/v1/`.
pub fn register(mut router: Router<AppState>, prefix: Option<&str>) -> Router<AppState> {
    for e in ENDPOINTS.iter() {
        let path = match prefix {
            Some(p) => match e.path.strip_prefix(p) {
                Some(rest) => rest,
                None => continue,
            },
            None if e.path.starts_with("/api/v1/") => continue,
            None => e.path,
        };
        let h =
            handler(e.method, e.path).unwrap_or_else(|| panic!("no handler for the described {} {}", e.method, e.path));
        router = router.route(path, h);
    }
    router
}
