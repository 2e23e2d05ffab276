//! The bill connectors: each configured provider's cost API polled every
//! `BURSAR_BILLS_POLL_HOURS` for the last `BURSAR_BILLS_LOOKBACK_DAYS`, page
//! by page (`next_page` until `has_more` is false), then stored like an
//! upload: the feed's days restated, the run recorded with its answer, or
//! with its error when the poll fails (nothing is stored then).
//!
//! Requests go through the webhook sender's guarded client (HTTPS, the
//! outbound policy, no redirects, bounded answers). Several processes may
//! poll; a poll restates, so the result is the same.

use crate::config_bills::BillConnector;
use crate::state::AppState;
use chrono::{Duration, NaiveDate, Utc};
use domain::invoice::{anthropic_cost, openai_costs, BillSource, Imported};

/// Most pages one poll reads (a poll of 180 days needs 1 OpenAI page or 6 Anthropic ones).
pub const MAX_PAGES: usize = 200;
/// The largest page read.
pub const MAX_PAGE_BYTES: usize = 16 * 1024 * 1024;

/// Starts one polling task per configured connector.
pub fn spawn(state: &AppState) {
    let settings = state.config.bills.clone();
    for c in settings.connectors.clone() {
        let (state, every, lookback) = (state.clone(), settings.poll_every, settings.lookback_days);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let today = Utc::now().date_naive();
                if let Err(e) =
                    poll(&state, &c, today - Duration::days(i64::from(lookback)), today + Duration::days(1)).await
                {
                    tracing::warn!(source = c.source.as_str(), error = %e, "bill connector poll failed");
                }
            }
        });
    }
}

/// Polls one connector for the days `[from, to)` and stores what it read;
/// a failure is recorded as a failed run and returned.
pub async fn poll(
    state: &AppState,
    c: &BillConnector,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<catalog::invoice::ImportAnswer, String> {
    let started = Utc::now();
    let fetched = fetch(state, c, from, to).await;
    let stored = match fetched {
        Ok(read) => state
            .invoices
            .store_imported(c.source, read, "connector", "connector", started)
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(e),
    };
    if let Err(e) = &stored {
        if let Err(re) = state.invoices.record_failure(c.source, "connector", started, e).await {
            tracing::error!(error = %re, "could not record a failed bill poll");
        }
    }
    stored
}

async fn fetch(state: &AppState, c: &BillConnector, from: NaiveDate, to: NaiveDate) -> Result<Imported, String> {
    let mut page: Option<String> = None;
    let (mut openai, mut anthropic) = (Vec::new(), Vec::new());
    for n in 0.. {
        if n == MAX_PAGES {
            return Err(format!("the API answered more than {MAX_PAGES} pages; nothing was stored"));
        }
        let (path, headers): (String, Vec<(&str, String)>) = match c.source {
            BillSource::OpenAi => (
                openai_costs::request_path(from, to, page.as_deref()),
                vec![("authorization", format!("Bearer {}", c.key.expose()))],
            ),
            BillSource::Anthropic => (
                anthropic_cost::request_path(from, to, page.as_deref()),
                vec![("x-api-key", c.key.expose().to_string()), ("anthropic-version", "2023-06-01".to_string())],
            ),
            BillSource::Focus => return Err("FOCUS files are uploaded, not polled".into()),
        };
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, body) = state.webhooks.get(&format!("{}{path}", c.base_url), &headers, MAX_PAGE_BYTES).await?;
        if status != 200 {
            let why = match status {
                401 | 403 => "the admin key was refused",
                429 => "rate limited",
                _ => "the API failed",
            };
            return Err(format!("HTTP {status} on page {}: {why}; nothing was stored", n + 1));
        }
        let (more, next) = match c.source {
            BillSource::OpenAi => {
                let mut p = openai_costs::pages(&body).map_err(|e| e.reason)?;
                let p = p.remove(0);
                let next = (p.has_more, p.next_page.clone());
                openai.push(p);
                next
            }
            _ => {
                let mut r = anthropic_cost::reports(&body).map_err(|e| e.reason)?;
                let r = r.remove(0);
                let next = (r.has_more, r.next_page.clone());
                anthropic.push(r);
                next
            }
        };
        match (more, next) {
            (true, Some(next)) if Some(&next) != page.as_ref() => page = Some(next),
            (true, _) => return Err("the API said has_more without a new next_page; nothing was stored".into()),
            (false, _) => break,
        }
    }
    Ok(match c.source {
        BillSource::OpenAi => openai_costs::read_pages(&openai),
        _ => anthropic_cost::read_reports(&anthropic),
    })
}
