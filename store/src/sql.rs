//! SQL text shared by both backends. The spend query is built here once,
//! with the dialect deciding placeholders and integer casts.

use domain::attribution::query::{Dimension, SpendQuery};
use domain::attribution::time::{Segment, Source};

/// The two SQL dialects Bursar speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A value to bind, in placeholder order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bind {
    Int(i64),
    Text(String),
}

/// A built statement: its text, its binds, and the shape of its rows
/// (`bucket?`, one column per group dimension, then the eight sums).
#[derive(Debug)]
pub struct Built {
    pub sql: String,
    pub binds: Vec<Bind>,
    pub has_bucket: bool,
    pub n_keys: usize,
}

struct Builder {
    dialect: Dialect,
    binds: Vec<Bind>,
}

impl Builder {
    fn bind(&mut self, b: Bind) -> String {
        self.binds.push(b);
        match self.dialect {
            Dialect::Sqlite => "?".to_string(),
            Dialect::Postgres => format!("${}", self.binds.len()),
        }
    }

    fn sum(&self, expr: &str) -> String {
        match self.dialect {
            Dialect::Sqlite => format!("coalesce(sum({expr}), 0)"),
            Dialect::Postgres => format!("coalesce(sum({expr}), 0)::bigint"),
        }
    }
}

/// Builds the spend statement for one segment of a query.
pub fn spend(dialect: Dialect, seg: &Segment, q: &SpendQuery) -> Built {
    let mut b = Builder { dialect, binds: Vec::new() };
    let raw = seg.source == Source::Raw;
    let (table, time_col, lo, hi) = match seg.source {
        Source::Raw => ("events", "r.ts_us", seg.from.timestamp_micros(), seg.to.timestamp_micros()),
        Source::Hour => ("rollup_hour", "r.bucket", seg.from.timestamp(), seg.to.timestamp()),
        Source::Day => ("rollup_day", "r.bucket", seg.from.timestamp(), seg.to.timestamp()),
    };
    let has_bucket = q.granularity.is_some();
    let mut select = Vec::new();
    if has_bucket {
        select.push(if raw { "(r.ts_us / 3600000000) * 3600".to_string() } else { "r.bucket".to_string() });
    }
    let mut joins = String::new();
    for (i, d) in q.group_by.iter().enumerate() {
        match d {
            Dimension::Model => select.push("r.model".into()),
            Dimension::Provider => select.push("nullif(r.provider, '')".into()),
            Dimension::Tag(k) => {
                let p = b.bind(Bind::Text(k.as_str().to_string()));
                joins.push_str(&format!(
                    " left join tagset_tags g{i} on g{i}.tagset_id = r.tagset_id and g{i}.key = {p}"
                ));
                select.push(format!("g{i}.value"));
            }
        }
    }
    let n_group = select.len();
    if raw {
        select.push("count(*)".into());
        // The rollups' sums but `calls` and `unpriced_calls`, which raw calls count.
        for c in &ROLLUP_SUMS[1..7] {
            select.push(b.sum(&format!("r.{c}")));
        }
        select.push(b.sum("case when r.cost_nanos is null then 1 else 0 end"));
    } else {
        for c in ROLLUP_SUMS {
            select.push(b.sum(&format!("r.{c}")));
        }
    }
    let lo = b.bind(Bind::Int(lo));
    let hi = b.bind(Bind::Int(hi));
    let mut wheres = vec![format!("{time_col} >= {lo}"), format!("{time_col} < {hi}")];
    push_filters(&mut b, q, &mut wheres);
    let mut sql = format!("select {} from {table} r{joins} where {}", select.join(", "), wheres.join(" and "));
    if n_group > 0 {
        let cols: Vec<String> = (1..=n_group).map(|i| i.to_string()).collect();
        sql.push_str(&format!(" group by {}", cols.join(", ")));
    }
    // One row past the limit tells the caller to refuse, without reading more.
    sql.push_str(&format!(" limit {}", domain::attribution::report::MAX_SPEND_ROWS + 1));
    Built { sql, binds: b.binds, has_bucket, n_keys: q.group_by.len() }
}

/// Adds a `where` term per filter of `q`, over an `r` table with `tagset_id`,
/// `model` and `provider` columns (the events or a rollup).
fn push_filters(b: &mut Builder, q: &SpendQuery, wheres: &mut Vec<String>) {
    for f in &q.filters {
        let mut alts = Vec::new();
        let present: Vec<&String> = f.values.iter().flatten().collect();
        let wants_missing = f.values.iter().any(Option::is_none);
        match &f.dimension {
            Dimension::Model | Dimension::Provider => {
                let col = if f.dimension == Dimension::Model { "r.model" } else { "r.provider" };
                let mut vals: Vec<String> = present.iter().map(|v| b.bind(Bind::Text((*v).clone()))).collect();
                if wants_missing && f.dimension == Dimension::Provider {
                    vals.push(b.bind(Bind::Text(String::new())));
                }
                if !vals.is_empty() {
                    alts.push(format!("{col} in ({})", vals.join(", ")));
                }
            }
            Dimension::Tag(k) => {
                if !present.is_empty() {
                    let key = b.bind(Bind::Text(k.as_str().to_string()));
                    let vals: Vec<String> = present.iter().map(|v| b.bind(Bind::Text((*v).clone()))).collect();
                    alts.push(format!(
                    "exists (select 1 from tagset_tags f where f.tagset_id = r.tagset_id and f.key = {key} and f.value in ({}))",
                    vals.join(", ")
                ));
                }
                if wants_missing {
                    let key = b.bind(Bind::Text(k.as_str().to_string()));
                    alts.push(format!(
                        "not exists (select 1 from tagset_tags f where f.tagset_id = r.tagset_id and f.key = {key})"
                    ));
                }
            }
        }
        if alts.is_empty() {
            alts.push("1 = 0".into());
        }
        wheres.push(format!("({})", alts.join(" or ")));
    }
}

/// Lists calls matching a query's range and filters, newest first (a task's
/// calls oldest first), a page at a time.
pub fn list_events(dialect: Dialect, eq: &crate::EventQuery) -> Built {
    let mut b = Builder { dialect, binds: Vec::new() };
    let lo = b.bind(Bind::Int(eq.spend.from.timestamp_micros()));
    let hi = b.bind(Bind::Int(eq.spend.to.timestamp_micros()));
    let mut wheres = vec![format!("r.ts_us >= {lo}"), format!("r.ts_us < {hi}")];
    push_filters(&mut b, &eq.spend, &mut wheres);
    let order = match &eq.task_id {
        Some(task) => {
            let t = b.bind(Bind::Text(task.clone()));
            wheres.push(format!("r.task_id = {t}"));
            "r.ts_us, r.seq"
        }
        None => "r.ts_us desc, r.seq desc",
    };
    let limit = b.bind(Bind::Int(i64::from(eq.limit)));
    let offset = b.bind(Bind::Int(i64::from(eq.offset)));
    let sql = format!(
        "select r.id, r.ts_us, r.model, r.provider, r.input_tokens, r.output_tokens, r.cache_read_tokens, \
         r.cache_write_tokens, r.reasoning_tokens, r.cost_nanos, r.task_id, r.cost_source, t.tags_key, \
         r.usage_note from events r join tagsets t on t.id = r.tagset_id where {} order by {order} limit {limit} offset {offset}",
        wheres.join(" and ")
    );
    Built { sql, binds: b.binds, has_bucket: false, n_keys: 0 }
}

/// What signals read of tasks, from the task rollup, summed per value of tag
/// `key` (`NULL` without one) and day of the task's first call (days since
/// 1970-01-01 UTC), for tasks whose first call was at `from_us..to_us`
/// (microseconds); only tasks of `value` when given. Three statements, in
/// the shapes of `domain::signals::tasks`:
/// - loops: value, day, calls, tasks, cost (nano-USD), Σ(largest − smallest
///   input), Σ smallest input (tokens);
/// - costs: value, day, cost bucket (`domain::signals::tasks::cost_bucket`),
///   tasks, largest cost;
/// - tops: value, day, task id, calls, cost of each day's longest task (most
///   calls, then most cost, then the greatest id).
///
/// Each returns rows per (value, day, …), never one per task.
pub fn signal_task_days(dialect: Dialect, key: &str, from_us: i64, to_us: i64, value: Option<&str>) -> [Built; 3] {
    let build = |shape: &dyn Fn(&str, &str) -> String| {
        let mut b = Builder { dialect, binds: Vec::new() };
        let k = b.bind(Bind::Text(key.to_string()));
        let lo = b.bind(Bind::Int(from_us));
        let hi = b.bind(Bind::Int(to_us));
        let only = match value {
            Some(v) => format!(" and t.value = {}", b.bind(Bind::Text(v.to_string()))),
            None => String::new(),
        };
        let from = format!(
            "from task_rollup r left join tagset_tags t on t.tagset_id = r.tagset_id and t.key = {k} \
             where r.first_us >= {lo} and r.first_us < {hi}{only}"
        );
        Built { sql: shape(&from, "r.first_us / 86400000000"), binds: b.binds, has_bucket: false, n_keys: 0 }
    };
    let sum = |e: &str| format!("cast(coalesce(sum({e}), 0) as bigint)");
    let loops = build(&|from, day| {
        format!(
            "select t.value, {day}, r.calls, count(*), {}, {}, {} {from} group by t.value, {day}, r.calls",
            sum("r.cost_nanos"),
            sum("r.max_input - r.min_input"),
            sum("r.min_input")
        )
    });
    let cost = "(case when r.cost_nanos < 0 then 0 else r.cost_nanos end)";
    let bucket =
        format!("(length(cast({cost} as text)) * 100 + cast(substr(cast({cost} as text) || '0', 1, 2) as bigint))");
    let costs = build(&|from, day| {
        format!("select t.value, {day}, {bucket}, count(*), max(r.cost_nanos) {from} group by t.value, {day}, {bucket}")
    });
    let tops = build(&|from, day| {
        format!(
            "select ranked.value, ranked.d, ranked.task_id, ranked.calls, ranked.cost_nanos from \
             (select t.value as value, {day} as d, r.task_id as task_id, r.calls as calls, \
             r.cost_nanos as cost_nanos, row_number() over (partition by t.value, {day} \
             order by r.calls desc, r.cost_nanos desc, r.task_id desc) as n {from}) ranked where ranked.n = 1"
        )
    });
    [loops, costs, tops]
}

/// Reads the retention edge (µs since 1970; no row: no call was ever
/// retired), binding `crate::RETENTION_EDGE`. Also a subquery of SQLite's retiring delete.
pub const RETENTION_EDGE_SELECT: &str = "select cast(value as bigint) from settings where name = ?";

/// Prices one unpriced call, found by `events`' primary key on Postgres
/// (`ts_us`, `seq`; the table is partitioned by `ts_us`, so `seq` alone has
/// no index there), by `seq` on SQLite. Binds: cost (nano-USD), `ts_us`, `seq`.
pub fn reprice_event(dialect: Dialect, cost: i64, ts_us: i64, seq: i64) -> Built {
    let mut b = Builder { dialect, binds: Vec::new() };
    let (c, t, n) = (b.bind(Bind::Int(cost)), b.bind(Bind::Int(ts_us)), b.bind(Bind::Int(seq)));
    let sql = format!(
        "update events set cost_nanos = {c}, cost_source = 'catalog' \
         where ts_us = {t} and seq = {n} and cost_source = 'unpriced'"
    );
    Built { sql, binds: b.binds, has_bucket: false, n_keys: 0 }
}

/// Columns of `events`, in insert order.
pub const EVENT_COLUMNS: &str = "id, ts_us, model, provider, input_tokens, output_tokens, cache_read_tokens, \
     cache_write_tokens, reasoning_tokens, cost_nanos, cost_source, task_id, tagset_id, received_us, usage_note";

/// The summed columns of the hourly and daily rollups, in table order.
pub const ROLLUP_SUMS: [&str; 8] = [
    "calls",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "cost_nanos",
    "unpriced_calls",
];

/// The upsert tail for a rollup table.
pub fn rollup_conflict(table: &str) -> String {
    let cols = ROLLUP_SUMS;
    let sets: Vec<String> = cols.iter().map(|c| format!("{c} = {table}.{c} + excluded.{c}")).collect();
    format!(" on conflict (bucket, tagset_id, model, provider) do update set {}", sets.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn postgres_placeholders_are_numbered_in_text_order() {
        let params: Vec<(String, String)> = vec![
            ("from".into(), "2026-11-01".into()),
            ("to".into(), "2026-11-02".into()),
            ("group_by".into(), "team,model".into()),
            ("filter".into(), "product:bot".into()),
        ];
        let q = SpendQuery::from_params(&params, Utc::now()).unwrap();
        let seg = Segment {
            source: Source::Day,
            from: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
            to: Utc.with_ymd_and_hms(2026, 11, 3, 0, 0, 0).unwrap(),
        };
        let b = spend(Dialect::Postgres, &seg, &q);
        assert!(b.sql.contains("g0.key = $1"), "{}", b.sql);
        assert!(b.sql.contains("r.bucket >= $2 and r.bucket < $3"), "{}", b.sql);
        assert!(b.sql.contains("f.key = $4 and f.value in ($5)"), "{}", b.sql);
        assert_eq!(b.binds.len(), 5);
        assert!(b.sql.ends_with("group by 1, 2 limit 200001"), "{}", b.sql);
    }
}
