//! Alerts: when spend against a budget crosses a threshold, is forecast to
//! breach, or reaches a hard cap. Each fires once per budget, split value,
//! period, kind and threshold; this module decides *whether*, the store makes
//! sure it happens once.

use crate::pricing::money::{usd_display, Nanos};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// What an alert says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Spend crossed one of the budget's thresholds.
    Threshold,
    /// At the current run rate, spend will pass the amount before the period ends.
    Forecast,
    /// A hard cap was reached: checks now answer "not allowed".
    Cap,
    /// A signal alert rule's condition started to hold.
    Signal,
    /// A day's spend was anomalous for its scope.
    Anomaly,
}

impl AlertKind {
    /// Every kind, in filter order.
    pub const ALL: [AlertKind; 5] =
        [AlertKind::Threshold, AlertKind::Forecast, AlertKind::Cap, AlertKind::Signal, AlertKind::Anomaly];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Threshold => "threshold",
            AlertKind::Forecast => "forecast",
            AlertKind::Cap => "cap",
            AlertKind::Signal => "signal",
            AlertKind::Anomaly => "anomaly",
        }
    }

    /// Whether a signal rule fired it (rather than a budget).
    pub fn from_rule(self) -> bool {
        matches!(self, AlertKind::Signal | AlertKind::Anomaly)
    }

    pub fn parse(s: &str) -> Result<AlertKind, String> {
        AlertKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("must be one of threshold, forecast, cap, signal, anomaly (got {s:?})"))
    }

    pub fn label(self) -> &'static str {
        match self {
            AlertKind::Threshold => "Threshold crossed",
            AlertKind::Forecast => "Forecast to breach",
            AlertKind::Cap => "Cap reached",
            AlertKind::Signal => "Signal",
            AlertKind::Anomaly => "Spend anomaly",
        }
    }
}

/// Where an alert's webhook delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// Waiting for its first or next attempt.
    Pending,
    Delivered,
    /// Every attempt failed.
    Failed,
    /// No webhook was configured.
    None,
}

impl Delivery {
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Pending => "pending",
            Delivery::Delivered => "delivered",
            Delivery::Failed => "failed",
            Delivery::None => "none",
        }
    }

    pub fn parse(s: &str) -> Delivery {
        match s {
            "pending" => Delivery::Pending,
            "delivered" => Delivery::Delivered,
            "failed" => Delivery::Failed,
            _ => Delivery::None,
        }
    }
}

/// An alert as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub id: i64,
    pub budget_id: String,
    /// The budget's name when the alert fired (the budget may since be gone).
    pub budget_name: String,
    /// The split value (user, task, …); `None` for an unsplit budget.
    pub split_value: Option<String>,
    pub kind: AlertKind,
    /// The threshold in percent (100 for caps and forecasts).
    pub threshold: u32,
    #[serde(with = "crate::pricing::money::usd_str")]
    pub spent: Nanos,
    #[serde(with = "crate::pricing::money::usd_str")]
    pub limit: Nanos,
    /// For forecasts: the projected spend at the period's end.
    #[serde(with = "crate::pricing::money::opt_usd_str")]
    pub forecast: Option<Nanos>,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub fired_at: DateTime<Utc>,
    pub delivery: Delivery,
    pub webhook: Option<String>,
    pub attempts: u32,
    pub acked_by: Option<String>,
    pub acked_at: Option<DateTime<Utc>>,
    /// For signal and anomaly alerts: what was seen, in one sentence.
    #[serde(default)]
    pub message: Option<String>,
}

impl Alert {
    /// The sample alert **Send test alert** posts, so that people can check a
    /// webhook when they save it: an 80% threshold of a $100 budget.
    pub fn sample(now: DateTime<Utc>, budget_name: &str) -> Alert {
        Alert {
            id: 0,
            budget_id: "test".into(),
            budget_name: budget_name.into(),
            split_value: None,
            kind: AlertKind::Threshold,
            threshold: 80,
            spent: Nanos(80_000_000_000),
            limit: Nanos(100_000_000_000),
            forecast: None,
            period_start: now,
            period_end: now,
            fired_at: now,
            delivery: Delivery::Pending,
            webhook: None,
            attempts: 0,
            acked_by: None,
            acked_at: None,
            message: Some("A test alert from Bursar: this webhook receives alerts.".into()),
        }
    }

    /// The alert for a reader who is not an admin: its webhook's secret hidden.
    pub fn for_reader(mut self) -> Alert {
        self.webhook = self.webhook.as_deref().map(crate::budgets::webhook_target::redact_webhook);
        self
    }

    /// One sentence, e.g. "Platform crossed 80%: $4,012.00 of $5,000.00".
    pub fn headline(&self) -> String {
        let who = match &self.split_value {
            Some(v) => format!("{} ({v})", self.budget_name),
            None => self.budget_name.clone(),
        };
        let (spent, limit) = (usd_display(self.spent), usd_display(self.limit));
        if let (true, Some(m)) = (self.kind.from_rule(), &self.message) {
            return format!("{}: {m}", self.budget_name);
        }
        match self.kind {
            AlertKind::Threshold => format!("{who} crossed {}%: {spent} of {limit}", self.threshold),
            AlertKind::Cap => format!("{who} reached its hard cap: {spent} of {limit}; new calls are refused"),
            AlertKind::Forecast => format!(
                "{who} is forecast to spend {} by the period's end, over its {limit} (spent so far {spent})",
                usd_display(self.forecast.unwrap_or(self.spent))
            ),
            AlertKind::Signal | AlertKind::Anomaly => format!("{who}: a signal rule fired"),
        }
    }
}

/// Which alerts to list, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertQuery {
    /// `Some(false)`: open only; `Some(true)`: acknowledged only.
    pub acked: Option<bool>,
    pub budget_id: Option<String>,
    pub kind: Option<AlertKind>,
    pub limit: i64,
}

impl AlertQuery {
    /// Reads `status=open|acked|all`, `budget=<id>` (a budget's or a signal rule's), `kind=threshold|forecast|cap|signal|anomaly`, `limit` (1-1000, default 100).
    pub fn from_params(params: &[(String, String)]) -> Result<AlertQuery, crate::FieldError> {
        let err = |f: &str, r: String| crate::FieldError { field: f.into(), reason: r };
        let get =
            |k: &str| params.iter().rev().find(|(pk, _)| pk == k).map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
        let acked = match get("status") {
            None | Some("all") => None,
            Some("open") => Some(false),
            Some("acked") => Some(true),
            Some(other) => return Err(err("status", format!("must be open, acked or all (got {other:?})"))),
        };
        let kind = get("kind").map(AlertKind::parse).transpose().map_err(|r| err("kind", r))?;
        let limit = match get("limit") {
            None => 100,
            Some(v) => match v.parse::<i64>() {
                Ok(n) if (1..=1000).contains(&n) => n,
                _ => return Err(err("limit", format!("must be a whole number from 1 to 1000 (got {v:?})"))),
            },
        };
        Ok(AlertQuery { acked, budget_id: get("budget").map(String::from), kind, limit })
    }
}

/// An attempt to deliver an alert to its webhook.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub attempt: u32,
    pub at: DateTime<Utc>,
    /// The HTTP status, when the receiver answered.
    pub status: Option<u16>,
    /// What went wrong, when it did.
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// A spend level, in nano-dollars, of `percent` of `limit` (rounded up, so
/// that crossing means reaching the exact amount or more).
pub fn level(limit: Nanos, percent: u32) -> i64 {
    let v = (limit.0 as i128 * percent as i128 + 99) / 100;
    v.min(i64::MAX as i128) as i64
}

/// What a change in spend from `before` to `after` fires: the thresholds
/// crossed, and whether a hard cap was reached. On a hard-capped budget the
/// cap alert stands in for a 100% threshold.
pub fn crossings(limit: Nanos, thresholds: &[u32], hard_cap: bool, before: i64, after: i64) -> Vec<(AlertKind, u32)> {
    let crossed = |p: u32| before < level(limit, p) && after >= level(limit, p);
    let mut out: Vec<(AlertKind, u32)> = thresholds
        .iter()
        .filter(|&&t| !(hard_cap && t == 100))
        .filter(|&&t| crossed(t))
        .map(|&t| (AlertKind::Threshold, t))
        .collect();
    if hard_cap && crossed(100) {
        out.push((AlertKind::Cap, 100));
    }
    out
}

/// Spend projected to a period's end from the run rate so far, once at
/// least a tenth of the period has passed (earlier guesses are noise).
pub fn forecast(spent: Nanos, start: DateTime<Utc>, end: DateTime<Utc>, now: DateTime<Utc>) -> Option<Nanos> {
    let total = (end - start).num_seconds();
    let elapsed = (now - start).num_seconds();
    if total <= 0 || elapsed <= 0 || elapsed * 10 < total || now >= end {
        return None;
    }
    let projected = spent.0 as i128 * total as i128 / elapsed as i128;
    Some(Nanos(projected.min(i64::MAX as i128) as i64))
}

/// How long to wait before delivery attempt `n + 1` after `n` failures:
/// 10 s, 20 s, 40 s, … capped at an hour.
pub fn backoff(failures: u32) -> chrono::Duration {
    let secs = 10i64.saturating_mul(1i64 << failures.saturating_sub(1).min(12));
    chrono::Duration::seconds(secs.min(3600))
}

/// Attempts before a delivery is given up as failed.
pub const MAX_ATTEMPTS: u32 = 8;

/// Text escaped for Slack's `text` and `mrkdwn` fields: `&`, `<` and `>`
/// become `&amp;`, `&lt;` and `&gt;`, the only three Slack decodes
/// (<https://api.slack.com/reference/surfaces/formatting#escaping>). Tag
/// values and names come from whoever holds an ingest key or edits a budget;
/// unescaped, `<!channel>` would notify a whole channel and
/// `<https://evil.example|Alert history>` would forge a link.
pub fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The webhook body: `text` and `blocks` that a Slack incoming webhook
/// accepts as-is ([`slack_escape`]d), and the whole alert beside them, as
/// data, for other receivers.
pub fn webhook_body(alert: &Alert, link: Option<&str>) -> Value {
    let headline = slack_escape(&alert.headline());
    let text = format!("Bursar: {headline}");
    let period = format!(
        "Period {} to {}",
        alert.period_start.format("%Y-%m-%d %H:%M UTC"),
        alert.period_end.format("%Y-%m-%d %H:%M UTC")
    );
    json!({
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": format!("*{}*\n{headline}", alert.kind.label())}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": match link {
                Some(link) => format!("{period} · <{}|Alert history>", slack_escape(link)),
                None => period,
            }}]}
        ],
        "alert": alert,
    })
}

#[cfg(test)]
mod tests;
