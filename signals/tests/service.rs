//! The signals service over a real SQLite store: rules judged by two
//! processes at once fire each alert once, rules are audited, and reports
//! are cached until a rule changes.

use chrono::{Duration, Utc};
use domain::ingest::event::{Event, Usage};
use domain::pricing::catalog::CostSource;
use domain::signals::signal_rule::{Condition, RuleSpec};
use domain::{Nanos, PricedEvent, TagKey, TagSet};
use signals::Signals;

fn call(id: &str, days_ago: i64, cost_usd: i64) -> PricedEvent {
    let mut tags = TagSet::new();
    tags.insert(TagKey::parse("workflow").unwrap(), "triage");
    let cost = Some(Nanos(cost_usd * 1_000_000_000));
    PricedEvent {
        event: Event {
            id: id.into(),
            timestamp: Utc::now() - Duration::days(days_ago),
            model: "gpt-4o".into(),
            provider: Some("openai".into()),
            usage: Usage {
                input_tokens: 1_000,
                output_tokens: 10,
                cache_read_tokens: 0,
                cache_write_tokens: 0,
                reasoning_tokens: 0,
            },
            cost,
            task_id: Some(id.into()),
            tags,
            usage_note: None,
        },
        cost,
        source: CostSource::Caller,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_judging_at_once_fire_each_alert_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = store::connect(&format!("sqlite:{}", dir.path().join("s.db").display())).await.unwrap();
    store.migrate().await.unwrap();
    // Thirty days at $10, then one day at $500 (three days ago).
    let mut events: Vec<PricedEvent> = (4..34).map(|d| call(&format!("e{d}"), d, 10)).collect();
    events.push(call("spike", 3, 500));
    store.insert_events(&events).await.unwrap();

    let (a, b) = (Signals::new(store.clone()), Signals::new(store.clone()));
    let spec = RuleSpec {
        name: "Anomaly".into(),
        key: "workflow".into(),
        value: None,
        condition: Condition::Anomaly(Default::default()),
        min_calls: 1,
        webhook: None,
    };
    let before = a.report("workflow", 30, Utc::now().date_naive()).await.unwrap();
    assert_eq!(before.anomalies.len(), 1, "the report finds the spike without any rule");
    a.save_rule("ana@example.com", None, spec, Some(Utc::now() - Duration::days(10))).await.unwrap();
    let now = Utc::now();
    let (x, y) = tokio::join!(a.evaluate(now), b.evaluate(now));
    assert_eq!(x.unwrap() + y.unwrap(), 1, "one alert between the two");
    assert_eq!(a.evaluate(now).await.unwrap(), 0);
    let q = domain::budgets::alert::AlertQuery { limit: 10, ..Default::default() };
    let alerts = store.list_alerts(&q).await.unwrap();
    assert_eq!(alerts.len(), 1);
    assert!(alerts[0].message.as_deref().unwrap().contains("is 50× its usual day"), "{:?}", alerts[0].message);
    let audit = store
        .list_audit(&domain::people::audit::Query { kind: "signal".into(), limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action, "signal.create");
}

/// Settled days' task sums kept in memory answer exactly what the store
/// answers afresh: for a cold range, a warm one, one reaching past it, and
/// one value; today's and yesterday's tasks are always read afresh.
#[tokio::test]
async fn kept_days_answer_as_the_store_does() {
    let dir = tempfile::tempdir().unwrap();
    let store = store::connect(&format!("sqlite:{}", dir.path().join("s.db").display())).await.unwrap();
    store.migrate().await.unwrap();
    let mut events = Vec::new();
    for d in 0..20 {
        for n in 0..(d % 4 + 1) {
            let mut e = call(&format!("t{d}-{n}"), d, d + n + 1);
            if n % 2 == 1 {
                e.event.tags.insert(TagKey::parse("workflow").unwrap(), "search");
            }
            events.push(e);
        }
    }
    store.insert_events(&events).await.unwrap();
    let s = Signals::new(store.clone());
    let today = Utc::now().date_naive();
    let ranges = [(12, 3), (12, 3), (16, 0), (19, 9), (5, 0)];
    for (from, to) in ranges {
        let (from, to) = (today - Duration::days(from), today - Duration::days(to));
        for value in [None, Some("search")] {
            let (kept, _) = s.daily("workflow", from, to, true, value).await.unwrap();
            let fresh = store.signal_task_days("workflow", from, to, value).await.unwrap();
            let mut days = store.signal_days("workflow", from, to).await.unwrap();
            if let Some(v) = value {
                days.retain(|d| d.value.as_deref() == Some(v));
            }
            let built = domain::signals::signal::Daily::build(&days, &fresh, &|_: &str| false);
            assert_eq!(kept, built, "{from}..{to} {value:?}");
        }
    }
    // Today's calls show at once: those days are never kept.
    store.insert_events(&[call("late-today", 0, 7)]).await.unwrap();
    let (kept, _) = s.daily("workflow", today - Duration::days(3), today, true, None).await.unwrap();
    let fresh = store.signal_task_days("workflow", today - Duration::days(3), today, None).await.unwrap();
    let days = store.signal_days("workflow", today - Duration::days(3), today).await.unwrap();
    assert_eq!(kept, domain::signals::signal::Daily::build(&days, &fresh, &|_: &str| false));
}
