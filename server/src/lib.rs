//! The Bursar server: configuration, application state, the HTTP API, the
//! web app's routes and the background jobs (the command line, the demo
//! and the bench are in the `bursar` crate).

// The pages' view types are deep; release builds lay them out here too.
#![recursion_limit = "512"]

pub mod config;
pub mod config_bills;
pub mod config_error;
pub mod http;
pub mod jobs;
pub mod keys;
pub mod state;

pub use config::Config;
/// The ingest service (`server::ingest::parse`, `Ingest`, `IngestReport`, `Metrics`).
pub use ingest;
pub use state::AppState;
