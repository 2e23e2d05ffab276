//! The Bursar server: configuration, application state, the HTTP API, the
//! web app's routes, the CLI's commands and the demo organisation.

// The pages' view types are deep; release builds lay them out here too.
#![recursion_limit = "512"]

pub mod alerts;
pub mod api;
pub mod bench;
pub mod bench_check;
pub mod bench_guards;
pub mod bench_proc;
pub mod bench_stats;
pub mod cli;
pub mod config;
pub mod demo;
pub mod demo_agents;
pub mod demo_budgets;
pub mod demo_signals;
pub mod export;
pub mod focus;
pub mod ingest;
pub mod keys;
pub mod metrics;
pub mod routes;
pub mod state;
pub mod web;

pub use config::Config;
pub use state::AppState;
