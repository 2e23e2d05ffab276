//! Spend reports: the answer to "where did the money go", assembled from the
//! partial sums the store returns for each segment of a query range.

use crate::attribution::query::SpendQuery;
use crate::pricing::money::{usd_str, Nanos};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Sums over a set of calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Cost of the priced calls, USD.
    #[serde(with = "usd_str")]
    pub cost: Nanos,
    pub calls: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cache_read_tokens: i64,
    pub cache_write_tokens: i64,
    pub reasoning_tokens: i64,
    /// Calls with no known cost (no price in the catalog and none sent).
    pub unpriced_calls: i64,
}

impl Totals {
    /// The token counts as one call's usage would carry them.
    pub fn usage(&self) -> crate::ingest::usage::Usage {
        crate::ingest::usage::Usage {
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            cache_read_tokens: self.cache_read_tokens,
            cache_write_tokens: self.cache_write_tokens,
            reasoning_tokens: self.reasoning_tokens,
        }
    }

    /// Adds another set of sums to this one.
    pub fn add(&mut self, o: &Totals) {
        self.cost += o.cost;
        self.calls += o.calls;
        self.input_tokens += o.input_tokens;
        self.output_tokens += o.output_tokens;
        self.cache_read_tokens += o.cache_read_tokens;
        self.cache_write_tokens += o.cache_write_tokens;
        self.reasoning_tokens += o.reasoning_tokens;
        self.unpriced_calls += o.unpriced_calls;
    }
}

/// One row as a store returns it: sums for one group (values in `group_by`
/// order, `None` for untagged) in one native bucket (an hour or a day start),
/// or for the whole segment when no series was asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpendRow {
    pub bucket: Option<DateTime<Utc>>,
    pub key: Vec<Option<String>>,
    pub totals: Totals,
}

/// One point of a series.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Point {
    pub start: DateTime<Utc>,
    #[serde(flatten)]
    pub totals: Totals,
}

/// One group of a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// Dimension name → value; `null` is the untagged bucket.
    pub key: BTreeMap<String, Option<String>>,
    /// The same values in `group_by` order.
    pub values: Vec<Option<String>>,
    #[serde(flatten)]
    pub totals: Totals,
    /// This group's cost as a fraction of the total, 4 decimal places.
    pub share: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<Vec<Point>>,
}

/// The whole answer to a spend query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub group_by: Vec<String>,
    #[serde(default)]
    pub granularity: Option<crate::Granularity>,
    pub total: Totals,
    /// Groups, most costly first.
    pub groups: Vec<Group>,
    /// The total per bucket, when a granularity was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<Vec<Point>>,
}

/// Most rows one spend query reads from the store (each a group in a bucket).
pub const MAX_SPEND_ROWS: usize = 200_000;
/// Most cells (groups × buckets) one report may build; a year of daily
/// buckets for 500 groups is 182,500.
pub const MAX_REPORT_CELLS: usize = 200_000;

/// Refuses, before anything is built, a query whose rows or groups ×
/// buckets pass [`MAX_SPEND_ROWS`] or [`MAX_REPORT_CELLS`], naming the
/// parameter to change (`group_by` when grouped, else `granularity`).
pub fn check_size(q: &SpendQuery, rows: &[SpendRow]) -> Result<(), crate::FieldError> {
    let field = if q.group_by.is_empty() { "granularity" } else { "group_by" };
    let refuse = |reason: String| crate::FieldError { field: field.into(), reason };
    if rows.len() > MAX_SPEND_ROWS {
        return Err(refuse(format!(
            "more than {MAX_SPEND_ROWS} groups and buckets; narrow the range (from, to), group by fewer \
             dimensions or filter"
        )));
    }
    let buckets = q.granularity.map(|g| g.buckets(q.from, q.to).len()).unwrap_or(1).max(1);
    if buckets == 1 {
        return Ok(());
    }
    let groups = rows.iter().map(|r| &r.key).collect::<std::collections::HashSet<_>>().len().max(1);
    let cells = groups.saturating_mul(buckets);
    if cells > MAX_REPORT_CELLS {
        return Err(refuse(format!(
            "{groups} groups × {buckets} buckets is {cells} cells, over the limit of {MAX_REPORT_CELLS}; \
             narrow the range (from, to), group by fewer dimensions or use a coarser granularity"
        )));
    }
    Ok(())
}

/// Builds a report from store rows: re-buckets them to the query's
/// granularity, merges rows from different segments, fills empty buckets
/// with zeros and sorts groups by cost (then calls, then key).
pub fn build_report(q: &SpendQuery, rows: Vec<SpendRow>) -> SpendReport {
    let buckets = q.granularity.map(|g| g.buckets(q.from, q.to)).unwrap_or_default();
    let slot: HashMap<DateTime<Utc>, usize> = buckets.iter().enumerate().map(|(i, b)| (*b, i)).collect();
    let mut total = Totals::default();
    let mut total_series = vec![Totals::default(); buckets.len()];
    let mut groups: HashMap<Vec<Option<String>>, (Totals, Vec<Totals>)> = HashMap::new();
    for row in rows {
        total.add(&row.totals);
        let entry =
            groups.entry(row.key).or_insert_with(|| (Totals::default(), vec![Totals::default(); buckets.len()]));
        entry.0.add(&row.totals);
        if let (Some(g), Some(b)) = (q.granularity, row.bucket) {
            if let Some(&i) = slot.get(&g.floor(b)) {
                entry.1[i].add(&row.totals);
                total_series[i].add(&row.totals);
            }
        }
    }
    let to_points =
        |v: Vec<Totals>| -> Vec<Point> { buckets.iter().zip(v).map(|(s, t)| Point { start: *s, totals: t }).collect() };
    let names: Vec<String> = q.group_by.iter().map(|d| d.name().to_string()).collect();
    let mut out: Vec<Group> = groups
        .into_iter()
        .map(|(values, (totals, series))| Group {
            key: names.iter().cloned().zip(values.iter().cloned()).collect(),
            values,
            share: share(totals.cost, total.cost),
            totals,
            series: q.granularity.map(|_| to_points(series)),
        })
        .collect();
    out.sort_by(|a, b| {
        b.totals.cost.cmp(&a.totals.cost).then(b.totals.calls.cmp(&a.totals.calls)).then(a.values.cmp(&b.values))
    });
    SpendReport {
        from: q.from,
        to: q.to,
        group_by: names,
        granularity: q.granularity,
        total,
        groups: out,
        series: q.granularity.map(|_| to_points(total_series)),
    }
}

/// `part / whole` to 4 decimal places, as text; "0" when the whole is zero.
pub fn share(part: Nanos, whole: Nanos) -> String {
    if whole.0 == 0 {
        return "0".into();
    }
    (Decimal::from(part.0) / Decimal::from(whole.0)).round_dp(4).normalize().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribution::query::{Dimension, Granularity};

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn row(bucket: &str, team: Option<&str>, cost: i64) -> SpendRow {
        SpendRow {
            bucket: Some(t(bucket)),
            key: vec![team.map(String::from)],
            totals: Totals { cost: Nanos(cost), calls: 1, ..Totals::default() },
        }
    }

    #[test]
    fn merges_segments_and_fills_empty_buckets() {
        let mut q = SpendQuery::new(t("2026-11-01T00:00:00Z"), t("2026-11-04T00:00:00Z"));
        q.group_by = vec![Dimension::parse("team").unwrap()];
        q.granularity = Some(Granularity::Day);
        let rows = vec![
            row("2026-11-01T00:00:00Z", Some("core"), 300),
            row("2026-11-01T05:00:00Z", Some("core"), 100),
            row("2026-11-03T00:00:00Z", None, 600),
        ];
        let r = build_report(&q, rows);
        assert_eq!(r.total.cost, Nanos(1000));
        assert_eq!(r.total.calls, 3);
        assert_eq!(r.groups[0].values, vec![None]);
        assert_eq!(r.groups[0].share, "0.6");
        let core = &r.groups[1];
        assert_eq!(core.key.get("team"), Some(&Some("core".to_string())));
        let series = core.series.as_ref().unwrap();
        assert_eq!(series.len(), 3);
        assert_eq!(series[0].totals.cost, Nanos(400));
        assert_eq!(series[1].totals.cost, Nanos(0));
        assert_eq!(r.series.as_ref().unwrap()[2].totals.cost, Nanos(600));
    }

    #[test]
    fn report_json_uses_decimal_strings() {
        let q = SpendQuery::new(t("2026-11-01T00:00:00Z"), t("2026-11-02T00:00:00Z"));
        let r = build_report(&q, vec![row("2026-11-01T00:00:00Z", None, 1_500_000_000)]);
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["total"]["cost"], "1.50");
        assert_eq!(v["groups"][0]["cost"], "1.50");
        assert_eq!(v["groups"][0]["share"], "1");
    }
}
