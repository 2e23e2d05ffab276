//! Signal rules on bills: "openai's coverage is below 90% over 7 days",
//! "anthropic's gap is above $500 over 7 days". Uninstrumented spend
//! growing is exactly the early warning Bursar exists for. A rule is scoped
//! by `provider` and, like every signal rule, fires when its condition
//! starts to hold (on the day, not the day before).
//!
//! A window's coverage is its attributed ÷ billed over the provider-days of
//! the window the bill covers (USD lines); a window without bill lines is
//! not judged.

use super::reconcile::Ledger;
use crate::pricing::money::{usd_display, Nanos};
use crate::signals::signal_rule::{Condition, Firing, RuleSpec};
use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Billed and attributed per provider and day (USD lines) from a ledger grouped by provider and day.
pub fn daily(by_day: &Ledger) -> BTreeMap<String, BTreeMap<NaiveDate, (Nanos, Nanos)>> {
    let mut out: BTreeMap<String, BTreeMap<NaiveDate, (Nanos, Nanos)>> = BTreeMap::new();
    for (k, s) in by_day.groups.iter().filter(|(k, _)| k.currency == "USD") {
        if let Some(day) = k.day {
            let e = out.entry(k.provider.clone()).or_default().entry(day).or_default();
            e.0 += s.billed;
            e.1 += s.attributed;
        }
    }
    out
}

fn holds(
    spec: &RuleSpec,
    days: &BTreeMap<NaiveDate, (Nanos, Nanos)>,
    provider: &str,
    day: NaiveDate,
) -> Option<(String, Nanos, Nanos)> {
    let w = i64::from(spec.condition.window_days());
    let from = day - Duration::days(w - 1);
    let (mut billed, mut attributed) = (Nanos::ZERO, Nanos::ZERO);
    for (_, (b, a)) in days.range(from..=day) {
        billed += *b;
        attributed += *a;
    }
    if billed.0 == 0 {
        return None;
    }
    let over = if w == 1 { format!("on {day}") } else { format!("over the {w} days to {day}") };
    let gap = Nanos(billed.0 - attributed.0);
    match &spec.condition {
        Condition::CoverageBelow { percent, .. } => {
            let cov = Decimal::from(attributed.0) / Decimal::from(billed.0) * Decimal::from(100);
            (cov < *percent).then(|| {
                let text = format!(
                    "{provider}: the calls explain {}% of the bill {over} ({} of {}), below {}%; {} is unexplained",
                    cov.round_dp(1),
                    usd_display(attributed),
                    usd_display(billed),
                    percent.normalize(),
                    usd_display(gap)
                );
                (text, gap, Nanos::ZERO)
            })
        }
        Condition::GapAbove { amount, .. } => (gap > *amount).then(|| {
            let text = format!(
                "{provider}: the bill exceeds the recorded calls by {} {over} ({} billed, {} attributed), above {}",
                usd_display(gap),
                usd_display(billed),
                usd_display(attributed),
                usd_display(*amount)
            );
            (text, gap, *amount)
        }),
        _ => None,
    }
}

/// What a bill rule fires on `day`: each covered provider where the
/// condition holds on `day` and did not the day before, or, on the rule's
/// `first` day, where it holds at all (bills arrive days late, so a breach
/// already under way when the rule is made is still news).
pub fn evaluate(
    spec: &RuleSpec,
    daily: &BTreeMap<String, BTreeMap<NaiveDate, (Nanos, Nanos)>>,
    day: NaiveDate,
    first: bool,
) -> Vec<Firing> {
    let w = i64::from(spec.condition.window_days());
    daily
        .iter()
        .filter(|(p, _)| spec.value.as_ref().is_none_or(|v| v == *p))
        .filter_map(|(provider, days)| {
            let (message, spend, limit) = holds(spec, days, provider, day)?;
            if !first && holds(spec, days, provider, day - Duration::days(1)).is_some() {
                return None;
            }
            Some(Firing { value: provider.clone(), from: day - Duration::days(w - 1), to: day, spend, limit, message })
        })
        .collect()
}
