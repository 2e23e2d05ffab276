//! Signal alert rules: "alert when bug-triage's escalation rate is above 30%
//! over 7 days", "alert when p95 loops per task rise 50% week over week",
//! "alert on spend anomalies of every workflow". A rule is judged once per
//! day for each scope value it covers, and fires when its condition starts to
//! hold (it held on the day and not on the day before), so a lasting breach
//! alerts once, not daily.

use crate::pricing::money::{usd_display, Nanos};
use crate::signals::anomaly::{self, AnomalyParams};
use crate::signals::drift::change_pct;
use crate::signals::signal::{show, Daily, Signal};
use crate::FieldError;
use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Days back a rule is judged (from the later of this and the day before it was made).
pub const LOOKBACK_DAYS: i64 = 35;

/// When a rule fires.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Condition {
    /// The signal over the last `window_days` is above `threshold`.
    Above {
        signal: Signal,
        #[serde(with = "rust_decimal::serde::str")]
        threshold: Decimal,
        window_days: u32,
    },
    /// The signal over the last `window_days` is below `threshold`.
    Below {
        signal: Signal,
        #[serde(with = "rust_decimal::serde::str")]
        threshold: Decimal,
        window_days: u32,
    },
    /// The signal rose by at least `percent` against the window before (a rate also by 5 points).
    Rise {
        signal: Signal,
        #[serde(with = "rust_decimal::serde::str")]
        percent: Decimal,
        window_days: u32,
    },
    /// The signal fell by at least `percent` against the window before (a rate also by 5 points).
    Fall {
        signal: Signal,
        #[serde(with = "rust_decimal::serde::str")]
        percent: Decimal,
        window_days: u32,
    },
    /// The day's spend is anomalous (see [`crate::signals::anomaly`]).
    Anomaly(AnomalyParams),
    /// A provider's coverage of its bill (attributed ÷ billed) over the last
    /// `window_days` is below `percent`: uninstrumented spend is growing.
    /// Scoped by `provider`; judged from imported bills (`crate::invoice::watch`).
    CoverageBelow {
        #[serde(with = "rust_decimal::serde::str")]
        percent: Decimal,
        window_days: u32,
    },
    /// A provider's gap (billed − attributed) over the last `window_days` is
    /// above `amount` (USD). Scoped by `provider`; judged from imported bills.
    GapAbove {
        #[serde(with = "crate::pricing::money::usd_str")]
        amount: Nanos,
        window_days: u32,
    },
}

impl Condition {
    /// The days the condition reads, ending on the judged day.
    pub fn window_days(&self) -> u32 {
        match self {
            Condition::Above { window_days, .. }
            | Condition::Below { window_days, .. }
            | Condition::Rise { window_days, .. }
            | Condition::Fall { window_days, .. }
            | Condition::CoverageBelow { window_days, .. }
            | Condition::GapAbove { window_days, .. } => *window_days,
            Condition::Anomaly(_) => 1,
        }
    }

    /// What the rule watches, in words: "cache hit rate falls 30% over 7 days against the 7 before".
    pub fn describe(&self) -> String {
        let days = |n: u32| if n == 1 { "1 day".to_string() } else { format!("{n} days") };
        match self {
            Condition::Above { signal, threshold, window_days } => {
                format!("{} above {} over {}", signal.label(), show(signal.unit(), *threshold), days(*window_days))
            }
            Condition::Below { signal, threshold, window_days } => {
                format!("{} below {} over {}", signal.label(), show(signal.unit(), *threshold), days(*window_days))
            }
            Condition::Rise { signal, percent, window_days } => format!(
                "{} rises {}% over {} against the {} before",
                signal.label(),
                percent.normalize(),
                days(*window_days),
                days(*window_days)
            ),
            Condition::Fall { signal, percent, window_days } => format!(
                "{} falls {}% over {} against the {} before",
                signal.label(),
                percent.normalize(),
                days(*window_days),
                days(*window_days)
            ),
            Condition::Anomaly(p) => format!(
                "daily spend more than {} robust deviations above its 28-day median, and at least {} above it",
                p.sensitivity.normalize(),
                usd_display(p.min_amount)
            ),
            Condition::CoverageBelow { percent, window_days } => {
                format!("bill coverage below {}% over {}", percent.normalize(), days(*window_days))
            }
            Condition::GapAbove { amount, window_days } => {
                format!("bill gap above {} over {}", usd_display(*amount), days(*window_days))
            }
        }
    }

    /// Whether the condition is judged from imported bills (scoped by provider).
    pub fn reads_bills(&self) -> bool {
        matches!(self, Condition::CoverageBelow { .. } | Condition::GapAbove { .. })
    }

    /// The alert kind it fires: `anomaly` or `signal`.
    pub fn kind(&self) -> crate::budgets::alert::AlertKind {
        match self {
            Condition::Anomaly(_) => crate::budgets::alert::AlertKind::Anomaly,
            _ => crate::budgets::alert::AlertKind::Signal,
        }
    }
}

/// A rule as an admin or lead writes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSpec {
    pub name: String,
    /// The tag key the rule scopes by (e.g. `workflow`).
    pub key: String,
    /// One value of the key, or `None` for every value.
    #[serde(default)]
    pub value: Option<String>,
    pub condition: Condition,
    /// Least calls in a window for a ratio to be judged.
    #[serde(default = "default_min_calls")]
    pub min_calls: i64,
    #[serde(default)]
    pub webhook: Option<String>,
}

fn default_min_calls() -> i64 {
    20
}

impl RuleSpec {
    /// Checks a rule, naming each bad field.
    pub fn validate(mut self) -> Result<RuleSpec, Vec<FieldError>> {
        let mut errs = Vec::new();
        let mut err = |field: &str, reason: String| errs.push(FieldError { field: field.into(), reason });
        self.name = self.name.trim().to_string();
        if self.name.is_empty() || self.name.chars().count() > 120 {
            err("name", "is required (at most 120 characters)".into());
        }
        match crate::attribution::tags::TagKey::parse(self.key.trim()) {
            Ok(k) => self.key = k.as_str().to_string(),
            Err(r) => err("key", r),
        }
        self.value = self.value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        if let Some(v) = &self.value {
            if let Err(r) = crate::attribution::tags::check_value(v) {
                err("value", r);
            }
        }
        let window_ok = |w: u32| (1..=28).contains(&w);
        match &self.condition {
            Condition::Above { threshold, window_days, .. } | Condition::Below { threshold, window_days, .. } => {
                if *threshold < Decimal::ZERO {
                    err("condition.threshold", "must not be negative".into());
                }
                if !window_ok(*window_days) {
                    err("condition.window_days", "must be from 1 to 28 days".into());
                }
            }
            Condition::Rise { percent, window_days, .. } | Condition::Fall { percent, window_days, .. } => {
                if *percent <= Decimal::ZERO || *percent > Decimal::from(10_000) {
                    err("condition.percent", "must be above 0 and at most 10000".into());
                }
                if !window_ok(*window_days) {
                    err("condition.window_days", "must be from 1 to 28 days".into());
                }
            }
            Condition::CoverageBelow { percent, window_days } => {
                if *percent <= Decimal::ZERO || *percent > Decimal::from(1_000) {
                    err("condition.percent", "must be above 0 and at most 1000".into());
                }
                if !window_ok(*window_days) {
                    err("condition.window_days", "must be from 1 to 28 days".into());
                }
            }
            Condition::GapAbove { amount, window_days } => {
                if amount.0 < 0 {
                    err("condition.amount", "must not be negative".into());
                }
                if !window_ok(*window_days) {
                    err("condition.window_days", "must be from 1 to 28 days".into());
                }
            }
            Condition::Anomaly(p) => {
                if p.sensitivity <= Decimal::ZERO || p.sensitivity > Decimal::from(20) {
                    err("condition.sensitivity", "must be above 0 and at most 20".into());
                }
                if p.min_amount.0 < 0 {
                    err("condition.min_amount", "must not be negative".into());
                }
            }
        }
        if self.condition.reads_bills() && self.key != "provider" {
            err("key", "a bill coverage or gap rule is scoped by provider: set the key to provider".into());
        }
        if !(0..=1_000_000).contains(&self.min_calls) {
            err("min_calls", "must be from 0 to 1,000,000".into());
        }
        self.webhook = self.webhook.map(|w| w.trim().to_string()).filter(|w| !w.is_empty());
        if let Some(w) = &self.webhook {
            if let Err(r) = crate::budgets::webhook_target::check_webhook(w) {
                err("webhook", r);
            }
        }
        if errs.is_empty() {
            Ok(self)
        } else {
            Err(errs)
        }
    }

    /// "bug-triage" or "every workflow".
    pub fn scope_text(&self) -> String {
        match &self.value {
            Some(v) => format!("{}={v}", self.key),
            None => format!("every {}", self.key),
        }
    }
}

/// A rule firing for one scope value on one day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Firing {
    pub value: String,
    /// The window judged: `from..=to`.
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// For anomalies: the day's spend and the level it passed.
    pub spend: Nanos,
    pub limit: Nanos,
    pub message: String,
}

/// Whether the condition holds for `value` on `day`, and the sentence saying so.
fn holds(spec: &RuleSpec, daily: &Daily, value: &Option<String>, day: NaiveDate) -> Option<(String, Nanos, Nanos)> {
    let name = value.as_deref().unwrap_or("(no value)");
    let w = i64::from(spec.condition.window_days());
    let from = day - Duration::days(w - 1);
    let this = daily.window(value, from, day);
    let enough = |calls: i64| calls >= spec.min_calls.max(1);
    match &spec.condition {
        // Judged from bills, by `crate::invoice::watch`.
        Condition::CoverageBelow { .. } | Condition::GapAbove { .. } => None,
        Condition::Above { signal, threshold, .. } | Condition::Below { signal, threshold, .. } => {
            if !enough(this.calls) {
                return None;
            }
            let v = signal.value(&this)?;
            let above = matches!(spec.condition, Condition::Above { .. });
            let hit = if above { v > *threshold } else { v < *threshold };
            hit.then(|| {
                let over = if w == 1 { format!("on {day}") } else { format!("over the {w} days to {day}") };
                let (u, word) = (signal.unit(), if above { "above" } else { "below" });
                (
                    format!("{name}: {} was {} {over}, {word} {}", signal.label(), show(u, v), show(u, *threshold)),
                    Nanos::ZERO,
                    Nanos::ZERO,
                )
            })
        }
        Condition::Rise { signal, percent, .. } | Condition::Fall { signal, percent, .. } => {
            let prev = daily.window(value, from - Duration::days(w), day - Duration::days(w));
            if !enough(this.calls) || !enough(prev.calls) {
                return None;
            }
            let (before, after) = (signal.value(&prev)?, signal.value(&this)?);
            let change = change_pct(before, after)?;
            let rise = matches!(spec.condition, Condition::Rise { .. });
            // A rate must also move 5 points: 2% → 1% is a halving, and not news.
            let points =
                signal.unit() != crate::signals::signal::Unit::Percent || (after - before).abs() >= Decimal::from(5);
            let hit = points && if rise { change >= *percent } else { -change >= *percent };
            hit.then(|| {
                let u = signal.unit();
                (
                    format!(
                        "{name}: {} {} {} → {} ({:+}%) {}",
                        signal.label(),
                        if rise { "rose" } else { "fell" },
                        show(u, before),
                        show(u, after),
                        change.normalize(),
                        if w == 1 {
                            format!("on {day} against the day before")
                        } else {
                            format!("in the {w} days to {day} against the {w} before")
                        }
                    ),
                    Nanos::ZERO,
                    Nanos::ZERO,
                )
            })
        }
        Condition::Anomaly(p) => {
            // History starts at the value's first day with calls: a new workflow has no usual day yet.
            let hist_from = (day - Duration::days(anomaly::BASELINE_DAYS as i64)).max(daily.first_day(value)?);
            let series = daily.spend_series(value, hist_from, day);
            // Empty when the day is before the value's first call.
            let ((_, spend), history) = series.split_last()?;
            let history: Vec<Nanos> = history.iter().map(|(_, s)| *s).collect();
            let a = anomaly::judge(&history, day, *spend, p)?;
            Some((
                format!(
                    "{name}: spend of {} on {day} is {} its usual day (median {}; anomalous above {})",
                    usd_display(a.spend),
                    a.ratio(),
                    usd_display(a.median),
                    usd_display(a.threshold)
                ),
                a.spend,
                a.threshold,
            ))
        }
    }
}

/// What a rule fires on `day`: each covered value where the condition holds
/// on `day` and did not on the day before.
pub fn evaluate(spec: &RuleSpec, daily: &Daily, day: NaiveDate) -> Vec<Firing> {
    let values: Vec<Option<String>> = match &spec.value {
        Some(v) => vec![Some(v.clone())],
        None => daily.by_value.keys().filter(|k| k.is_some()).cloned().collect(),
    };
    let w = i64::from(spec.condition.window_days());
    values
        .into_iter()
        .filter_map(|value| {
            let (message, spend, limit) = holds(spec, daily, &value, day)?;
            if holds(spec, daily, &value, day - Duration::days(1)).is_some() {
                return None;
            }
            Some(Firing {
                value: value.unwrap_or_default(),
                from: day - Duration::days(w - 1),
                to: day,
                spend,
                limit,
                message,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
