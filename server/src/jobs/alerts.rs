//! Background work for alerts: delivering them to webhooks (with retries
//! and exponential backoff, every attempt recorded), the periodic forecast
//! sweep, and judging the signal alert rules. Each process runs all three; leases in the database make
//! sure one process delivers each alert, and alert keys make a second
//! sweep's forecasts no-ops.

use crate::state::AppState;
use chrono::Utc;
use domain::budgets::alert::{backoff, Alert, Attempt, Delivery, MAX_ATTEMPTS};
use std::time::Duration;

/// How long a process may hold an alert before another may retry it: longer
/// than a whole claim's deliveries can take ([`CLAIM`] × [`crate::config::WEBHOOK_TIMEOUT`]).
const LEASE: chrono::Duration = chrono::Duration::seconds(120);
/// Alerts claimed at once.
const CLAIM: i64 = 5;
/// How often the worker looks for due alerts when nothing wakes it.
const POLL: Duration = Duration::from_secs(1);

/// Starts the delivery worker and the forecast sweep.
pub fn spawn(state: &AppState) {
    tokio::spawn(deliver_forever(state.clone()));
    tokio::spawn(sweep_forever(state.clone()));
    tokio::spawn(signals_forever(state.clone()));
}

/// How often the signal alert rules are judged.
const SIGNALS_EVERY: Duration = Duration::from_secs(300);

async fn signals_forever(state: AppState) {
    let mut tick = tokio::time::interval(SIGNALS_EVERY);
    loop {
        tick.tick().await;
        judge_signals(&state).await;
    }
}

/// Judges the signal alert rules once and wakes delivery for what fired.
pub async fn judge_signals(state: &AppState) {
    match state.signals.evaluate(Utc::now()).await {
        Ok(0) => {}
        Ok(n) => {
            tracing::info!(alerts = n, "signal rules fired alerts");
            state.alerts_fired.notify_one();
        }
        Err(e) => tracing::warn!(error = %e, "judging signal rules failed"),
    }
    match state.invoices.judge_rules(Utc::now()).await {
        Ok(0) => {}
        Ok(n) => {
            tracing::info!(alerts = n, "bill coverage and gap rules fired alerts");
            state.alerts_fired.notify_one();
        }
        Err(e) => tracing::warn!(error = %e, "judging bill rules failed"),
    }
}

async fn deliver_forever(state: AppState) {
    loop {
        if let Err(e) = deliver_due(&state, Utc::now()).await {
            tracing::warn!(error = %e, "alert delivery pass failed; retrying");
        }
        let _ = tokio::time::timeout(POLL, state.alerts_fired.notified()).await;
    }
}

/// Delivers every alert due at `now`; returns how many were attempted.
pub async fn deliver_due(state: &AppState, now: chrono::DateTime<Utc>) -> Result<usize, store::StoreError> {
    let lease_until = now + LEASE;
    let due = state.store.claim_alerts(now, lease_until, CLAIM).await?;
    let n = due.len();
    for alert in due {
        let webhook = alert.webhook.clone().or_else(|| state.config.alert_webhook.clone());
        let Some(url) = webhook else {
            state.store.finish_attempt(alert.id, lease_until, None, Delivery::None, None).await?;
            continue;
        };
        let attempt = post(state, &url, &alert).await;
        let (delivery, next) = if attempt.error.is_none() {
            (Delivery::Delivered, None)
        } else if attempt.attempt >= MAX_ATTEMPTS {
            (Delivery::Failed, None)
        } else {
            (Delivery::Pending, Some(now.max(Utc::now()) + backoff(attempt.attempt)))
        };
        let outcome = if delivery == Delivery::Delivered {
            &state.metrics.alerts_delivered
        } else {
            &state.metrics.alert_delivery_failures
        };
        outcome.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if delivery != Delivery::Delivered {
            tracing::warn!(alert = alert.id, attempt = attempt.attempt, error = ?attempt.error, "webhook delivery failed");
        }
        if !state.store.finish_attempt(alert.id, lease_until, Some(&attempt), delivery, next).await? {
            tracing::warn!(alert = alert.id, "an alert's delivery lease ran out before its attempt was recorded");
        }
    }
    Ok(n)
}

/// The link to the alert history that alerts carry, when the public URL is known.
pub fn history_link(state: &AppState) -> Option<String> {
    state.config.public_url.as_deref().map(|u| format!("{u}/alerts"))
}

async fn post(state: &AppState, url: &str, alert: &Alert) -> Attempt {
    let at = Utc::now();
    let out = state.webhooks.post(url, alert, history_link(state).as_deref()).await;
    Attempt { attempt: alert.attempts + 1, at, status: out.status, error: out.error, duration_ms: out.duration_ms }
}

async fn sweep_forever(state: AppState) {
    let mut tick = tokio::time::interval(state.config.forecast_every);
    loop {
        tick.tick().await;
        match state.budgets.sweep_forecasts(Utc::now()).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(alerts = n, "forecast sweep fired alerts");
                state.alerts_fired.notify_one();
            }
            Err(e) => tracing::warn!(error = %e, "forecast sweep failed"),
        }
    }
}
