//! Conformance cases for budgets, counters and alerts.

use crate::cases::{ev, tags};
use chrono::{DateTime, Duration, Utc};
use domain::budgets::alert::{AlertKind, Attempt, Delivery};
use domain::budgets::budget::{BudgetPeriod, BudgetSpec, SplitBy};
use domain::budgets::window::{self, Tz};
use domain::{Nanos, PricedEvent, TagKey, TagSet};
use std::sync::Arc;
use store::{AlertQuery, BudgetRecord, CounterKey, Store};

const DOLLAR: i64 = 1_000_000_000;

pub(crate) fn budget(
    id: &str,
    scope: TagSet,
    split_by: Option<SplitBy>,
    amount: i64,
    thresholds: &[u32],
    cap: bool,
) -> BudgetRecord {
    BudgetRecord {
        id: id.into(),
        spec: BudgetSpec {
            name: format!("budget {id}"),
            scope,
            split_by,
            period: BudgetPeriod::Month,
            amount: Nanos(amount),
            thresholds: thresholds.to_vec(),
            hard_cap: cap,
            webhook: None,
            owner: "lead@example.com".into(),
            description: String::new(),
            time_zone: "UTC".into(),
        },
        counted_from: Utc::now(),
        created_by: "lead@example.com".into(),
        created: Utc::now(),
        updated: Utc::now(),
    }
}

/// An event `minutes` into the current month (so that it is in the period the budget counts).
pub(crate) fn at(id: &str, when: DateTime<Utc>, cost: i64, tags_: TagSet) -> PricedEvent {
    let mut e = ev(id, "2026-11-02T10:00:00Z", "gpt-4o", Some(cost), tags_);
    e.event.timestamp = when;
    e
}

pub(crate) fn this_month() -> window::Window {
    window::window(BudgetPeriod::Month, Tz::UTC, Utc::now())
}

async fn alerts(s: &Arc<dyn Store>, budget: &str) -> Vec<(AlertKind, u32, Option<String>, DateTime<Utc>)> {
    let q = AlertQuery { budget_id: Some(budget.into()), limit: 100, ..AlertQuery::default() };
    let mut v: Vec<_> = s
        .list_alerts(&q)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.kind, a.threshold, a.split_value, a.period_start))
        .collect();
    v.sort();
    v
}

pub async fn budget_counters_follow_ingest_and_alerts_fire_once(s: Arc<dyn Store>) {
    let now = Utc::now();
    let start = this_month().start;
    // Spend that happened before the budget existed is counted when it is created.
    let platform = tags(&[("team", "platform")]);
    s.insert_events(&[at("early", start, 30 * DOLLAR, platform.clone())]).await.unwrap();
    let b = s.create_budget(&budget("b1", platform.clone(), None, 100 * DOLLAR, &[50, 80], true), now).await.unwrap();
    assert!(b.counted_from <= start);
    let key = CounterKey { budget_id: "b1".into(), split_value: String::new(), period_start: start };
    assert_eq!(s.cap_spent(std::slice::from_ref(&key)).await.unwrap(), vec![Nanos(30 * DOLLAR)]);

    // Another team's spend does not count.
    let other = s.insert_events(&[at("other", start, 90 * DOLLAR, tags(&[("team", "search")]))]).await.unwrap();
    assert!(other.budget_changes.is_empty());

    let batch = vec![at("x1", start, 25 * DOLLAR, platform.clone()), at("x2", start, 30 * DOLLAR, platform.clone())];
    let out = s.insert_events(&batch).await.unwrap();
    assert_eq!(out.budget_changes.len(), 1);
    assert_eq!((out.budget_changes[0].before, out.budget_changes[0].after), (Nanos(30 * DOLLAR), Nanos(85 * DOLLAR)));
    assert_eq!(out.alerts.len(), 2, "50% and 80% crossed in one batch");
    // A replay changes nothing and fires nothing.
    let again = s.insert_events(&batch).await.unwrap();
    assert!(again.budget_changes.is_empty() && again.alerts.is_empty());

    let out = s.insert_events(&[at("x3", start, 20 * DOLLAR, platform.clone())]).await.unwrap();
    assert_eq!(out.alerts.len(), 1, "the cap");
    let out = s.insert_events(&[at("x4", start, DOLLAR, platform)]).await.unwrap();
    assert!(out.alerts.is_empty(), "past the cap nothing fires twice");
    assert_eq!(
        alerts(&s, "b1").await,
        vec![
            (AlertKind::Threshold, 50, None, start),
            (AlertKind::Threshold, 80, None, start),
            (AlertKind::Cap, 100, None, start),
        ]
    );
    assert_eq!(s.cap_spent(&[key]).await.unwrap(), vec![Nanos(106 * DOLLAR)]);
    let counters = s.budget_counters("b1", start, 10).await.unwrap();
    assert_eq!((counters[0].spent, counters[0].calls), (Nanos(106 * DOLLAR), 5));
    let cap = s.list_alerts(&AlertQuery { kind: Some(AlertKind::Cap), limit: 5, ..Default::default() }).await.unwrap();
    assert_eq!(
        (cap[0].spent, cap[0].limit, cap[0].budget_name.as_str()),
        (Nanos(105 * DOLLAR), Nanos(100 * DOLLAR), "budget b1")
    );
}

pub async fn split_budgets_count_each_value(s: Arc<dyn Store>) {
    let start = this_month().start;
    let support = |user: Option<&str>| {
        let mut t = tags(&[("product", "support-bot")]);
        if let Some(u) = user {
            t.insert(TagKey::parse("user").unwrap(), u);
        }
        t
    };
    s.insert_events(&[at("a1", start, 3 * DOLLAR, support(Some("ana")))]).await.unwrap();
    let split = Some(SplitBy::Tag(TagKey::parse("user").unwrap()));
    s.create_budget(&budget("per-user", tags(&[("product", "support-bot")]), split, 5 * DOLLAR, &[], true), Utc::now())
        .await
        .unwrap();
    let mut task_event = at("t1", start, 4 * DOLLAR, tags(&[("workflow", "bug-triage")]));
    task_event.event.task_id = Some("task-9".into());
    s.create_budget(
        &budget("per-task", tags(&[("workflow", "bug-triage")]), Some(SplitBy::Task), 5 * DOLLAR, &[], true),
        Utc::now(),
    )
    .await
    .unwrap();
    let out = s
        .insert_events(&[
            at("a2", start, 3 * DOLLAR, support(Some("ana"))),
            at("b1", start, DOLLAR, support(Some("ben"))),
            at("n1", start, 9 * DOLLAR, support(None)),
            task_event,
            at("t0", start, 9 * DOLLAR, tags(&[("workflow", "bug-triage")])),
        ])
        .await
        .unwrap();
    assert_eq!(out.alerts.len(), 1, "ana reached her cap; ben, the untagged call and the task did not");
    let counters = s.budget_counters("per-user", start, 10).await.unwrap();
    let got: Vec<(&str, Nanos)> = counters.iter().map(|c| (c.split_value.as_str(), c.spent)).collect();
    assert_eq!(got, vec![("ana", Nanos(6 * DOLLAR)), ("ben", Nanos(DOLLAR))]);
    assert_eq!(alerts(&s, "per-user").await, vec![(AlertKind::Cap, 100, Some("ana".into()), start)]);
    let tasks = s.budget_counters("per-task", start, 10).await.unwrap();
    assert_eq!(tasks.len(), 1, "a call without a task id is nobody's task");
    assert_eq!((tasks[0].split_value.as_str(), tasks[0].spent), ("task-9", Nanos(4 * DOLLAR)));
}

pub async fn late_events_count_towards_their_own_period(s: Arc<dyn Store>) {
    let now = Utc::now();
    let last = window::previous(BudgetPeriod::Month, Tz::UTC, now);
    let current = this_month();
    let team = tags(&[("team", "platform")]);
    s.create_budget(&budget("m", team.clone(), None, 10 * DOLLAR, &[80], false), now).await.unwrap();
    s.insert_events(&[at("now1", current.start, 2 * DOLLAR, team.clone())]).await.unwrap();
    // A call made last month arrives late: it counts for last month, and this month's 80% does not fire.
    let out = s.insert_events(&[at("late", last.start + Duration::days(3), 9 * DOLLAR, team.clone())]).await.unwrap();
    assert_eq!(out.budget_changes[0].window, last);
    assert_eq!(alerts(&s, "m").await, vec![(AlertKind::Threshold, 80, None, last.start)]);
    let key = |p: DateTime<Utc>| CounterKey { budget_id: "m".into(), split_value: String::new(), period_start: p };
    assert_eq!(
        s.cap_spent(&[key(current.start), key(last.start)]).await.unwrap(),
        vec![Nanos(2 * DOLLAR), Nanos(9 * DOLLAR)]
    );
    // Older than the period before the budget's creation: not counted.
    let out = s.insert_events(&[at("ancient", last.start - Duration::days(40), DOLLAR, team)]).await.unwrap();
    assert!(out.budget_changes.is_empty());
}

pub async fn deleting_a_budget_keeps_its_alerts(s: Arc<dyn Store>) {
    let team = tags(&[("team", "platform")]);
    s.create_budget(&budget("gone", team.clone(), None, DOLLAR, &[50, 100], false), Utc::now()).await.unwrap();
    s.insert_events(&[at("e1", this_month().start, DOLLAR, team)]).await.unwrap();
    assert!(s.delete_budget("gone").await.unwrap());
    assert!(!s.delete_budget("gone").await.unwrap());
    assert!(s.get_budget("gone").await.unwrap().is_none());
    let kept =
        s.list_alerts(&AlertQuery { budget_id: Some("gone".into()), limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(kept.len(), 2, "50% and 100%");
    assert!(kept.iter().all(|a| a.budget_name == "budget gone"));
}

pub async fn concurrent_batches_fire_each_alert_once(s: Arc<dyn Store>) {
    let team = tags(&[("team", "platform")]);
    s.create_budget(&budget("c", team.clone(), None, 40 * DOLLAR, &[25, 50, 75], true), Utc::now()).await.unwrap();
    let start = this_month().start;
    let mut tasks = Vec::new();
    for w in 0..8 {
        let (s, team) = (s.clone(), team.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..5 {
                let batch: Vec<_> = (0..3).map(|j| at(&format!("w{w}-{i}-{j}"), start, DOLLAR, team.clone())).collect();
                let mut tries = 0;
                loop {
                    match s.insert_events(&batch).await {
                        Ok(_) => break,
                        Err(e) if e.is_transient() && tries < 20 => tries += 1,
                        Err(e) => panic!("{e}"),
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let key = CounterKey { budget_id: "c".into(), split_value: String::new(), period_start: start };
    assert_eq!(s.cap_spent(&[key]).await.unwrap(), vec![Nanos(120 * DOLLAR)]);
    let got: Vec<(AlertKind, u32)> = alerts(&s, "c").await.into_iter().map(|a| (a.0, a.1)).collect();
    assert_eq!(
        got,
        vec![(AlertKind::Threshold, 25), (AlertKind::Threshold, 50), (AlertKind::Threshold, 75), (AlertKind::Cap, 100)]
    );
}

pub async fn editing_a_budget_recounts_it(s: Arc<dyn Store>) {
    let start = this_month().start;
    s.insert_events(&[
        at("p", start, 2 * DOLLAR, tags(&[("team", "platform")])),
        at("q", start, 3 * DOLLAR, tags(&[("team", "search")])),
    ])
    .await
    .unwrap();
    let mut b = s
        .create_budget(&budget("e", tags(&[("team", "platform")]), None, DOLLAR, &[], false), Utc::now())
        .await
        .unwrap();
    b.spec.scope = tags(&[("team", "search")]);
    b.spec.name = "renamed".into();
    let key = CounterKey { budget_id: "e".into(), split_value: String::new(), period_start: start };
    assert_eq!(s.cap_spent(std::slice::from_ref(&key)).await.unwrap(), vec![Nanos(2 * DOLLAR)]);
    let saved = s.update_budget(&b, Utc::now()).await.unwrap().unwrap();
    assert_eq!(s.cap_spent(&[key]).await.unwrap(), vec![Nanos(3 * DOLLAR)], "the check sees the recount at once");
    assert_eq!((saved.spec.name.as_str(), saved.created_by.as_str()), ("renamed", "lead@example.com"));
    assert_eq!(s.budget_counters("e", start, 5).await.unwrap()[0].spent, Nanos(3 * DOLLAR));
    assert_eq!(s.list_budgets().await.unwrap().len(), 1);
    let mut missing = b.clone();
    missing.id = "nope".into();
    assert!(s.update_budget(&missing, Utc::now()).await.unwrap().is_none());
    assert_eq!(s.known_tag_keys().await.unwrap(), vec!["team".to_string()]);
}

pub async fn alert_delivery_is_leased_recorded_and_acknowledged(s: Arc<dyn Store>) {
    let team = tags(&[("team", "platform")]);
    s.create_budget(&budget("d", team.clone(), None, DOLLAR, &[], true), Utc::now()).await.unwrap();
    let out = s.insert_events(&[at("e", this_month().start, DOLLAR, team)]).await.unwrap();
    let id = out.alerts[0];
    let now = DateTime::from_timestamp(Utc::now().timestamp() + 1, 0).unwrap();
    let lease = now + Duration::seconds(30);
    let claimed = s.claim_alerts(now, lease, 10).await.unwrap();
    assert_eq!(claimed.iter().map(|a| a.id).collect::<Vec<_>>(), vec![id]);
    assert!(s.claim_alerts(now, lease, 10).await.unwrap().is_empty(), "leased to the first");
    let failed = Attempt { attempt: 1, at: now, status: Some(500), error: Some("HTTP 500".into()), duration_ms: 12 };
    let lost = now + Duration::seconds(31);
    assert!(!s.finish_attempt(id, lost, Some(&failed), Delivery::Delivered, None).await.unwrap(), "not its lease");
    assert!(s
        .finish_attempt(id, lease, Some(&failed), Delivery::Pending, Some(now + Duration::seconds(10)))
        .await
        .unwrap());
    assert!(s.claim_alerts(now, now + Duration::seconds(30), 10).await.unwrap().is_empty(), "not due yet");
    let later = now + Duration::seconds(11);
    assert_eq!(s.claim_alerts(later, later + Duration::seconds(30), 10).await.unwrap().len(), 1);
    let ok = Attempt { attempt: 2, at: later, status: Some(200), error: None, duration_ms: 8 };
    assert!(s.finish_attempt(id, later + Duration::seconds(30), Some(&ok), Delivery::Delivered, None).await.unwrap());
    let a = s.get_alert(id).await.unwrap().unwrap();
    assert_eq!((a.delivery, a.attempts), (Delivery::Delivered, 2));
    assert_eq!(s.alert_attempts(id).await.unwrap(), vec![failed, ok]);

    let acked = s.ack_alert(id, "ana@example.com", later).await.unwrap().unwrap();
    assert_eq!(acked.acked_by.as_deref(), Some("ana@example.com"));
    let again = s.ack_alert(id, "ben@example.com", later + Duration::seconds(5)).await.unwrap().unwrap();
    assert_eq!(again.acked_by.as_deref(), Some("ana@example.com"), "the first acknowledgement stands");
    assert!(s.ack_alert(999_999, "x", later).await.unwrap().is_none());
    let open = s.list_alerts(&AlertQuery { acked: Some(false), limit: 10, ..Default::default() }).await.unwrap();
    assert!(open.is_empty());
}

pub async fn a_day_budget_resets_at_local_midnight_across_a_dst_change(s: Arc<dyn Store>) {
    // America/Santiago springs forward at local midnight on 6 September 2026: 00:00 -04 becomes 01:00 -03.
    let mut b = budget("dst", tags(&[("team", "platform")]), None, 10 * DOLLAR, &[], true);
    b.spec.period = BudgetPeriod::Day;
    b.spec.time_zone = "America/Santiago".into();
    s.create_budget(&b, crate::cases::t("2026-09-06T12:00:00Z")).await.unwrap();
    let team = tags(&[("team", "platform")]);
    let before = at("sat-late", crate::cases::t("2026-09-06T03:30:00Z"), DOLLAR, team.clone()); // 23:30 on the 5th
    let after = at("sun-early", crate::cases::t("2026-09-06T04:30:00Z"), 2 * DOLLAR, team); // 01:30 on the 6th
    let out = s.insert_events(&[before, after]).await.unwrap();
    let mut starts: Vec<(DateTime<Utc>, DateTime<Utc>, Nanos)> =
        out.budget_changes.iter().map(|c| (c.window.start, c.window.end, c.after)).collect();
    starts.sort();
    assert_eq!(
        starts,
        vec![
            (crate::cases::t("2026-09-05T04:00:00Z"), crate::cases::t("2026-09-06T04:00:00Z"), Nanos(DOLLAR)),
            (crate::cases::t("2026-09-06T04:00:00Z"), crate::cases::t("2026-09-07T03:00:00Z"), Nanos(2 * DOLLAR)),
        ]
    );
}

pub async fn changing_the_amount_fires_what_the_new_amount_has_passed(s: Arc<dyn Store>) {
    let team = tags(&[("team", "platform")]);
    let start = this_month().start;
    let mut b =
        s.create_budget(&budget("amt", team.clone(), None, 10 * DOLLAR, &[50], true), Utc::now()).await.unwrap();
    s.insert_events(&[at("a", start, 8 * DOLLAR, team.clone())]).await.unwrap();
    assert_eq!(alerts(&s, "amt").await.len(), 1, "50% of $10");
    // Lowered below what is spent: the cap and the threshold fire at once, for the new amount.
    b.spec.amount = Nanos(6 * DOLLAR);
    s.update_budget(&b, Utc::now()).await.unwrap();
    let fired: Vec<(AlertKind, u32)> = alerts(&s, "amt").await.into_iter().map(|a| (a.0, a.1)).collect();
    assert_eq!(fired, vec![(AlertKind::Threshold, 50), (AlertKind::Threshold, 50), (AlertKind::Cap, 100)]);
    // Raised again, the cap at the new amount fires when spend reaches it, once.
    b.spec.amount = Nanos(12 * DOLLAR);
    s.update_budget(&b, Utc::now()).await.unwrap();
    s.insert_events(&[at("b", start, 5 * DOLLAR, team)]).await.unwrap();
    let caps: Vec<Nanos> = s
        .list_alerts(&AlertQuery {
            budget_id: Some("amt".into()),
            kind: Some(AlertKind::Cap),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.limit)
        .collect();
    assert_eq!(caps, vec![Nanos(12 * DOLLAR), Nanos(6 * DOLLAR)]);
}
