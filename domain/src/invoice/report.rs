//! The reconcile answer: a [`Ledger`] formatted for the API and the page,
//! with the findings that explain its gap.
//!
//! Amounts are decimal strings in the group's currency, exact to the
//! nano-unit (`crate::pricing::money::usd_string`); coverage is a fraction
//! with 6 places.

use super::reconcile::{GroupKey, Ledger, ReconcileQuery, Sums};
use crate::pricing::money::{opt_usd_str, usd_str, Nanos};
use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Price drift of the lines that count tokens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    /// What those lines billed.
    #[serde(with = "usd_str")]
    pub billed: Nanos,
    /// Their tokens × the catalog's list rate on their day.
    #[serde(with = "usd_str")]
    pub at_list: Nanos,
    /// billed − at_list.
    #[serde(with = "usd_str")]
    pub drift: Nanos,
    pub lines: i64,
}

/// One token class of a model's group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassRow {
    pub class: String,
    #[serde(with = "usd_str")]
    pub billed: Nanos,
    pub tokens: i64,
    /// The recorded cost's share for this class (`super::reconcile::ClassSums::attributed`).
    #[serde(with = "usd_str")]
    pub attributed: Nanos,
}

/// One group (or a currency's total): billed against attributed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub provider: Option<String>,
    pub model: Option<String>,
    pub day: Option<NaiveDate>,
    pub currency: String,
    #[serde(with = "usd_str")]
    pub billed: Nanos,
    #[serde(with = "usd_str")]
    pub attributed: Nanos,
    /// billed − attributed.
    #[serde(with = "usd_str")]
    pub gap: Nanos,
    /// attributed ÷ billed, 6 places; `None` when nothing was billed.
    pub coverage: Option<String>,
    pub calls: i64,
    /// Billed by lines whose model is unknown or could not be read.
    #[serde(with = "usd_str")]
    pub unmatched: Nanos,
    pub price_drift: Option<Drift>,
    /// Per token class, when grouped by model.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub classes: Vec<ClassRow>,
}

/// A bill line reconcile could not tie to a model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unmatched {
    pub source: String,
    pub provider: String,
    pub description: String,
    #[serde(with = "usd_str")]
    pub billed: Nanos,
    pub reason: String,
}

/// One explanation of part of a gap (see `super::findings`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// `uninstrumented`, `unpriced`, `price_difference`, `missing_token_class`,
    /// `under_reported_token_class` or `unmatched` (see `super::findings`).
    pub kind: String,
    pub provider: String,
    pub model: Option<String>,
    pub token_class: Option<String>,
    /// The part of the gap it explains (billed − attributed), in USD.
    #[serde(with = "usd_str")]
    pub amount: Nanos,
    pub text: String,
}

/// The answer of `GET /api/v1/reconcile`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reconciliation {
    pub from: NaiveDate,
    /// The last day, inclusive.
    pub to: NaiveDate,
    pub group_by: Vec<String>,
    /// One per currency the bills are in.
    pub totals: Vec<Row>,
    pub groups: Vec<Row>,
    /// Recorded spend on provider-days no imported bill covers (USD).
    #[serde(with = "usd_str")]
    pub unbilled: Nanos,
    pub unmatched: Vec<Unmatched>,
    pub findings: Vec<Finding>,
    /// The USD gap the findings leave unexplained; `None` without USD bills.
    #[serde(with = "opt_usd_str")]
    pub unexplained: Option<Nanos>,
}

/// attributed ÷ billed with 6 places.
pub fn coverage(attributed: Nanos, billed: Nanos) -> Option<String> {
    (billed.0 != 0).then(|| (Decimal::from(attributed.0) / Decimal::from(billed.0)).round_dp(6).to_string())
}

fn row(key: Option<&GroupKey>, currency: &str, s: &Sums) -> Row {
    let mut classes: Vec<ClassRow> = s
        .classes
        .iter()
        .map(|(c, v)| ClassRow {
            class: c.as_str().into(),
            billed: v.billed,
            tokens: v.tokens,
            attributed: v.attributed,
        })
        .collect();
    classes.sort_by_key(|c| c.class.clone());
    Row {
        provider: key.map(|k| k.provider.clone()),
        model: key.and_then(|k| k.model.clone()),
        day: key.and_then(|k| k.day),
        currency: currency.to_string(),
        billed: s.billed,
        attributed: s.attributed,
        gap: Nanos(s.billed.0 - s.attributed.0),
        coverage: coverage(s.attributed, s.billed),
        calls: s.calls,
        unmatched: s.unmatched,
        price_drift: (s.drift_lines > 0).then(|| Drift {
            billed: s.drift_billed,
            at_list: s.drift_at_list,
            drift: Nanos(s.drift_billed.0 - s.drift_at_list.0),
            lines: s.drift_lines,
        }),
        classes,
    }
}

/// Formats a ledger and its findings.
pub fn reconciliation(q: &ReconcileQuery, ledger: &Ledger, findings: Vec<Finding>) -> Reconciliation {
    let mut group_by = vec!["provider".to_string()];
    if q.by_model {
        group_by.push("model".into());
    }
    if q.by_day {
        group_by.push("day".into());
    }
    let usd_gap = ledger.totals.get("USD").map(|s| s.billed.0 - s.attributed.0);
    let explained: i64 = findings.iter().map(|f| f.amount.0).sum();
    Reconciliation {
        from: q.from,
        to: q.to - Duration::days(1),
        group_by,
        totals: ledger.totals.iter().map(|(c, s)| row(None, c, s)).collect(),
        groups: ledger.groups.iter().map(|(k, s)| row(Some(k), &k.currency, s)).collect(),
        unbilled: ledger.unbilled,
        unmatched: ledger
            .unmatched_lines
            .iter()
            .map(|((source, description, provider), (billed, reason))| Unmatched {
                source: source.clone(),
                provider: provider.clone(),
                description: description.clone(),
                billed: *billed,
                reason: reason.clone(),
            })
            .collect(),
        findings,
        unexplained: usd_gap.map(|g| Nanos(g - explained)),
    }
}

/// `$1,234.56`-style text of an amount, for findings' sentences.
pub(crate) fn money(n: Nanos) -> String {
    crate::pricing::money::usd_display(n)
}
