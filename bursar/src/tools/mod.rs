//! What the `bursar` binary carries besides the server: the demo organisation
//! (`bursar demo`, `serve --demo-if-empty`) and the benchmark (`bursar bench`).
//! Nothing the server runs while serving calls into here.

pub mod bench;
pub mod bench_baseline;
pub mod bench_bodies;
pub mod bench_check;
pub mod bench_guards;
pub mod bench_ingest;
pub mod bench_proc;
pub mod bench_queries;
pub mod bench_retention;
pub mod bench_scale;
pub mod bench_stats;
pub mod bench_sweep;
pub mod demo;
pub mod demo_agents;
pub mod demo_bills;
pub mod demo_budgets;
pub mod demo_signals;
pub mod demo_taxonomy;
