//! The whole HTTP surface: the API (`api/`, one file per resource), the web
//! app's pages and server functions, the Explore CSV export, the static site
//! (wasm, CSS, the ECharts script), and the layers every request passes
//! (`web.rs`: sign-in guard, sessions, security headers).

pub mod api;
pub mod export;
pub mod web;

use crate::state::AppState;
use app::{shell, App};
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::trace::TraceLayer;
/// Builds the router over a ready state.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let store = state.store.clone();
    let budgets = state.budgets.clone();
    let catalog_service = state.catalog_service.clone();
    let signals = state.signals.clone();
    let invoices = state.invoices.clone();
    let webhooks = state.webhooks.clone();
    let options = state.leptos_options.clone();
    let policy = accounts::SessionPolicy { absolute: state.config.session_max };
    api::router(&state)
        .route("/explore.csv", axum::routing::get(export::explore_csv))
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(store.clone());
                provide_context(budgets.clone());
                provide_context(catalog_service.clone());
                provide_context(signals.clone());
                provide_context(invoices.clone());
                provide_context(webhooks.clone());
                provide_context(policy);
            },
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn_with_state(state.clone(), web::guard))
        .layer(web::session_layer(&state))
        .layer(axum::middleware::from_fn_with_state(state.clone(), web::security_headers))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
