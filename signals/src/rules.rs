//! Signal alert rules: saving them (validated and audited) and judging them
//! each day, firing through the alert history the budgets use.

use crate::{new_id, SigError, Signals};
use chrono::{DateTime, Duration, Utc};
use domain::signals::signal::Signal;
use domain::signals::signal_rule::{evaluate, Condition, RuleSpec};
use store::{save_audited, Change, SignalRuleRecord, StoreError};

pub use domain::signals::signal_rule::LOOKBACK_DAYS;

/// Whether a condition reads per-task sums.
fn needs_tasks(c: &Condition) -> bool {
    let task_signal = |s: &Signal| {
        matches!(
            s,
            Signal::LoopsMean
                | Signal::LoopsP50
                | Signal::LoopsP95
                | Signal::LoopsMax
                | Signal::ContextGrowth
                | Signal::CostPerTask
                | Signal::CostPerTaskP95
        )
    };
    match c {
        Condition::Above { signal, .. }
        | Condition::Below { signal, .. }
        | Condition::Rise { signal, .. }
        | Condition::Fall { signal, .. } => task_signal(signal),
        Condition::Anomaly(_) | Condition::CoverageBelow { .. } | Condition::GapAbove { .. } => false,
    }
}

impl Signals {
    /// Every rule, by name.
    pub async fn rules(&self) -> Result<Vec<SignalRuleRecord>, StoreError> {
        self.signal_store.list_signal_rules().await
    }

    /// Creates a rule (`id` `None`) or replaces one. `created` backdates a new
    /// rule (the demo's rules are a month old); otherwise it is now.
    pub async fn save_rule(
        &self,
        actor: &str,
        id: Option<&str>,
        spec: RuleSpec,
        created: Option<DateTime<Utc>>,
    ) -> Result<SignalRuleRecord, SigError> {
        let spec = spec.validate().map_err(SigError::Invalid)?;
        self.check_webhook(spec.webhook.as_deref())?;
        let now = Utc::now();
        let existing = match id {
            Some(id) => Some(
                self.rules()
                    .await?
                    .into_iter()
                    .find(|r| r.id == id)
                    .ok_or_else(|| SigError::NotFound(format!("no signal rule {id:?}")))?,
            ),
            None => None,
        };
        let record = SignalRuleRecord {
            id: existing.as_ref().map(|r| r.id.clone()).unwrap_or_else(|| new_id("sig")),
            spec,
            created_by: existing.as_ref().map(|r| r.created_by.clone()).unwrap_or_else(|| actor.to_string()),
            created: existing.as_ref().map(|r| r.created).unwrap_or(created.unwrap_or(now)),
            updated: now,
        };
        let action = if existing.is_some() { "signal.update" } else { "signal.create" };
        let (before, after) = (existing.as_ref().and_then(shown), shown(&record));
        let change = Change { actor, action, target: &record.id, before, after };
        save_audited(&*self.audit_store, change, self.signal_store.put_signal_rule(&record)).await?;
        self.forget_reports();
        Ok(record)
    }

    /// Deletes a rule; the alerts it fired stay in the history.
    pub async fn delete_rule(&self, actor: &str, id: &str) -> Result<(), SigError> {
        let before = self.rules().await?.into_iter().find(|r| r.id == id);
        let Some(before) = before else {
            return Err(SigError::NotFound(format!("no signal rule {id:?}")));
        };
        let change = Change { actor, action: "signal.delete", target: id, before: shown(&before), after: None };
        save_audited(&*self.audit_store, change, self.signal_store.delete_signal_rule(id)).await?;
        self.forget_reports();
        Ok(())
    }

    /// Judges every rule for each day from the later of the day before its
    /// creation and [`LOOKBACK_DAYS`] ago through today, and records what fired (an alert
    /// already recorded for the same rule, value and window is not recorded
    /// again, so any number of processes may run this). Returns how many alerts are new.
    pub async fn evaluate(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        // Bill coverage and gap rules are judged by the invoice service.
        let rules: Vec<SignalRuleRecord> =
            self.rules().await?.into_iter().filter(|r| !r.spec.condition.reads_bills()).collect();
        if rules.is_empty() {
            return Ok(0);
        }
        let today = now.date_naive();
        let first = today - Duration::days(LOOKBACK_DAYS);
        // Windows of up to 28 days, compared with the 28 before, or a 28-day anomaly baseline.
        let read_from = first - Duration::days(2 * 28 + 1);
        let mut keys: Vec<(String, bool)> = Vec::new();
        for r in &rules {
            let tasks = needs_tasks(&r.spec.condition);
            match keys.iter_mut().find(|(k, _)| *k == r.spec.key) {
                Some(e) => e.1 |= tasks,
                None => keys.push((r.spec.key.clone(), tasks)),
            }
        }
        let mut fired = 0;
        for (key, tasks) in keys {
            let (daily, _) = self.daily(&key, read_from, today, tasks, None).await?;
            for r in rules.iter().filter(|r| r.spec.key == key) {
                // From the last whole day before the rule was made: a rule made today judges yesterday too.
                let start = first.max(r.created.date_naive() - Duration::days(1));
                for day in domain::signals::signal::dates(start, today) {
                    for f in evaluate(&r.spec, &daily, day) {
                        let alert = r.alert(&f, domain::Nanos::ZERO, now);
                        if self.budget_store.fire_alert(&alert).await?.is_some() {
                            fired += 1;
                        }
                    }
                }
            }
        }
        Ok(fired)
    }
}

/// Reads a rule from its form or API fields, naming the field a value is wrong in.
pub fn parse_condition(
    kind: &str,
    signal: &str,
    amount: &str,
    window_days: &str,
    min_amount: &str,
) -> Result<Condition, SigError> {
    use rust_decimal::Decimal;
    use std::str::FromStr;
    let number = |field: &str, v: &str| {
        Decimal::from_str(v.trim()).map_err(|_| SigError::field(field, format!("must be a number (got {v:?})")))
    };
    let window = || {
        window_days.trim().parse::<u32>().map_err(|_| {
            SigError::field("window_days", format!("must be a whole number of days (got {window_days:?})"))
        })
    };
    let signal = || Signal::parse(signal.trim()).map_err(|r| SigError::field("signal", r));
    Ok(match kind {
        "above" => {
            Condition::Above { signal: signal()?, threshold: number("threshold", amount)?, window_days: window()? }
        }
        "below" => {
            Condition::Below { signal: signal()?, threshold: number("threshold", amount)?, window_days: window()? }
        }
        "rise" => Condition::Rise { signal: signal()?, percent: number("percent", amount)?, window_days: window()? },
        "fall" => Condition::Fall { signal: signal()?, percent: number("percent", amount)?, window_days: window()? },
        "anomaly" => Condition::Anomaly(domain::signals::anomaly::AnomalyParams {
            sensitivity: number("sensitivity", amount)?,
            min_amount: domain::budgets::draft::parse_amount(min_amount)
                .map_err(|r| SigError::field("min_amount", r))?,
        }),
        "coverage_below" => Condition::CoverageBelow { percent: number("percent", amount)?, window_days: window()? },
        "gap_above" => Condition::GapAbove {
            amount: domain::budgets::draft::parse_amount(amount).map_err(|r| SigError::field("amount", r))?,
            window_days: window()?,
        },
        other => {
            return Err(SigError::field(
                "condition",
                format!("must be above, below, rise, fall, anomaly, coverage_below or gap_above (got {other:?})"),
            ))
        }
    })
}

/// A rule as the audit log shows it: its spec, the webhook URL redacted.
fn shown(r: &SignalRuleRecord) -> Option<serde_json::Value> {
    let mut spec = r.spec.clone();
    spec.webhook = spec.webhook.as_deref().map(domain::budgets::webhook_target::redact_webhook);
    serde_json::to_value(spec).ok()
}
