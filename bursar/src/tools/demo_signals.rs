//! The demo organisation's early-warning setup: the models it counts as
//! premium, the signal alert rules its leads wrote a month ago, and the
//! scenario the platform team modelled before shipping bug-triage. Judging
//! the rules over the demo's traffic puts the runaway loop, the escalation
//! creep and the cache regression in the alert history unprompted.

use chrono::{DateTime, Utc};
use domain::costmodel::{Loops, Scenario};
use domain::signals::anomaly::AnomalyParams;
use domain::signals::signal::{ModelTier, Signal};
use domain::signals::signal_rule::{Condition, RuleSpec};
use domain::Nanos;
use rust_decimal::Decimal;
use server::AppState;

fn rule(name: &str, key: &str, value: Option<&str>, condition: Condition) -> RuleSpec {
    RuleSpec {
        name: name.into(),
        key: key.into(),
        value: value.map(String::from),
        condition,
        min_calls: 20,
        webhook: None,
    }
}

/// The rules, in the order the demo writes them.
fn rules() -> Vec<RuleSpec> {
    let usd = |n: i64| Nanos(n * 1_000_000_000);
    vec![
        rule(
            "Workflow spend anomaly",
            "workflow",
            None,
            Condition::Anomaly(AnomalyParams { sensitivity: Decimal::from(4), min_amount: usd(25) }),
        ),
        rule(
            "Team spend anomaly",
            "team",
            None,
            Condition::Anomaly(AnomalyParams { sensitivity: Decimal::from(4), min_amount: usd(50) }),
        ),
        rule(
            "Runaway task",
            "workflow",
            None,
            Condition::Above { signal: Signal::LoopsMax, threshold: Decimal::from(200), window_days: 1 },
        ),
        rule(
            "Bug-triage escalation",
            "workflow",
            Some("bug-triage"),
            Condition::Above { signal: Signal::EscalationCalls, threshold: Decimal::from(20), window_days: 7 },
        ),
        rule(
            "Cache regression",
            "workflow",
            None,
            Condition::Fall { signal: Signal::CacheHit, percent: Decimal::from(30), window_days: 7 },
        ),
        rule(
            "Bug-triage loops p95 climbing",
            "workflow",
            Some("bug-triage"),
            Condition::Rise { signal: Signal::LoopsP95, percent: Decimal::from(50), window_days: 7 },
        ),
    ]
}

/// The plan bug-triage shipped with: what the team expected it to do.
pub fn bug_triage_plan() -> Scenario {
    Scenario {
        tasks_per_day: Decimal::from(30),
        growth_per_month: Decimal::from(15),
        loops: Loops { mean: Decimal::from(9), p95: Decimal::from(25), distribution: vec![] },
        system_tokens: 14_000,
        turn_tokens: 3_000,
        carry_tokens: 9_000,
        window_turns: None,
        output_tokens: 900,
        routine_model: "claude-sonnet-4-5".into(),
        escalation_model: "claude-opus-4-1".into(),
        escalation_rate: Decimal::from(8),
        cache_hit_rate: Decimal::from(70),
        retry_rate: Decimal::from(2),
        prune_to_turns: 5,
    }
}

/// Sets the demo's tiers, rules and scenario once (a second load adds
/// nothing), then judges the rules. Returns (rules written, alerts fired).
pub async fn setup(state: &AppState, rules_made: DateTime<Utc>) -> anyhow::Result<(usize, usize)> {
    let signals = &state.signals;
    let mut written = 0;
    if signals.rules().await?.is_empty() {
        for model in ["o3", "gpt-5"] {
            signals.set_tier("demo", model, Some(ModelTier::Premium)).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        for spec in rules() {
            signals.save_rule("demo", None, spec, Some(rules_made)).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            written += 1;
        }
    }
    if signals.scenarios().await?.is_empty() {
        signals
            .save_scenario("demo", None, "Bug triage agent (launch plan)", Some("bug-triage"), bug_triage_plan())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let fired = signals.evaluate(Utc::now()).await?;
    Ok((written, fired))
}
