//! Explore: the state of an attribution view (what it groups by, filters,
//! range, sort), its table rows with the change against the previous period,
//! drill-down links, and the CSV of exactly what the table shows. Pure, so
//! the page, the CSV endpoint and the tests share one definition.

use chrono::{DateTime, Utc};
use domain::attribution::query::{Dimension, Filter, Granularity, SpendQuery};
use domain::attribution::report::{Group, SpendReport};
use domain::budgets::period::ViewPeriod;
use domain::pricing::money::{usd_string, Nanos};
use serde::{Deserialize, Serialize};

/// The dimensions offered for grouping, in the order a drill-down follows.
pub const DIMENSIONS: [&str; 8] = ["team", "product", "workflow", "task_type", "project", "user", "model", "provider"];

/// A view's state, as held in the URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExploreState {
    pub period: String,
    /// Dates of a custom period (`YYYY-MM-DD`).
    pub from: Option<String>,
    pub to: Option<String>,
    pub by: String,
    pub then: Option<String>,
    /// `key:value` filters; an empty value selects calls without the tag.
    pub filters: Vec<String>,
    pub granularity: String,
    pub sort: String,
    pub desc: bool,
    /// Page of the calls list, from 0.
    pub page: u32,
    /// `recorded` (the calls) or `invoice` (with the bills' true-up; see `domain::invoice::true_up`).
    pub basis: String,
}

impl Default for ExploreState {
    fn default() -> Self {
        ExploreState {
            period: "30d".into(),
            from: None,
            to: None,
            by: "team".into(),
            then: None,
            filters: vec![],
            granularity: "day".into(),
            sort: "cost".into(),
            desc: true,
            page: 0,
            basis: "recorded".into(),
        }
    }
}

/// Columns a table can be sorted by.
pub const SORTS: [&str; 6] = ["name", "cost", "share", "calls", "tokens", "change"];

impl ExploreState {
    /// Reads the state from URL parameters, falling back to defaults for
    /// anything missing or unknown.
    pub fn from_params(params: &[(String, String)]) -> ExploreState {
        let d = ExploreState::default();
        let get = |k: &str| params.iter().rev().find(|(pk, _)| pk == k).map(|(_, v)| v.trim().to_string());
        let dim = |v: Option<String>| v.filter(|v| Dimension::parse(v).is_ok());
        let by = dim(get("by")).unwrap_or(d.by);
        let then = dim(get("then")).filter(|t| *t != by);
        // A filter typed into the form arrives as `fk` (key) and `fv` (value).
        let mut filters: Vec<String> = params
            .iter()
            .filter(|(k, v)| k == "f" && v.split_once(':').is_some_and(|(k, _)| Dimension::parse(k).is_ok()))
            .map(|(_, v)| v.clone())
            .collect();
        if let (Some(k), Some(v)) = (get("fk"), get("fv")) {
            let f = format!("{k}:{v}");
            if Dimension::parse(&k).is_ok() && !filters.contains(&f) {
                filters.push(f);
            }
        }
        ExploreState {
            period: get("period")
                .map(|p| if p == "custom" { p } else { ViewPeriod::parse(&p).key().to_string() })
                .unwrap_or(d.period),
            from: get("from").filter(|v| !v.is_empty()),
            to: get("to").filter(|v| !v.is_empty()),
            then,
            filters,
            granularity: get("g").filter(|g| Granularity::parse(g).is_ok() && g != "hour").unwrap_or(d.granularity),
            sort: get("sort").filter(|s| SORTS.contains(&s.as_str())).unwrap_or(d.sort),
            desc: get("dir").as_deref() != Some("asc"),
            page: get("p").and_then(|p| p.parse().ok()).unwrap_or(0).min(10_000),
            basis: if get("basis").as_deref() == Some("invoice") { "invoice".into() } else { d.basis },
            by,
        }
    }

    /// The URL query that reproduces this state.
    pub fn to_query(&self) -> String {
        let mut parts = vec![("period", self.period.clone())];
        if self.period == "custom" {
            parts.extend(self.from.iter().map(|f| ("from", f.clone())));
            parts.extend(self.to.iter().map(|t| ("to", t.clone())));
        }
        parts.push(("by", self.by.clone()));
        if let Some(t) = &self.then {
            parts.push(("then", t.clone()));
        }
        for f in &self.filters {
            parts.push(("f", f.clone()));
        }
        if self.granularity != "day" {
            parts.push(("g", self.granularity.clone()));
        }
        if self.sort != "cost" || !self.desc {
            parts.push(("sort", self.sort.clone()));
            parts.push(("dir", if self.desc { "desc" } else { "asc" }.into()));
        }
        if self.page > 0 {
            parts.push(("p", self.page.to_string()));
        }
        if self.basis == "invoice" {
            parts.push(("basis", self.basis.clone()));
        }
        parts.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect::<Vec<_>>().join("&")
    }

    /// The spend query for this view over `[from, to)`, with or without a series.
    pub fn query(&self, from: DateTime<Utc>, to: DateTime<Utc>, series: bool) -> SpendQuery {
        let mut group_by = vec![];
        for d in std::iter::once(&self.by).chain(self.then.iter()) {
            if let Ok(d) = Dimension::parse(d) {
                group_by.push(d);
            }
        }
        let mut filters: Vec<Filter> = Vec::new();
        for f in &self.filters {
            let Some((k, v)) = f.split_once(':') else { continue };
            let Ok(dimension) = Dimension::parse(k) else { continue };
            let value = Some(v.to_string()).filter(|v| !v.is_empty());
            match filters.iter_mut().find(|x| x.dimension == dimension) {
                Some(x) => x.values.push(value),
                None => filters.push(Filter { dimension, values: vec![value] }),
            }
        }
        SpendQuery {
            from,
            to,
            group_by,
            granularity: if series { Granularity::parse(&self.granularity).ok() } else { None },
            filters,
        }
    }

    /// The view one level down from a row: its values become filters, and
    /// the table groups by the next dimension not yet used.
    pub fn drill(&self, values: &[Option<String>]) -> ExploreState {
        let mut next = self.clone();
        let dims: Vec<&String> = std::iter::once(&self.by).chain(self.then.iter()).collect();
        for (d, v) in dims.iter().zip(values) {
            let f = format!("{d}:{}", v.clone().unwrap_or_default());
            if !next.filters.contains(&f) {
                next.filters.push(f);
            }
        }
        let used: Vec<&str> = next.filters.iter().filter_map(|f| f.split_once(':').map(|(k, _)| k)).collect();
        next.by = DIMENSIONS
            .iter()
            .find(|d| !used.contains(d) && !dims.iter().any(|u| u.as_str() == **d))
            .unwrap_or(&"model")
            .to_string();
        next.then = None;
        next.page = 0;
        next
    }

    /// This view without one filter.
    pub fn without_filter(&self, f: &str) -> ExploreState {
        ExploreState { filters: self.filters.iter().filter(|x| *x != f).cloned().collect(), page: 0, ..self.clone() }
    }

    /// This view sorted by a column (clicking the sorted column flips it).
    pub fn sorted_by(&self, col: &str) -> ExploreState {
        let desc = if self.sort == col { !self.desc } else { col != "name" };
        ExploreState { sort: col.to_string(), desc, ..self.clone() }
    }
}

/// One table row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub values: Vec<Option<String>>,
    pub cost: Nanos,
    pub calls: i64,
    pub tokens: i64,
    pub share: String,
    pub previous: Nanos,
}

/// Table rows from this period's and the previous period's reports, sorted.
pub fn rows(current: &SpendReport, previous: &SpendReport, sort: &str, desc: bool) -> Vec<Row> {
    let before =
        |g: &Group| previous.groups.iter().find(|p| p.values == g.values).map(|p| p.totals.cost).unwrap_or_default();
    let mut out: Vec<Row> = current
        .groups
        .iter()
        .map(|g| Row {
            values: g.values.clone(),
            cost: g.totals.cost,
            calls: g.totals.calls,
            tokens: g.totals.input_tokens + g.totals.output_tokens,
            share: g.share.clone(),
            previous: before(g),
        })
        .collect();
    let change = |r: &Row| {
        if r.previous.0 == 0 {
            i128::MAX
        } else {
            (r.cost.0 as i128 - r.previous.0 as i128) * 1_000_000 / r.previous.0 as i128
        }
    };
    out.sort_by(|a, b| {
        let o = match sort {
            "name" => a.values.cmp(&b.values),
            "calls" => a.calls.cmp(&b.calls),
            "tokens" => a.tokens.cmp(&b.tokens),
            "change" => change(a).cmp(&change(b)),
            _ => a.cost.cmp(&b.cost),
        };
        if desc {
            o.reverse()
        } else {
            o
        }
    });
    out
}

/// The CSV of a table: one line per row, the same numbers the page shows
/// (costs exact, in USD), with a header naming the dimensions.
pub fn csv(dims: &[String], rows: &[Row]) -> String {
    let mut out = String::new();
    let mut header: Vec<String> = dims.to_vec();
    header.extend(["cost_usd", "calls", "tokens", "share", "previous_cost_usd"].map(String::from));
    out.push_str(&domain::attribution::csv_cell::row(&header));
    for r in rows {
        let mut f: Vec<String> = r.values.iter().map(|v| v.as_deref().unwrap_or("(untagged)").to_string()).collect();
        f.extend([
            usd_string(r.cost),
            r.calls.to_string(),
            r.tokens.to_string(),
            r.share.clone(),
            usd_string(r.previous),
        ]);
        out.push_str(&domain::attribution::csv_cell::row(&f));
    }
    out
}

/// Percent-encodes a URL query value.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn state_round_trips_through_the_url() {
        let s = ExploreState::from_params(&p(&[
            ("period", "90d"),
            ("by", "workflow"),
            ("then", "model"),
            ("f", "team:platform"),
            ("f", "user:"),
            ("g", "week"),
            ("sort", "calls"),
            ("dir", "asc"),
        ]));
        assert_eq!(s.by, "workflow");
        assert_eq!(s.filters, vec!["team:platform", "user:"]);
        assert!(!s.desc);
        let q = s.to_query();
        let back: Vec<(String, String)> = q
            .split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (k.to_string(), v.replace("%3A", ":"))
            })
            .collect();
        assert_eq!(ExploreState::from_params(&back), s);
    }

    #[test]
    fn a_typed_filter_joins_the_others() {
        let s = ExploreState::from_params(&p(&[("f", "team:platform"), ("fk", "model"), ("fv", "gpt-4o")]));
        assert_eq!(s.filters, vec!["team:platform", "model:gpt-4o"]);
        let s = ExploreState::from_params(&p(&[("fk", "Not A Key"), ("fv", "x")]));
        assert!(s.filters.is_empty());
    }

    #[test]
    fn unknown_values_fall_back() {
        let s = ExploreState::from_params(&p(&[("by", "Bad Key"), ("g", "hour"), ("sort", "x"), ("f", "nokey")]));
        assert_eq!(s, ExploreState::default());
    }

    #[test]
    fn drilling_filters_and_moves_to_the_next_dimension() {
        let s = ExploreState::default();
        let d = s.drill(&[Some("platform".into())]);
        assert_eq!(d.filters, vec!["team:platform"]);
        assert_eq!(d.by, "product");
        let d2 = d.drill(&[Some("dev-tools".into())]).drill(&[Some("bug-triage".into())]);
        assert_eq!(d2.filters, vec!["team:platform", "product:dev-tools", "workflow:bug-triage"]);
        assert_eq!(d2.by, "task_type");
        let untagged = s.drill(&[None]);
        assert_eq!(untagged.filters, vec!["team:"]);
        assert_eq!(untagged.without_filter("team:").filters, Vec::<String>::new());
    }

    #[test]
    fn csv_quotes_and_defuses() {
        let rows = vec![Row {
            values: vec![Some("a,b".into()), None],
            cost: Nanos(1_500_000_000),
            calls: 3,
            tokens: 10,
            share: "1".into(),
            previous: Nanos(0),
        }];
        let text = csv(&["team".into(), "workflow".into()], &rows);
        assert_eq!(
            text,
            "team,workflow,cost_usd,calls,tokens,share,previous_cost_usd\n\"a,b\",(untagged),1.50,3,10,1,0.00\n"
        );
        assert_eq!(domain::attribution::csv_cell::row(&["=SUM(A1)"]), "'=SUM(A1)\n");
    }
}
