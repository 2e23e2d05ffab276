//! Black-box tests of the HTTP surface: the real router over a fresh SQLite
//! store, driven in-process.

mod api_bills;
mod api_budgets;
mod api_catalog;
mod api_events;
mod api_focus;
mod api_otlp;
mod api_signals;
mod api_spend;
mod auth;
mod bill_connectors;
mod demo_caps;
mod explore;
mod exports;
mod fuzz;
mod helpers;
mod keys_page;
mod matrix;
mod metrics;
mod openapi;
mod overload;
mod pages;
mod real_deployments;
mod reconcile;
mod reconciliation;
mod replay;
mod retention;
mod security;
mod users_page;
mod webhooks_tls;
