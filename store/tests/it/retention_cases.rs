//! Conformance cases for retention: deleting calls before the edge keeps
//! every total exact, because the rollups and counters stay.

use crate::budget_cases::{at, budget};
use crate::cases::tags;
use chrono::{DateTime, Duration, DurationRound, Utc};
use domain::budgets::budget::{BudgetPeriod, SplitBy};
use domain::budgets::window::{self, Tz};
use domain::{SpendQuery, TagKey};
use std::sync::Arc;
use store::{Store, StoreError};

fn spend(from: DateTime<Utc>, to: DateTime<Utc>, group_by: &str, granularity: Option<&str>) -> SpendQuery {
    let mut p = vec![("from".to_string(), from.to_rfc3339()), ("to".to_string(), to.to_rfc3339())];
    if !group_by.is_empty() {
        p.push(("group_by".into(), group_by.into()));
    }
    if let Some(g) = granularity {
        p.push(("granularity".into(), g.into()));
    }
    SpendQuery::from_params(&p, to).unwrap()
}

/// Every counter of a budget in its recount windows (all time, or the
/// current and previous period in its zone), sorted.
async fn counters(s: &Arc<dyn Store>, id: &str, now: DateTime<Utc>) -> Vec<(i64, String, i64, i64)> {
    let b = s.get_budget(id).await.unwrap().unwrap();
    let zone = window::zone(&b.spec.time_zone).unwrap_or(Tz::UTC);
    let mut out = Vec::new();
    for w in domain::budgets::counting::recount_windows(b.spec.period, zone, now) {
        for c in s.budget_counters(id, w.start, 1_000).await.unwrap() {
            out.push((w.start.timestamp(), c.split_value, c.spent.0, c.calls));
        }
    }
    out.sort();
    out
}

/// 50 days of calls; the calls of the first 30 are retired. Spend on the
/// rollup keys over any range on the hour, FOCUS day sums and budget
/// recounts are the same to the nano-dollar: budgets the hourly rollups
/// recount (all time by team, this and last month unsplit) and budgets they
/// cannot, whose retired calls' share is kept (each task all time, each user
/// monthly, a month in Kolkata). What needs retired calls is refused naming `from`.
pub async fn retiring_calls_keeps_every_total_exact(s: Arc<dyn Store>) {
    let now = Utc::now().duration_trunc(Duration::hours(1)).unwrap();
    let start = now - Duration::days(50);
    let mut batch = Vec::new();
    for i in 0..400i64 {
        // Every 2 hours and 50 minutes, over 47 days; one call in eleven unpriced.
        let when = start + Duration::minutes(i * 170);
        let team = ["core", "growth", "infra"][(i % 3) as usize];
        let mut e = at(&format!("c{i}"), when, 1_000_003 * (i % 17 + 1), tags(&[("team", team)]));
        e.event.tags.insert(TagKey::parse("user").unwrap(), format!("u{}", i % 5));
        e.event.task_id = Some(format!("task-{}", i % 7));
        if i % 11 == 0 {
            e.cost = None;
            e.event.cost = None;
            e.source = domain::CostSource::Unpriced;
        }
        batch.push(e);
    }
    for chunk in batch.chunks(100) {
        s.insert_events(chunk).await.unwrap();
    }
    let by_team =
        budget("all-time-by-team", tags(&[]), Some(SplitBy::parse("team").unwrap()), 1_000_000_000_000, &[], false);
    let mut all_time = by_team.clone();
    all_time.spec.period = BudgetPeriod::Total;
    s.create_budget(&all_time, now).await.unwrap();
    let monthly = budget("monthly", tags(&[("team", "core")]), None, 1_000_000_000_000, &[], false);
    s.create_budget(&monthly, now).await.unwrap();
    // The rollups cannot recount these: each task all time (the demo's cap), each user monthly, Kolkata.
    let mut each_task = budget("each-task", tags(&[]), Some(SplitBy::Task), 1_000_000_000_000, &[], true);
    each_task.spec.period = BudgetPeriod::Total;
    let each_user =
        budget("each-user", tags(&[("team", "growth")]), Some(SplitBy::parse("user").unwrap()), 1, &[], false);
    let mut kolkata = budget("kolkata", tags(&[]), None, 1_000_000_000_000, &[], false);
    kolkata.spec.time_zone = "Asia/Kolkata".into();
    for b in [&each_task, &each_user, &kolkata] {
        s.create_budget(b, now).await.unwrap();
    }

    let edge = now - Duration::days(20);
    let queries = [
        spend(start, now + Duration::hours(1), "team", Some("day")),
        spend(start - Duration::days(3), edge + Duration::hours(5), "team,model", None),
        spend(edge - Duration::hours(7), edge + Duration::hours(30), "", Some("hour")),
    ];
    let mut before = Vec::new();
    for q in &queries {
        before.push(s.spend(q).await.unwrap());
    }
    let days: Vec<_> = (0..51).map(|d| (start + Duration::days(d)).date_naive()).collect();
    let mut focus_before = Vec::new();
    for d in &days {
        focus_before.push(s.day_sums(*d).await.unwrap());
    }
    let names = ["all-time-by-team", "monthly", "each-task", "each-user", "kolkata"];
    let mut counted = Vec::new();
    for id in names {
        let c = counters(&s, id, now).await;
        assert!(!c.is_empty(), "{id}");
        counted.push(c);
    }

    assert_eq!(s.retired_before().await.unwrap(), None);
    assert_eq!(s.raise_retention_edge(edge).await.unwrap(), edge);
    // The edge never moves back.
    assert_eq!(s.raise_retention_edge(edge - Duration::days(5)).await.unwrap(), edge);
    let mut deleted = 0;
    loop {
        let n = s.retire_calls(37, now).await.unwrap();
        deleted += n;
        if n == 0 {
            break;
        }
    }
    let kept = batch.iter().filter(|e| e.event.timestamp >= edge).count() as i64;
    // Every retired call's row went (on Postgres, its id's row too).
    let retired = batch.len() as i64 - kept;
    let rows = if s.backend() == store::Backend::Sqlite { retired } else { 2 * retired };
    assert_eq!(deleted as i64, rows);
    assert_eq!(s.count_events().await.unwrap(), kept);
    assert!(s.ever_stored().await.unwrap());

    for (q, b) in queries.iter().zip(&before) {
        assert_eq!(&s.spend(q).await.unwrap(), b, "{q:?}");
    }
    for (d, b) in days.iter().zip(&focus_before) {
        assert_eq!(&s.day_sums(*d).await.unwrap(), b, "{d}");
    }
    // A recount (after retagging or repricing) counts the retired part from the hourly
    // rollups, or from the retired calls' kept share.
    s.recount_budgets(now).await.unwrap();
    for (id, c) in names.iter().zip(&counted) {
        assert_eq!(&counters(&s, id, now).await, c, "{id}");
    }
    // Saving a budget that counts the same calls keeps the share; changing what it counts drops it.
    let mut renamed = each_task.clone();
    renamed.spec.name = "Each task, renamed".into();
    s.update_budget(&renamed, now).await.unwrap();
    assert_eq!(&counters(&s, "each-task", now).await, &counted[2]);
    let mut narrowed = each_user.clone();
    narrowed.spec.split_by = None;
    s.update_budget(&narrowed, now).await.unwrap();
    // Unsplit, the rollups recount it: every growth call of the two months, retired or not.
    let growth: i64 = batch
        .iter()
        .filter(|e| e.event.tags.get("team") == Some("growth"))
        .filter(|e| e.event.timestamp >= window::previous(BudgetPeriod::Month, Tz::UTC, now).start)
        .filter_map(|e| e.cost.map(|c| c.0))
        .sum();
    let recounted: i64 = counters(&s, "each-user", now).await.iter().map(|c| c.2).sum();
    assert_eq!(recounted, growth);
    // Split by user again it would need the retired calls, whose share went with the old
    // split: the store refuses it under its budget lock, naming split_by.
    match s.update_budget(&each_user, now).await {
        Err(StoreError::Refused(e)) => assert_eq!(e.field, "split_by"),
        other => panic!("expected a refusal, got {other:?}"),
    }

    // What needs retired calls is refused, naming from.
    let refused = |r: Result<domain::attribution::report::SpendReport, StoreError>| match r {
        Err(StoreError::Refused(e)) => e.field,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert_eq!(refused(s.spend(&spend(start, now, "user", None)).await), "from");
    assert_eq!(refused(s.spend(&spend(start + Duration::minutes(30), now, "team", None)).await), "from");
    // After the edge, per-call detail is all there.
    let users = s.spend(&spend(edge, now + Duration::hours(1), "user", None)).await.unwrap();
    let cost: i64 = batch.iter().filter(|e| e.event.timestamp >= edge).filter_map(|e| e.cost.map(|c| c.0)).sum();
    assert_eq!(users.total.cost.0, cost);
}

/// A Postgres store from before calls were partitioned by month keeps every
/// call, and every id stays unique, once migration 0013 converts it.
#[tokio::test]
async fn postgres_calls_move_into_month_partitions() {
    use sqlx::Connection;
    let Some((url, guard)) = crate::harness::postgres_database("partitions_upgrade").await else { return };
    {
        let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/postgres");
        let mut m = sqlx::migrate::Migrator::new(dir).await.unwrap();
        let before: Vec<_> = m.migrations.iter().filter(|x| x.version <= 12).cloned().collect();
        m.migrations = std::borrow::Cow::Owned(before);
        m.run(&mut c).await.unwrap();
        let tagset: i64 = sqlx::query_scalar("insert into tagsets (tags_key) values ('') returning id")
            .fetch_one(&mut c)
            .await
            .unwrap();
        // Three calls in September and October 2026, one in 2031.
        for (id, ts) in [
            ("a", "2026-09-03T10:00:00Z"),
            ("b", "2026-10-30T23:59:59Z"),
            ("c", "2026-10-01T00:00:00Z"),
            ("d", "2031-01-01T00:00:00Z"),
        ] {
            sqlx::query(
                "insert into events (id, ts_us, model, provider, input_tokens, output_tokens, cache_read_tokens, \
                 cache_write_tokens, reasoning_tokens, cost_nanos, cost_source, task_id, tagset_id, received_us) \
                 values ($1, $2, 'gpt-4o', 'openai', 10, 1, 0, 0, 0, 7, 'catalog', null, $3, 0)",
            )
            .bind(id)
            .bind(crate::cases::t(ts).timestamp_micros())
            .bind(tagset)
            .execute(&mut c)
            .await
            .unwrap();
        }
    }
    let s = store::connect(&url).await.unwrap();
    s.migrate().await.unwrap();
    assert_eq!(s.count_events().await.unwrap(), 4);
    let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
    let parts: Vec<String> = sqlx::query_scalar(
        "select c.relname::text from pg_inherits i join pg_class c on c.oid = i.inhrelid \
         join pg_class p on p.oid = i.inhparent where p.relname = 'events' order by 1",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    for month in ["events_y2026m09", "events_y2026m10", "events_y2031m01"] {
        assert!(parts.iter().any(|p| p == month), "{month} in {parts:?}");
    }
    let october: i64 = sqlx::query_scalar("select count(*) from events_y2026m10").fetch_one(&mut c).await.unwrap();
    assert_eq!(october, 2);
    // An id stored before the move is still known: sending it again stores nothing.
    let again = crate::budget_cases::at("b", crate::cases::t("2026-10-30T23:59:59Z"), 7, tags(&[]));
    assert!(s.insert_events(&[again]).await.unwrap().inserted.is_empty());
    // A call in a month without a partition makes one.
    let new = crate::budget_cases::at("e", crate::cases::t("2029-05-05T05:05:05Z"), 7, tags(&[]));
    assert_eq!(s.insert_events(&[new]).await.unwrap().inserted.len(), 1);
    assert_eq!(s.count_events().await.unwrap(), 5);
    drop(c);
    guard.drop_database().await;
}

/// On Postgres a reprice runs beside retirement (both hold the budget lock
/// shared): a call priced while its batch is being deleted keeps its share
/// at the price it had when deleted, so the per-task recount is exact.
#[tokio::test]
async fn postgres_a_call_priced_while_it_retires_keeps_its_share() {
    use sqlx::Connection;
    let Some((url, guard)) = crate::harness::postgres_database("priced_while_retiring").await else { return };
    let s = store::connect(&url).await.unwrap();
    s.migrate().await.unwrap();
    let now = Utc::now().duration_trunc(Duration::hours(1)).unwrap();
    let old = now - Duration::days(30);
    let mut calls = Vec::new();
    for (id, cost) in [("priced", Some(1_000)), ("unpriced", None), ("kept", Some(4_000))] {
        let when = if id == "kept" { now - Duration::days(1) } else { old };
        let mut e = at(id, when, cost.unwrap_or(0), tags(&[("team", "core")]));
        e.event.task_id = Some("the-task".into());
        if cost.is_none() {
            (e.cost, e.event.cost, e.source) = (None, None, domain::CostSource::Unpriced);
        }
        calls.push(e);
    }
    s.insert_events(&calls).await.unwrap();
    let mut each_task = budget("each-task", tags(&[]), Some(SplitBy::Task), 1_000_000_000_000, &[], true);
    each_task.spec.period = BudgetPeriod::Total;
    s.create_budget(&each_task, now).await.unwrap();
    s.raise_retention_edge(now - Duration::days(20)).await.unwrap();

    // A reprice prices the unpriced call and holds its row while retirement starts.
    let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
    let mut reprice = c.begin().await.unwrap();
    sqlx::query("update events set cost_nanos = 2000, cost_source = 'catalog' where id = 'unpriced'")
        .execute(&mut *reprice)
        .await
        .unwrap();
    let retiring = {
        let s = s.clone();
        tokio::spawn(async move { s.retire_calls(1_000, now).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    reprice.commit().await.unwrap();
    let retired = retiring.await.unwrap().unwrap();
    assert_eq!(retired, 2 + 2, "two calls and their ids");
    s.recount_budgets(now).await.unwrap();
    let counted = counters(&s, "each-task", now).await;
    assert_eq!(counted, vec![(window::all_time().start.timestamp(), "the-task".to_string(), 7_000, 3)]);
    drop(c);
    guard.drop_database().await;
}
