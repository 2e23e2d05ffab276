//! Conformance cases for signals: the daily and per-task sums the Signals
//! page reads, model tiers, signal rules, scenarios, and alerts fired by a
//! rule (with the kinds and message the budgets' alerts lack).

use crate::cases::{ev, t, tags};
use chrono::NaiveDate;
use domain::signals::signal::{ModelTier, TaskDays, TaskRow};
use std::sync::Arc;
use store::{NewAlert, ScenarioRecord, SignalRuleRecord, Store};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

/// Task sums come from raw calls, day sums from the rollups, each split by a tag key's value.
pub async fn signal_sums_split_by_a_tag_key(s: Arc<dyn Store>) {
    let wf = |w: &str| tags(&[("workflow", w), ("team", "core")]);
    let mut batch = vec![
        ev("a1", "2026-11-02T10:00:00Z", "gpt-4o", Some(100), wf("triage")),
        ev("a2", "2026-11-02T10:01:00Z", "gpt-4o", Some(200), wf("triage")),
        ev("a3", "2026-11-03T09:00:00Z", "o3", Some(700), wf("triage")),
        ev("b1", "2026-11-02T11:00:00Z", "gpt-4o", Some(50), wf("chat")),
        ev("c1", "2026-11-02T12:00:00Z", "gpt-4o", Some(5), tags(&[])),
    ];
    for (e, (task, input)) in
        batch.iter_mut().zip([("t1", 1_000), ("t1", 3_000), ("t1", 5_000), ("t2", 800), ("t3", 10)])
    {
        e.event.task_id = Some(task.into());
        e.event.usage.input_tokens = input;
        e.event.usage.cache_read_tokens = 0;
    }
    s.insert_events(&batch).await.unwrap();

    let mut days = s.signal_days("workflow", day(1), day(3)).await.unwrap();
    days.sort_by(|a, b| (a.day, &a.value, &a.model).cmp(&(b.day, &b.value, &b.model)));
    let got: Vec<_> =
        days.iter().map(|d| (d.day, d.value.as_deref(), d.model.as_str(), d.calls, d.cost.0, d.input_tokens)).collect();
    assert_eq!(
        got,
        vec![
            (day(2), None, "gpt-4o", 1, 5, 10),
            (day(2), Some("chat"), "gpt-4o", 1, 50, 800),
            (day(2), Some("triage"), "gpt-4o", 2, 300, 4_000),
            (day(3), Some("triage"), "o3", 1, 700, 5_000),
        ]
    );
    // The range's last day is included; the day after is not.
    assert!(s.signal_days("workflow", day(3), day(3)).await.unwrap().iter().all(|d| d.day == day(3)));
    assert!(s.signal_days("workflow", day(4), day(9)).await.unwrap().is_empty());

    // More tasks on day 3, of costs in several buckets (0, one digit, two significant figures apart).
    let mut more: Vec<_> = [("d1", 1_700), ("d2", 12_345), ("d3", 0), ("d4", 7), ("d5", 1_799)]
        .iter()
        .map(|(id, cost)| ev(id, "2026-11-03T12:00:00Z", "gpt-4o", Some(*cost), wf("triage")))
        .collect();
    for (i, e) in more.iter_mut().enumerate() {
        e.event.task_id = Some(format!("t{}", i + 4));
        e.event.usage.input_tokens = 100 * i as i64;
    }
    s.insert_events(&more).await.unwrap();

    // The store's sums in SQL are those the domain makes from the tasks themselves.
    let task = |id: &str, value: Option<&str>, d: u32, calls: i64, cost: i64, min: i64, max: i64| TaskRow {
        task_id: id.into(),
        value: value.map(String::from),
        day: day(d),
        calls,
        cost: domain::Nanos(cost),
        min_input: min,
        max_input: max,
    };
    let triage = Some("triage");
    let tasks = vec![
        task("t1", triage, 2, 3, 1_000, 1_000, 5_000),
        task("t2", Some("chat"), 2, 1, 50, 800, 800),
        task("t3", None, 2, 1, 5, 10, 10),
        task("t4", triage, 3, 1, 1_700, 0, 0),
        task("t5", triage, 3, 1, 12_345, 100, 100),
        task("t6", triage, 3, 1, 0, 200, 200),
        task("t7", triage, 3, 1, 7, 300, 300),
        task("t8", triage, 3, 1, 1_799, 400, 400),
    ];
    let sorted = |mut d: TaskDays| {
        d.loops.sort_by(|a, b| (&a.value, a.day, a.calls).cmp(&(&b.value, b.day, b.calls)));
        d.costs.sort_by(|a, b| (&a.value, a.day, a.bucket).cmp(&(&b.value, b.day, b.bucket)));
        d.tops.sort_by(|a, b| (&a.value, a.day).cmp(&(&b.value, b.day)));
        d
    };
    let got = sorted(s.signal_task_days("workflow", day(1), day(3), None).await.unwrap());
    assert_eq!(got, sorted(TaskDays::of(&tasks)));
    // t4 and t8 share the bucket of 17xx nano-dollars; day 3's longest task is the dearest of one call.
    let b17 = got.costs.iter().find(|c| c.bucket == 417).unwrap();
    assert_eq!((b17.tasks, b17.max_cost), (2, domain::Nanos(1_799)));
    let top3 = got.tops.iter().find(|t| t.day == day(3)).unwrap();
    assert_eq!((top3.task_id.as_str(), top3.cost), ("t5", domain::Nanos(12_345)));
    let only = s.signal_task_days("workflow", day(1), day(3), Some("chat")).await.unwrap();
    assert_eq!(only, TaskDays::of(&tasks[1..2]));
    // The range's last day is included; the day after is not.
    assert_eq!(s.signal_task_days("workflow", day(3), day(3), None).await.unwrap().loops.len(), 1);
    assert_eq!(s.signal_task_days("workflow", day(4), day(9), None).await.unwrap(), TaskDays::default());
}

/// Tiers, rules and scenarios round-trip; rule alerts keep their kind and message, once.
pub async fn signal_rules_scenarios_and_tiers_round_trip(s: Arc<dyn Store>) {
    s.set_model_tier("o3", Some(ModelTier::Premium), t("2026-11-02T00:00:00Z")).await.unwrap();
    s.set_model_tier("gpt-4o", Some(ModelTier::Premium), t("2026-11-02T00:00:00Z")).await.unwrap();
    s.set_model_tier("gpt-4o", Some(ModelTier::Routine), t("2026-11-02T00:00:00Z")).await.unwrap();
    s.set_model_tier("gpt-5", Some(ModelTier::Premium), t("2026-11-02T00:00:00Z")).await.unwrap();
    s.set_model_tier("gpt-5", None, t("2026-11-02T00:00:00Z")).await.unwrap();
    assert_eq!(
        s.model_tiers().await.unwrap(),
        vec![("gpt-4o".to_string(), ModelTier::Routine), ("o3".to_string(), ModelTier::Premium)]
    );

    let spec: domain::signals::signal_rule::RuleSpec = serde_json::from_str(
        r#"{"name": "Loops", "key": "workflow", "condition": {"type": "above", "signal": "loops_max", "threshold": "50", "window_days": 1}}"#,
    )
    .unwrap();
    let mut rule = SignalRuleRecord {
        id: "sig_1".into(),
        spec,
        created_by: "ana@example.com".into(),
        created: t("2026-11-01T00:00:00Z"),
        updated: t("2026-11-01T00:00:00Z"),
    };
    s.put_signal_rule(&rule).await.unwrap();
    rule.spec.name = "Long loops".into();
    rule.updated = t("2026-11-02T00:00:00Z");
    s.put_signal_rule(&rule).await.unwrap();
    assert_eq!(s.list_signal_rules().await.unwrap(), vec![rule.clone()]);

    let scenario = ScenarioRecord {
        id: "scn_1".into(),
        name: "Plan".into(),
        workflow: Some("triage".into()),
        spec: domain::costmodel::Scenario::example(),
        created_by: "ana@example.com".into(),
        created: t("2026-11-01T00:00:00Z"),
        updated: t("2026-11-01T00:00:00Z"),
    };
    s.put_scenario(&scenario).await.unwrap();
    assert_eq!(s.list_scenarios().await.unwrap(), vec![scenario]);
    assert!(s.delete_scenario("scn_1").await.unwrap());
    assert!(!s.delete_scenario("scn_1").await.unwrap());

    let alert = NewAlert {
        budget_id: rule.id.clone(),
        budget_name: rule.spec.name.clone(),
        split_value: "triage".into(),
        window: domain::budgets::window::Window { start: t("2026-11-02T00:00:00Z"), end: t("2026-11-03T00:00:00Z") },
        kind: domain::budgets::alert::AlertKind::Signal,
        threshold: 0,
        spent: domain::Nanos::ZERO,
        limit: domain::Nanos::ZERO,
        forecast: None,
        webhook: None,
        fired: t("2026-11-03T00:00:00Z"),
        message: Some("triage: calls in the longest task was 90 on 2026-11-02, above 50".into()),
    };
    let id = s.fire_alert(&alert).await.unwrap().expect("a new alert");
    assert_eq!(s.fire_alert(&alert).await.unwrap(), None, "the same window fires once");
    let a = s.get_alert(id).await.unwrap().unwrap();
    assert_eq!(a.kind, domain::budgets::alert::AlertKind::Signal);
    assert_eq!(a.message.as_deref(), alert.message.as_deref());
    assert_eq!(a.headline(), "Long loops: triage: calls in the longest task was 90 on 2026-11-02, above 50");
    let q = domain::budgets::alert::AlertQuery {
        kind: Some(domain::budgets::alert::AlertKind::Signal),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(s.list_alerts(&q).await.unwrap().len(), 1);
    assert!(s.delete_signal_rule("sig_1").await.unwrap());
    assert!(s.get_alert(id).await.unwrap().is_some(), "a deleted rule's alerts stay");
}

/// Upgrading a SQLite store that already holds alerts and delivery attempts
/// rebuilds the alerts table (for the new kinds) without losing a row or a reference.
#[tokio::test]
async fn upgrading_sqlite_keeps_alerts_and_their_attempts() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let url = format!("sqlite:{}?mode=rwc", path.display());
    {
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("pragma foreign_keys = on").execute(&mut c).await.unwrap();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/sqlite");
        let mut m = sqlx::migrate::Migrator::new(dir).await.unwrap();
        let first_five: Vec<_> = m.migrations.iter().filter(|x| x.version <= 5).cloned().collect();
        m.migrations = std::borrow::Cow::Owned(first_five);
        m.run(&mut c).await.unwrap();
        sqlx::query(
            "insert into alerts (budget_id, budget_name, split_value, period_start, period_end, kind, threshold, \
             spent_nanos, limit_nanos, fired_us, delivery, attempts) \
             values ('b1', 'Platform', '', 0, 86400, 'cap', 100, 5, 5, 7, 'delivered', 1)",
        )
        .execute(&mut c)
        .await
        .unwrap();
        sqlx::query(
            "insert into alert_attempts (alert_id, attempt, at_us, status, duration_ms) values (1, 1, 8, 200, 12)",
        )
        .execute(&mut c)
        .await
        .unwrap();
    }
    let s = store::connect(&format!("sqlite:{}", path.display())).await.unwrap();
    s.migrate().await.unwrap();
    let a = s.get_alert(1).await.unwrap().expect("the old alert");
    assert_eq!((a.kind, a.budget_name.as_str(), a.message), (domain::budgets::alert::AlertKind::Cap, "Platform", None));
    let attempts = s.alert_attempts(1).await.unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].status, Some(200));
    // New kinds are accepted, and a new alert takes the next id.
    let new = NewAlert {
        budget_id: "sig_1".into(),
        budget_name: "Anomaly".into(),
        split_value: "triage".into(),
        window: domain::budgets::window::Window { start: t("2026-11-02T00:00:00Z"), end: t("2026-11-03T00:00:00Z") },
        kind: domain::budgets::alert::AlertKind::Anomaly,
        threshold: 0,
        spent: domain::Nanos(9),
        limit: domain::Nanos::ZERO,
        forecast: None,
        webhook: None,
        fired: t("2026-11-03T00:00:00Z"),
        message: Some("triage: spend of $9.00".into()),
    };
    assert_eq!(s.fire_alert(&new).await.unwrap(), Some(2));
}
