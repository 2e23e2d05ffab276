//! Reconciling a bill with the spend Bursar attributed: per provider (and
//! model, and day), what the bill says, what the recorded calls cost on the
//! same days, the gap and the coverage, exact.
//!
//! Rules (README, "Reconcile"):
//! - **Billed** sums the bill's lines in the bill's currency, to the nano-unit.
//! - **Attributed** is Bursar's recorded cost, the spend API's own sums, for
//!   the provider-days the bill covers (a day with at least one of the
//!   provider's lines). Spend on days and providers no bill covers is
//!   reported apart, as `unbilled`, so a bill not yet imported never reads
//!   as over-attribution. Recorded cost is in USD, so it meets only USD lines.
//! - **Gap** = billed − attributed; **coverage** = attributed ÷ billed
//!   (6 places; `null` when nothing was billed).
//! - **Price drift**, where lines count tokens: the tokens × the catalog's
//!   list rate for their class on their day, beside what was billed for them.

use super::bill::{BillLine, BillSource, TokenClass};
use super::matching::{model_key, MappingRule};
use crate::attribution::report::Totals;
use crate::attribution::shares::class_shares;
use crate::ingest::event::FieldError;
use crate::pricing::catalog::Rates;
use crate::pricing::money::Nanos;
use crate::pricing::Catalog;
use chrono::{Datelike, Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Longest range one reconcile may cover, in days.
pub const MAX_DAYS: i64 = 400;

/// What reconcile groups by: `provider` always, then `model` and `day` if asked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcileQuery {
    /// First day, UTC.
    pub from: NaiveDate,
    /// Day after the last, UTC.
    pub to: NaiveDate,
    pub by_model: bool,
    pub by_day: bool,
}

impl ReconcileQuery {
    /// Parses `from` and `to` (dates, `to` inclusive; default: the current
    /// UTC month to date) and `group_by` (`provider`, `model`, `day`, comma
    /// separated). Errors name the field.
    pub fn from_params(params: &[(String, String)], today: NaiveDate) -> Result<ReconcileQuery, FieldError> {
        let err = |f: &str, r: String| FieldError { field: f.into(), reason: r };
        let get =
            |k: &str| params.iter().rev().find(|(pk, _)| pk == k).map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
        let date = |f: &str, v: &str| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| err(f, format!("must be a date YYYY-MM-DD (got {v:?})")))
        };
        let last = match get("to") {
            Some(v) => date("to", v)?,
            None => today,
        };
        let from = match get("from") {
            Some(v) => date("from", v)?,
            None => last.with_day0(0).unwrap_or(last),
        };
        if from > last {
            return Err(err("from", "must be on or before to".into()));
        }
        if (last - from).num_days() >= MAX_DAYS {
            return Err(err("from", format!("the range may span at most {MAX_DAYS} days")));
        }
        let (mut by_model, mut by_day) = (false, false);
        for part in get("group_by").unwrap_or("provider").split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match part {
                "provider" => {}
                "model" => by_model = true,
                "day" => by_day = true,
                other => return Err(err("group_by", format!("{other:?} is not provider, model or day"))),
            }
        }
        Ok(ReconcileQuery { from, to: last + Duration::days(1), by_model, by_day })
    }
}

/// One bill line as the store sums it, with its source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BillPart {
    pub source: BillSource,
    pub line: BillLine,
}

/// Recorded spend of one provider, model and UTC day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttributedPart {
    pub day: NaiveDate,
    pub provider: String,
    pub model: String,
    pub totals: Totals,
}

/// Billed and attributed for one token class of a group, when grouped by model.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassSums {
    pub billed: Nanos,
    /// The recorded calls' tokens of this class.
    pub tokens: i64,
    /// The recorded cost's share for this class: each day and model's cost
    /// shared among its classes in proportion to their tokens at list price
    /// (by tokens when the catalog has no price), exactly, as the FOCUS
    /// export shares it (`crate::attribution::shares::apportion`).
    pub attributed: Nanos,
}

/// The sums of one group.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sums {
    pub billed: Nanos,
    pub attributed: Nanos,
    pub calls: i64,
    /// Billed amount of the lines that count tokens, and those tokens at list price.
    pub drift_billed: Nanos,
    pub drift_at_list: Nanos,
    pub drift_lines: i64,
    /// Billed amount of lines whose model could not be read.
    pub unmatched: Nanos,
    pub classes: BTreeMap<TokenClass, ClassSums>,
}

/// A group's key: provider, currency, and the model and day when grouped by them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupKey {
    pub provider: String,
    pub currency: String,
    pub model: Option<String>,
    pub day: Option<NaiveDate>,
}

/// The reconciled sums, per group and per currency, before formatting.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    pub groups: BTreeMap<GroupKey, Sums>,
    pub totals: BTreeMap<String, Sums>,
    /// Recorded spend on provider-days no bill covers.
    pub unbilled: Nanos,
    /// Lines whose model is unknown or unread: (source, description, provider) → billed.
    pub unmatched_lines: BTreeMap<(String, String, String), (Nanos, String)>,
}

/// The catalog's rates for `model` through `provider` on `day`.
fn rates_on<'a>(catalog: &'a Catalog, provider: &str, model: &str, day: NaiveDate) -> Option<&'a Rates> {
    let at = day.and_hms_opt(12, 0, 0)?.and_utc();
    catalog.version_for(Some(provider), model, at).map(|v| &v.rates)
}

/// `tokens` of `class` at the catalog's list rate on `day`.
fn at_list(
    catalog: &Catalog,
    provider: &str,
    model: &str,
    day: NaiveDate,
    class: TokenClass,
    tokens: i64,
) -> Option<Nanos> {
    let rate = class.rate(rates_on(catalog, provider, model, day)?);
    Nanos::from_usd(Decimal::from(tokens) * rate / Decimal::from(1_000_000)).ok()
}

/// Sums bills and recorded spend into groups (see the module doc).
pub fn ledger(
    q: &ReconcileQuery,
    bills: &[BillPart],
    attributed: &[AttributedPart],
    rules: &[MappingRule],
    catalog: &Catalog,
) -> Ledger {
    let mut out = Ledger::default();
    let mut matcher = super::matching::Matcher::default();
    // (provider, day) → the currency its USD lines make it meet recorded spend in.
    let mut covered: HashMap<(String, NaiveDate), bool> = HashMap::new();
    let key_of = |provider: &str, currency: &str, model: Option<String>, day: NaiveDate| GroupKey {
        provider: provider.to_string(),
        currency: currency.to_string(),
        model: if q.by_model { Some(model.unwrap_or_default()) } else { None },
        day: q.by_day.then_some(day),
    };
    for b in bills.iter().filter(|b| b.line.day >= q.from && b.line.day < q.to) {
        let l = &b.line;
        let m = matcher.get(b.source, l, rules, catalog);
        *covered.entry((m.provider.clone(), l.day)).or_default() |= l.currency == "USD";
        let g = out.groups.entry(key_of(&m.provider, &l.currency, m.model.clone(), l.day)).or_default();
        let t = out.totals.entry(l.currency.clone()).or_default();
        for s in [g, t] {
            s.billed += l.billed;
            if m.model.is_none() || !m.known {
                s.unmatched += l.billed;
            }
            if let (Some(model), Some(class), Some(tokens)) = (&m.model, m.token_class, l.tokens) {
                if let Some(list) = at_list(catalog, &m.provider, model, l.day, class, tokens) {
                    s.drift_billed += l.billed;
                    s.drift_at_list += list;
                    s.drift_lines += 1;
                }
            }
            if let (true, Some(class)) = (q.by_model, m.token_class) {
                s.classes.entry(class).or_default().billed += l.billed;
            }
        }
        if m.model.is_none() || !m.known {
            let reason = if m.model.is_none() {
                "no model could be read from the line"
            } else {
                "the model is not in the catalog"
            };
            let e = out
                .unmatched_lines
                .entry((b.source.as_str().into(), l.description.clone(), m.provider.clone()))
                .or_insert((Nanos::ZERO, reason.into()));
            e.0 += l.billed;
        }
    }
    for a in attributed.iter().filter(|a| a.day >= q.from && a.day < q.to) {
        if covered.get(&(a.provider.clone(), a.day)) != Some(&true) {
            out.unbilled += a.totals.cost;
            continue;
        }
        let model = model_key(catalog, &a.provider, &a.model);
        let g = out.groups.entry(key_of(&a.provider, "USD", Some(model.clone()), a.day)).or_default();
        let t = out.totals.entry("USD".into()).or_default();
        let u = &a.totals;
        let shares = class_shares(&u.usage(), rates_on(catalog, &a.provider, &a.model, a.day), u.cost);
        for s in [g, t] {
            s.attributed += u.cost;
            s.calls += u.calls;
            if q.by_model {
                for share in &shares {
                    let c = s.classes.entry(share.class).or_default();
                    c.tokens += share.tokens;
                    c.attributed += share.share;
                }
            }
        }
    }
    out
}
