//! The Bursar server: configuration, application state, the HTTP API, the
//! web app's routes, the CLI's commands and the demo organisation.

// The pages' view types are deep; release builds lay them out here too.
#![recursion_limit = "512"]

pub mod cli;
pub mod config;
pub mod http;
pub mod jobs;
pub mod keys;
pub mod state;
pub mod tools;

pub use config::Config;
/// The ingest service (`server::ingest::parse`, `Ingest`, `IngestReport`, `Metrics`).
pub use ingest;
pub use state::AppState;
