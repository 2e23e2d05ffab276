//! What explains a gap between a bill and the recorded calls, read off a
//! ledger grouped by provider and model (over the whole range, USD lines).
//!
//! Each finding names an amount of the gap (billed − attributed):
//! - **uninstrumented**: a model billed with no recorded call on the
//!   provider-days the bill covers (a batch job nobody instrumented);
//! - **missing_token_class**: a class the bill charges for a model whose
//!   calls never report tokens of that class (an instrumentation dropping
//!   cache writes, say);
//! - **price_difference**: every class billed for the provider's models
//!   stands in one ratio to its tokens at list price, within half a percent
//!   (plus five cents a class, for rounding), and that ratio is not 1: a
//!   negotiated discount or markup, or a stale catalog price;
//! - **unmatched**: lines no model could be read from (add a mapping rule).
//!
//! What the findings do not explain is reported as the unexplained rest.

use super::bill::TokenClass;
use super::reconcile::Ledger;
use super::report::{money, Finding};
use crate::pricing::money::Nanos;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Relative tolerance of a uniform price ratio.
const TOLERANCE: Decimal = Decimal::from_parts(5, 0, 0, false, 3);

/// The findings of a ledger grouped by provider and model.
pub fn findings(by_model: &Ledger) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut providers: BTreeMap<&str, Vec<(Option<&String>, &super::reconcile::Sums)>> = BTreeMap::new();
    for (k, s) in by_model.groups.iter().filter(|(k, _)| k.currency == "USD") {
        providers.entry(k.provider.as_str()).or_default().push((k.model.as_ref().filter(|m| !m.is_empty()), s));
    }
    for (provider, models) in providers {
        let mut pairs: Vec<(Nanos, Nanos)> = Vec::new();
        for (model, s) in &models {
            let Some(model) = model else {
                if s.unmatched.0 != 0 {
                    out.push(finding("unmatched", provider, None, None, s.unmatched, format!(
                        "{} billed by {provider} on lines no model could be read from: add a mapping rule on the Prices page",
                        money(s.unmatched)
                    )));
                }
                continue;
            };
            if s.billed.0 > 0 && s.attributed.0 == 0 {
                out.push(finding("uninstrumented", provider, Some(model), None, s.billed, format!(
                    "{} billed for {model} with no recorded call: usage nobody instrumented (a batch job, a script, another key)",
                    money(s.billed)
                )));
                continue;
            }
            for (class, c) in &s.classes {
                if c.billed.0 > 0 && c.tokens == 0 && s.attributed.0 > 0 {
                    out.push(finding("missing_token_class", provider, Some(model), Some(*class), c.billed, format!(
                        "{} billed for {model} {} tokens, but its calls report none: the instrumentation drops that token class",
                        money(c.billed),
                        class.as_str().replace('_', " ")
                    )));
                } else if c.billed.0 > 0 && c.tokens_at_list.0 > 0 {
                    pairs.push((c.billed, c.tokens_at_list));
                }
            }
        }
        if let Some(f) = uniform_ratio(provider, &pairs) {
            out.push(f);
        }
    }
    out
}

fn uniform_ratio(provider: &str, pairs: &[(Nanos, Nanos)]) -> Option<Finding> {
    let billed: i64 = pairs.iter().map(|p| p.0 .0).sum();
    let list: i64 = pairs.iter().map(|p| p.1 .0).sum();
    if pairs.len() < 2 || list == 0 {
        return None;
    }
    let ratio = Decimal::from(billed) / Decimal::from(list);
    let slack = |a: i64| Decimal::from(a) * TOLERANCE + Decimal::from(50_000_000);
    let uniform = pairs.iter().all(|(b, l)| (Decimal::from(b.0) - ratio * Decimal::from(l.0)).abs() <= slack(l.0));
    if !uniform || (ratio - Decimal::ONE).abs() <= TOLERANCE {
        return None;
    }
    let pct = (ratio * Decimal::from(100)).round_dp(2);
    let amount = Nanos(billed - list);
    let what = if ratio < Decimal::ONE { "a negotiated discount" } else { "a markup" };
    Some(finding("price_difference", provider, None, None, amount, format!(
        "{provider} billed {pct}% of list price on every class of every model ({} in all): {what}, or a stale catalog price",
        money(amount)
    )))
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
