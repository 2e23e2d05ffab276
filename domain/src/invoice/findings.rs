//! What explains a gap between a bill and the recorded calls, read off a
//! ledger grouped by provider and model (over the whole range, USD lines).
//!
//! Each finding names an amount of the gap (billed − attributed), compared
//! class by class (a class's attributed amount is the recorded cost's share,
//! see `super::reconcile::ClassSums`):
//! - **uninstrumented**: a model billed with no recorded call on the
//!   provider-days the bill covers (a batch job nobody instrumented);
//! - **unpriced**: a model billed whose calls are stored without a price;
//! - **missing_token_class**: a class the bill charges for a model whose
//!   calls never report tokens of that class;
//! - **under_reported_token_class**: a class billed at more than 5% above
//!   the provider's typical ratio of billed to attributed (the median over
//!   its models' classes), so its calls report too few tokens of it (an
//!   instrumentation dropping cache writes, say); the amount is what the
//!   typical ratio does not account for;
//! - **price_difference**: the provider's other classes all stand within
//!   half a percent (plus five cents, for rounding) of that typical ratio,
//!   and it is not 1: a negotiated discount or markup, or a stale catalog price;
//! - **unmatched**: lines no model could be read from (add a mapping rule).
//!
//! What the findings do not explain is reported as the unexplained rest.

use super::bill::TokenClass;
use super::reconcile::{Ledger, Sums};
use super::report::{money, Finding};
use crate::pricing::money::Nanos;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Relative tolerance of a uniform price ratio (0.5%).
const TOLERANCE: Decimal = Decimal::from_parts(5, 0, 0, false, 3);
/// How far above the typical ratio a class must bill to be under-reported (5%).
const OUTLIER: Decimal = Decimal::from_parts(5, 0, 0, false, 2);
/// Five cents, in nano-dollars: rounding a class's lines may move it this much.
const SLACK_NANOS: i64 = 50_000_000;

/// One class of one model: billed against attributed.
struct Pair<'a> {
    model: &'a String,
    class: TokenClass,
    billed: Nanos,
    attributed: Nanos,
}

/// The findings of a ledger grouped by provider and model.
pub fn findings(by_model: &Ledger) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut providers: BTreeMap<&str, Vec<(Option<&String>, &Sums)>> = BTreeMap::new();
    for (k, s) in by_model.groups.iter().filter(|(k, _)| k.currency == "USD") {
        providers.entry(k.provider.as_str()).or_default().push((k.model.as_ref().filter(|m| !m.is_empty()), s));
    }
    for (provider, models) in providers {
        let mut pairs: Vec<Pair> = Vec::new();
        for (model, s) in &models {
            let Some(model) = model else {
                if s.unmatched.0 != 0 {
                    let text = format!(
                        "{} billed by {provider} on lines no model could be read from: add a mapping rule on the Prices page",
                        money(s.unmatched)
                    );
                    out.push(finding("unmatched", provider, None, None, s.unmatched, text));
                }
                continue;
            };
            if s.billed.0 > 0 && s.attributed.0 == 0 {
                let (kind, why) = if s.calls > 0 {
                    ("unpriced", "its calls are stored without a price: add one on the Prices page and reprice them")
                } else {
                    (
                        "uninstrumented",
                        "no call was recorded: usage nobody instrumented (a batch job, a script, another key)",
                    )
                };
                out.push(finding(
                    kind,
                    provider,
                    Some(model),
                    None,
                    s.billed,
                    format!("{} billed for {model}, but {why}", money(s.billed)),
                ));
                continue;
            }
            for (class, c) in &s.classes {
                if c.billed.0 > 0 && c.tokens == 0 && s.attributed.0 > 0 {
                    let text = format!(
                        "{} billed for {model} {} tokens, but its calls report none: the instrumentation drops that token class",
                        money(c.billed),
                        words(*class)
                    );
                    out.push(finding("missing_token_class", provider, Some(model), Some(*class), c.billed, text));
                } else if c.billed.0 > 0 && c.attributed.0 > 0 {
                    pairs.push(Pair { model, class: *class, billed: c.billed, attributed: c.attributed });
                }
            }
        }
        out.extend(ratios(provider, &pairs));
    }
    out
}

fn ratio(p: &Pair) -> Decimal {
    Decimal::from(p.billed.0) / Decimal::from(p.attributed.0)
}

/// Under-reported classes, then a uniform price difference over the rest.
fn ratios(provider: &str, pairs: &[Pair]) -> Vec<Finding> {
    let mut out = Vec::new();
    if pairs.len() < 2 {
        return out;
    }
    let mut sorted: Vec<Decimal> = pairs.iter().map(ratio).collect();
    sorted.sort();
    let typical = sorted[(sorted.len() - 1) / 2];
    let expected = |p: &Pair| typical * Decimal::from(p.attributed.0);
    let mut rest = Vec::new();
    for p in pairs {
        let excess = Decimal::from(p.billed.0) - expected(p);
        if excess > expected(p) * OUTLIER + Decimal::from(SLACK_NANOS) {
            let amount = Nanos(i64::try_from(excess.round()).unwrap_or(i64::MAX));
            let text = format!(
                "{} more billed for {} {} tokens than its calls account for ({}× the provider's typical ratio): \
                 the instrumentation under-reports that token class",
                money(amount),
                p.model,
                words(p.class),
                (ratio(p) / typical).round_dp(2)
            );
            out.push(finding("under_reported_token_class", provider, Some(p.model), Some(p.class), amount, text));
        } else {
            rest.push(p);
        }
    }
    let uniform = rest.iter().all(|p| {
        (Decimal::from(p.billed.0) - expected(p)).abs()
            <= Decimal::from(p.attributed.0) * TOLERANCE + Decimal::from(SLACK_NANOS)
    });
    let (billed, attributed): (i64, i64) = rest.iter().fold((0, 0), |(b, a), p| (b + p.billed.0, a + p.attributed.0));
    if rest.len() >= 2 && uniform && (typical - Decimal::ONE).abs() > TOLERANCE {
        let amount = Nanos(billed - attributed);
        let what = if typical < Decimal::ONE { "a negotiated discount" } else { "a markup" };
        let pct = (typical * Decimal::from(100)).round_dp(2);
        let text = format!(
            "{provider} billed {pct}% of the recorded cost on every class of every model ({} in all): {what}, or a stale catalog price",
            money(amount)
        );
        out.push(finding("price_difference", provider, None, None, amount, text));
    }
    out
}

fn words(c: TokenClass) -> String {
    c.as_str().replace('_', " ")
}

fn finding(
    kind: &str,
    provider: &str,
    model: Option<&String>,
    class: Option<TokenClass>,
    amount: Nanos,
    text: String,
) -> Finding {
    Finding {
        kind: kind.into(),
        provider: provider.into(),
        model: model.cloned(),
        token_class: class.map(|c| c.as_str().to_string()),
        amount,
        text,
    }
}
