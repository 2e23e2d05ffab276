//! True-up: showing spend on the invoice's basis. Per provider and month an
//! admin chooses how the gap between the bill and the recorded calls is
//! shown: as its own **uninstrumented** bucket, or **allocated** across the
//! groups of a report in proportion to their recorded spend with that
//! provider, so every team's showback sums to the invoice. The recorded
//! calls are never changed; the gap is added as rows of its own.
//!
//! Rules (README, "True-up"):
//! - A provider-day's gap is its billed amount (USD lines) less the recorded
//!   spend of that provider that day (`super::reconcile`); it counts in a
//!   query when the day's first instant is inside the query's range.
//! - Allocated: each provider-day's gap is shared among the groups with
//!   spend at that provider that day, in proportion to it, exactly (largest
//!   remainder), over the whole organisation; a filtered view shows its
//!   groups' share of that. A day without recorded spend at the provider
//!   keeps its gap as uninstrumented.
//! - Uninstrumented: the gap is one group whose values are `provider` for a
//!   `provider` dimension and [`UNINSTRUMENTED`] for every other; a view
//!   filtered by a tag or model leaves it out.

use super::reconcile::Ledger;
use crate::attribution::report::{SpendRow, Totals};
use crate::attribution::shares::apportion;
use crate::ingest::event::FieldError;
use crate::pricing::money::Nanos;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// The value an uninstrumented gap shows under every dimension but `provider`.
pub const UNINSTRUMENTED: &str = "(uninstrumented)";

/// What a spend figure counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    /// The recorded calls (the default).
    #[default]
    Recorded,
    /// The recorded calls plus the invoice's gap where a true-up is set.
    Invoice,
}

impl Basis {
    /// Reads `recorded` or `invoice` (absent: recorded); the error names `basis`.
    pub fn parse(s: Option<&str>) -> Result<Basis, FieldError> {
        match s.map(str::trim) {
            None | Some("") | Some("recorded") => Ok(Basis::Recorded),
            Some("invoice") => Ok(Basis::Invoice),
            Some(other) => Err(FieldError {
                field: "basis".into(),
                reason: format!("must be recorded or invoice (got {other:?})"),
            }),
        }
    }
}

/// How a provider-month's gap is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Uninstrumented,
    Allocated,
}

impl Mode {
    /// `uninstrumented` or `allocated`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Uninstrumented => "uninstrumented",
            Mode::Allocated => "allocated",
        }
    }

    /// Reads [`Mode::as_str`]'s spelling; the error names `mode`.
    pub fn parse(s: &str) -> Result<Mode, FieldError> {
        match s.trim() {
            "uninstrumented" => Ok(Mode::Uninstrumented),
            "allocated" => Ok(Mode::Allocated),
            other => Err(FieldError {
                field: "mode".into(),
                reason: format!("must be uninstrumented or allocated (got {other:?})"),
            }),
        }
    }
}

/// An admin's choice for one provider and month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrueUp {
    pub provider: String,
    /// The month's first day.
    pub month: NaiveDate,
    pub mode: Mode,
}

/// Reads a month written `YYYY-MM`; the error names `month`.
pub fn parse_month(s: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(&format!("{}-01", s.trim()), "%Y-%m-%d")
        .map_err(|_| FieldError { field: "month".into(), reason: format!("must be a month YYYY-MM (got {s:?})") })
}

/// One provider-day's gap and how it is shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayGap {
    pub provider: String,
    pub day: NaiveDate,
    pub gap: Nanos,
    pub mode: Mode,
}

/// The gaps of a ledger grouped by provider and day (USD lines) on the
/// provider-months a true-up is set for.
pub fn day_gaps(by_day: &Ledger, true_ups: &[TrueUp]) -> Vec<DayGap> {
    let modes: HashMap<(&str, NaiveDate), Mode> =
        true_ups.iter().map(|t| ((t.provider.as_str(), t.month), t.mode)).collect();
    by_day
        .groups
        .iter()
        .filter(|(k, _)| k.currency == "USD")
        .filter_map(|(k, s)| {
            let day = k.day?;
            let month = day.with_day(1)?;
            let mode = *modes.get(&(k.provider.as_str(), month))?;
            let gap = Nanos(s.billed.0 - s.attributed.0);
            (gap.0 != 0).then(|| DayGap { provider: k.provider.clone(), day, gap, mode })
        })
        .collect()
}

/// Recorded spend of one group (values in the allocation's dimension order)
/// at one provider on one UTC day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupDay {
    pub values: Vec<Option<String>>,
    pub provider: String,
    pub day: NaiveDate,
    pub cost: Nanos,
}

/// The rows a true-up adds to a report whose groups are `dims` (the names of
/// the report's dimensions, `provider` among them or not): for each gap, its
/// allocation over `spend` (every group's recorded spend per provider-day,
/// over the whole organisation, in `dims` order), or its own row.
/// `keep` says whether a row's values pass the view's filters. Each row's
/// bucket is its day's midnight.
pub fn rows(
    dims: &[String],
    gaps: &[DayGap],
    spend: &[GroupDay],
    keep: &dyn Fn(&[Option<String>]) -> bool,
    in_range: &dyn Fn(DateTime<Utc>) -> bool,
) -> Vec<SpendRow> {
    let mut by_day: BTreeMap<(&str, NaiveDate), Vec<&GroupDay>> = BTreeMap::new();
    for g in spend.iter().filter(|g| g.cost.0 > 0) {
        by_day.entry((g.provider.as_str(), g.day)).or_default().push(g);
    }
    let row = |values: Vec<Option<String>>, day: NaiveDate, cost: i64| SpendRow {
        bucket: Some(day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()),
        key: values,
        totals: Totals { cost: Nanos(cost), ..Totals::default() },
    };
    let mut out = Vec::new();
    for g in gaps {
        let midnight = g.day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
        if !in_range(midnight) {
            continue;
        }
        let groups = by_day.get(&(g.provider.as_str(), g.day)).filter(|v| !v.is_empty());
        match (g.mode, groups) {
            (Mode::Allocated, Some(groups)) => {
                let weights: Vec<Decimal> = groups.iter().map(|x| Decimal::from(x.cost.0)).collect();
                for (x, share) in groups.iter().zip(apportion(g.gap.0, &weights)) {
                    if share != 0 && keep(&x.values) {
                        out.push(row(x.values.clone(), g.day, share));
                    }
                }
            }
            _ => {
                let values: Vec<Option<String>> = dims
                    .iter()
                    .map(|d| Some(if d == "provider" { g.provider.clone() } else { UNINSTRUMENTED.to_string() }))
                    .collect();
                if keep(&values) {
                    out.push(row(values, g.day, g.gap.0));
                }
            }
        }
    }
    out
}
