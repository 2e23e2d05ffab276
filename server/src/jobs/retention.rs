//! The retention job (`BURSAR_RETAIN_CALLS_DAYS`): a pass at start-up and
//! every ten minutes (see `ingest::retention`); every process may run it.

use std::sync::Arc;
use store::Store;

/// How often a pass runs.
pub const EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// Runs a pass every [`EVERY`] while `days` > 0, logging what each did.
pub async fn run(store: Arc<dyn Store>, days: u32) {
    if days == 0 {
        return;
    }
    let mut tick = tokio::time::interval(EVERY);
    loop {
        tick.tick().await;
        match ingest::retention::retire(&*store, days, chrono::Utc::now()).await {
            Ok(r) => tracing::info!(deleted = r.deleted, edge = %r.edge, "calls retired"),
            Err(e) => tracing::warn!(error = %e, "could not retire old calls"),
        }
    }
}
