//! Query plans of the hot reads: the spend query (from each rollup and from
//! raw events, grouped and filtered by tags) and the calls list (by time and
//! by task) must reach their tables through an index. A lost or unusable
//! index fails here instead of turning a 40 ms query into a 30 s one at 10M
//! events. On Postgres, sequential scans are priced out for the check, so a
//! plan that still scans a table has no index it could use.

use chrono::{TimeZone, Utc};
use domain::attribution::time::{Segment, Source};
use std::sync::Arc;
use store::sql::{self, Built, Dialect};
use store::{Backend, EventQuery, Store};

fn query(group_by: &str, filter: &str) -> domain::SpendQuery {
    let mut params = vec![
        ("from".to_string(), "2026-08-01".to_string()),
        ("to".to_string(), "2026-10-30".to_string()),
        ("granularity".to_string(), "day".to_string()),
    ];
    if !group_by.is_empty() {
        params.push(("group_by".into(), group_by.into()));
    }
    if !filter.is_empty() {
        params.push(("filter".into(), filter.into()));
    }
    domain::SpendQuery::from_params(&params, Utc::now()).unwrap()
}

fn segment(source: Source) -> Segment {
    Segment {
        source,
        from: Utc.with_ymd_and_hms(2026, 8, 1, 0, 0, 0).unwrap(),
        to: Utc.with_ymd_and_hms(2026, 10, 31, 0, 0, 0).unwrap(),
    }
}

/// The statements whose plans are checked, by name.
fn hot(dialect: Dialect) -> Vec<(&'static str, Built)> {
    let two_tags = query("team,workflow", "product:bot");
    let by_user = query("user", "");
    let user_filter = query("model", "user:u7");
    let list = EventQuery { spend: query("", "team:platform"), task_id: None, limit: 50, offset: 0 };
    let task = EventQuery { spend: query("", ""), task_id: Some("task-1".into()), limit: 500, offset: 0 };
    vec![
        ("spend from daily rollups, 2 tags, filtered", sql::spend(dialect, &segment(Source::Day), &two_tags)),
        ("spend from hourly rollups, 2 tags, filtered", sql::spend(dialect, &segment(Source::Hour), &two_tags)),
        ("spend from events, grouped by user", sql::spend(dialect, &segment(Source::Raw), &by_user)),
        ("spend from events, filtered by user", sql::spend(dialect, &segment(Source::Raw), &user_filter)),
        ("calls list, newest first", sql::list_events(dialect, &list)),
        ("a task's calls", sql::list_events(dialect, &task)),
    ]
    .into_iter()
    .chain(signal_task_days(dialect))
    .chain([("repricing one call", sql::reprice_event(dialect, 5, 1_790_000_000_000_000, 7))])
    .collect()
}

/// The task sums signals read (loops, cost buckets, longest tasks), one workflow and by workflow.
fn signal_task_days(dialect: Dialect) -> Vec<(&'static str, Built)> {
    let [a, b, c] = sql::signal_task_days(dialect, "workflow", 0, i64::MAX, Some("triage"));
    let [d, e, f] = sql::signal_task_days(dialect, "workflow", 0, i64::MAX, None);
    vec![
        ("task loops signals read, one workflow", a),
        ("task costs signals read, one workflow", b),
        ("longest tasks signals read, one workflow", c),
        ("task loops signals read, by workflow", d),
        ("task costs signals read, by workflow", e),
        ("longest tasks signals read, by workflow", f),
    ]
}

/// Subqueries a plan reads back row by row (their own rows, not a table's);
/// SQLite names those it makes itself "(subquery-N)".
const SUBQUERIES: [&str; 1] = ["ranked"];

/// Tables big enough that a full scan of one is a regression.
const BIG: [&str; 6] = ["events", "rollup_day", "rollup_hour", "tagset_tags", "tagsets", "task_rollup"];

/// The full scans in a plan, if any.
fn scans(backend: Backend, plan: &[String]) -> Vec<String> {
    plan.iter()
        .filter(|line| match backend {
            // SQLite: "SCAN r" (or "SCAN r USING COVERING INDEX …": every row still) against "SEARCH r USING INDEX …".
            Backend::Sqlite => {
                let l = line.trim_start();
                l.starts_with("SCAN ")
                    && !l.contains("CONSTANT ROW")
                    && !l.starts_with("SCAN (subquery-")
                    && !SUBQUERIES.iter().any(|q| l == format!("SCAN {q}"))
            }
            // `events` is partitioned by month: its partitions are events_yYYYYmMM.
            Backend::Postgres => {
                line.contains("Seq Scan on events_y") || BIG.iter().any(|t| line.contains(&format!("Seq Scan on {t} ")))
            }
        })
        .cloned()
        .collect()
}

pub async fn hot_queries_use_indexes(s: Arc<dyn Store>) {
    let dialect = match s.backend() {
        Backend::Sqlite => Dialect::Sqlite,
        Backend::Postgres => Dialect::Postgres,
    };
    for (name, built) in hot(dialect) {
        let plan = s.query_plan(&built).await.unwrap_or_else(|e| panic!("{name}: {e}\n{}", built.sql));
        assert!(!plan.is_empty(), "{name}: no plan");
        if std::env::var_os("BURSAR_SHOW_PLANS").is_some() {
            eprintln!("{:?} {name}:\n  {}", s.backend(), plan.join("\n  "));
        }
        let full = scans(s.backend(), &plan);
        assert!(
            full.is_empty(),
            "{name} scans a whole table: {full:?}\nplan:\n{}\nsql: {}",
            plan.join("\n"),
            built.sql
        );
    }
    // Repricing finds its call by the primary key: on Postgres only the call's own month is touched
    // (by seq alone, every month's partition would be searched through another index).
    if s.backend() == Backend::Postgres {
        let built = sql::reprice_event(dialect, 5, chrono::Utc::now().timestamp_micros(), 7);
        let plan = s.query_plan(&built).await.unwrap();
        let months = plan.iter().filter(|l| l.trim_start().starts_with("Update on events_y")).count();
        assert_eq!(months, 1, "repricing one call touches {months} months:\n{}", plan.join("\n"));
    }
}

/// The check itself sees a scan: a filter on a column no index covers scans events.
pub async fn the_plan_check_sees_a_full_scan(s: Arc<dyn Store>) {
    let sql = match s.backend() {
        Backend::Sqlite => "select count(*) from events r where r.input_tokens > ?",
        Backend::Postgres => "select count(*) from events r where r.input_tokens > $1",
    };
    let built = Built { sql: sql.into(), binds: vec![sql::Bind::Int(5)], has_bucket: false, n_keys: 0 };
    let plan = s.query_plan(&built).await.unwrap();
    // One scan on SQLite; on Postgres one per month partition of events.
    assert!(!scans(s.backend(), &plan).is_empty(), "{plan:?}");
}
