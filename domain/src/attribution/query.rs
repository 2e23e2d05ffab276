//! The spend query: what range, grouped by which dimensions, filtered how,
//! and at what granularity. Parsed once from request parameters.

use crate::attribution::tags::TagKey;
pub use crate::attribution::time::Granularity;
use crate::ingest::event::FieldError;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// Most dimensions one query may group by.
pub const MAX_GROUP_BY: usize = 3;
/// Longest range an hourly series may cover.
pub const MAX_HOURLY_DAYS: i64 = 31;
/// Longest range any query may cover.
pub const MAX_RANGE_DAYS: i64 = 3_700;

/// Something spend can be grouped or filtered by.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Dimension {
    Model,
    Provider,
    Tag(TagKey),
}

impl Dimension {
    /// `model`, `provider`, or a tag key.
    pub fn parse(s: &str) -> Result<Dimension, String> {
        match s {
            "model" => Ok(Dimension::Model),
            "provider" => Ok(Dimension::Provider),
            other => TagKey::parse(other).map(Dimension::Tag).map_err(|e| format!("{other:?} is not a tag key: {e}")),
        }
    }

    /// The dimension's name as written in queries.
    pub fn name(&self) -> &str {
        match self {
            Dimension::Model => "model",
            Dimension::Provider => "provider",
            Dimension::Tag(k) => k.as_str(),
        }
    }
}

impl TryFrom<String> for Dimension {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Dimension::parse(&s)
    }
}

impl From<Dimension> for String {
    fn from(d: Dimension) -> String {
        d.name().to_string()
    }
}

/// Keep only calls whose `dimension` has one of `values`; a `None` value
/// matches calls without that tag (untagged).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    pub dimension: Dimension,
    pub values: Vec<Option<String>>,
}

/// A validated spend query over `[from, to)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendQuery {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub group_by: Vec<Dimension>,
    pub granularity: Option<Granularity>,
    pub filters: Vec<Filter>,
}

impl SpendQuery {
    /// Whether the rollups can answer this query: every dimension it groups
    /// or filters by is kept in them (model, provider, and [`crate::attribution::tags::ROLLUP_KEYS`]).
    pub fn rollups_suffice(&self) -> bool {
        let kept = |d: &Dimension| match d {
            Dimension::Model | Dimension::Provider => true,
            Dimension::Tag(k) => crate::attribution::tags::ROLLUP_KEYS.contains(&k.as_str()),
        };
        self.group_by.iter().all(kept) && self.filters.iter().all(|f| kept(&f.dimension))
    }

    /// Everything in `[from, to)`, ungrouped.
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>) -> SpendQuery {
        SpendQuery { from, to, group_by: vec![], granularity: None, filters: vec![] }
    }

    /// Parses request parameters (`from`, `to`, `group_by`, `granularity`,
    /// repeated `filter=key:value`). `from` defaults to 30 days before `to`,
    /// `to` to now. A bare date for `to` means the end of that day.
    pub fn from_params(params: &[(String, String)], now: DateTime<Utc>) -> Result<SpendQuery, FieldError> {
        let err = |f: &str, r: String| FieldError { field: f.into(), reason: r };
        let get = |k: &str| params.iter().rev().find(|(pk, _)| pk == k).map(|(_, v)| v.trim());
        let to = match get("to") {
            Some(v) if !v.is_empty() => parse_instant(v, true).map_err(|r| err("to", r))?,
            _ => now,
        };
        let from = match get("from") {
            Some(v) if !v.is_empty() => parse_instant(v, false).map_err(|r| err("from", r))?,
            _ => to - Duration::days(30),
        };
        if from >= to {
            return Err(err("from", "must be before to".into()));
        }
        if to - from > Duration::days(MAX_RANGE_DAYS) {
            return Err(err("from", format!("the range may span at most {MAX_RANGE_DAYS} days")));
        }
        let mut group_by = Vec::new();
        for part in get("group_by").unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let d = Dimension::parse(part).map_err(|r| err("group_by", r))?;
            if group_by.contains(&d) {
                return Err(err("group_by", format!("{part:?} is listed twice")));
            }
            group_by.push(d);
        }
        if group_by.len() > MAX_GROUP_BY {
            return Err(err("group_by", format!("at most {MAX_GROUP_BY} dimensions")));
        }
        let granularity = match get("granularity") {
            Some(v) if !v.is_empty() => Some(Granularity::parse(v).map_err(|r| err("granularity", r))?),
            _ => None,
        };
        if granularity == Some(Granularity::Hour) && to - from > Duration::days(MAX_HOURLY_DAYS) {
            return Err(err("granularity", format!("hour needs a range of at most {MAX_HOURLY_DAYS} days")));
        }
        let mut filters: Vec<Filter> = Vec::new();
        for (_, raw) in params.iter().filter(|(k, _)| k == "filter") {
            let (k, v) =
                raw.split_once(':').ok_or_else(|| err("filter", format!("must be key:value (got {raw:?})")))?;
            let dimension = Dimension::parse(k.trim()).map_err(|r| err("filter", r))?;
            let v = if dimension == Dimension::Provider { v.trim().to_lowercase() } else { v.trim().to_string() };
            let value = Some(v).filter(|v| !v.is_empty());
            match filters.iter_mut().find(|f| f.dimension == dimension) {
                Some(f) => f.values.push(value),
                None => filters.push(Filter { dimension, values: vec![value] }),
            }
        }
        Ok(SpendQuery { from, to, group_by, granularity, filters })
    }
}

/// Parses RFC 3339, or a bare `YYYY-MM-DD` (its start, or with `end_of_day`
/// the start of the next day).
pub fn parse_instant(s: &str, end_of_day: bool) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let d = if end_of_day { d.succ_opt().unwrap_or(d) } else { d };
        return Ok(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default()));
    }
    Err(format!("must be an RFC 3339 time with a zone or a date YYYY-MM-DD (got {s:?})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    fn now() -> DateTime<Utc> {
        parse_instant("2026-11-28T12:00:00Z", false).unwrap()
    }

    #[test]
    fn parses_a_full_query() {
        let q = SpendQuery::from_params(
            &p(&[
                ("from", "2026-11-01"),
                ("to", "2026-11-07"),
                ("group_by", "team,model"),
                ("granularity", "day"),
                ("filter", "product:support-bot"),
                ("filter", "product:"),
            ]),
            now(),
        )
        .unwrap();
        assert_eq!(q.from, parse_instant("2026-11-01T00:00:00Z", false).unwrap());
        assert_eq!(q.to, parse_instant("2026-11-08T00:00:00Z", false).unwrap());
        assert_eq!(q.group_by, vec![Dimension::Tag(TagKey::parse("team").unwrap()), Dimension::Model]);
        assert_eq!(q.granularity, Some(Granularity::Day));
        assert_eq!(q.filters[0].values, vec![Some("support-bot".to_string()), None]);
    }

    #[test]
    fn defaults_to_the_last_30_days() {
        let q = SpendQuery::from_params(&[], now()).unwrap();
        assert_eq!(q.to, now());
        assert_eq!(q.to - q.from, Duration::days(30));
    }

    #[test]
    fn bad_parameters_name_the_field() {
        let e = |pairs: &[(&str, &str)]| SpendQuery::from_params(&p(pairs), now()).unwrap_err().to_string();
        assert!(e(&[("from", "yesterday")]).starts_with("from: must be an RFC 3339"));
        assert!(e(&[("granularity", "year")]).starts_with("granularity: must be one of"));
        assert!(e(&[("group_by", "Team")]).starts_with("group_by:"));
        assert!(e(&[("filter", "team")]).starts_with("filter: must be key:value"));
        assert!(e(&[("from", "2026-11-10"), ("to", "2026-11-01")]).starts_with("from: must be before to"));
        assert!(e(&[("from", "2026-01-01"), ("granularity", "hour")]).starts_with("granularity: hour needs"));
    }
}
