//! Housekeeping every process may run: the deletes are idempotent.

use std::sync::Arc;
use store::Store;

/// Every ten minutes, forgets expired sessions, failed sign-ins older than
/// the throttling window, and cap reservations that expired unsettled more
/// than a day ago (each process may do it; the deletes are idempotent).
pub async fn run(store: Arc<dyn Store>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        tick.tick().await;
        match store.delete_expired_sessions(chrono::Utc::now()).await {
            Ok(n) if n > 0 => tracing::info!(sessions = n, "expired sessions deleted"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not delete expired sessions"),
        }
        if let Err(e) = accounts::prune_login_failures(&store, chrono::Utc::now()).await {
            tracing::warn!(error = %e, "could not prune old failed sign-ins");
        }
        match store.prune_reservations(chrono::Utc::now() - chrono::TimeDelta::days(1)).await {
            Ok(n) if n > 0 => tracing::info!(reservations = n, "expired cap reservations forgotten"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not prune expired cap reservations"),
        }
    }
}
