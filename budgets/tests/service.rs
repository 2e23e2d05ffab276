//! The budget service against a real (SQLite) store: who may save what, the
//! pre-call check, what ingest reports, and the forecast sweep.

use budgets::caps::{reached, CheckRequest};
use budgets::{Actor, BudgetError, Budgets};
use chrono::{Duration, Utc};
use domain::budgets::budget::BudgetPeriod;
use domain::budgets::draft::Draft;
use domain::budgets::window::{self, Tz};
use domain::people::users::{Person, Role};
use domain::{CostSource, Event, Nanos, PricedEvent, TagKey, TagSet, Usage};
use std::sync::Arc;
use store::{AlertQuery, SqliteStore, Store};

async fn service() -> (Arc<Budgets>, Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("b.db").display());
    let store: Arc<dyn Store> = Arc::new(SqliteStore::connect(&url).await.unwrap());
    store.migrate().await.unwrap();
    (Budgets::new(store.clone(), "UTC"), store, dir)
}

fn person(role: Role, teams: &[&str]) -> Actor {
    Actor::Person(Person {
        id: "u".into(),
        email: format!("{}@example.com", role.as_str()),
        role,
        teams: teams.iter().map(|t| t.to_string()).collect(),
    })
}

fn draft(scope: &[(&str, &str)], split: &str, amount: &str) -> Draft {
    Draft {
        name: "Test".into(),
        scope: scope.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        split_by: split.into(),
        period: "month".into(),
        amount: amount.into(),
        thresholds: "50, 80".into(),
        hard_cap: true,
        ..Draft::default()
    }
}

fn tags(pairs: &[(&str, &str)]) -> TagSet {
    let mut s = TagSet::new();
    for (k, v) in pairs {
        s.insert(TagKey::parse(k).unwrap(), *v);
    }
    s
}

fn call(id: &str, cost: i64, tags: TagSet, task: Option<&str>) -> PricedEvent {
    PricedEvent {
        event: Event {
            id: id.into(),
            timestamp: Utc::now(),
            model: "gpt-4o".into(),
            provider: None,
            usage: Usage::default(),
            cost: Some(Nanos(cost)),
            task_id: task.map(String::from),
            tags,
            usage_note: None,
        },
        cost: Some(Nanos(cost)),
        source: CostSource::Caller,
    }
}

#[tokio::test]
async fn leads_may_only_budget_for_their_own_teams() {
    let (svc, _, _dir) = service().await;
    let lead = person(Role::Lead, &["platform"]);
    let now = Utc::now();
    fn refused<T: std::fmt::Debug>(r: Result<T, BudgetError>) -> String {
        match r {
            Err(BudgetError::Forbidden(m)) => m,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
    let m = refused(svc.save(&lead, None, &draft(&[], "", "100"), now).await);
    assert!(m.contains("add team=platform"), "{m}");
    let m = refused(svc.save(&lead, None, &draft(&[("team", "search")], "", "100"), now).await);
    assert!(m.contains("you lead platform"), "{m}");
    refused(svc.save(&person(Role::Viewer, &[]), None, &draft(&[("team", "platform")], "", "100"), now).await);
    let mine = svc.save(&lead, None, &draft(&[("team", "platform")], "", "100"), now).await.unwrap();
    assert_eq!((mine.created_by.as_str(), mine.spec.owner.as_str()), ("lead@example.com", "lead@example.com"));
    // Nor may a lead move their budget to another team, or touch an admin's company-wide one.
    refused(svc.save(&lead, Some(&mine.id), &draft(&[("team", "search")], "", "100"), now).await);
    let admin = person(Role::Admin, &[]);
    let all = svc.save(&admin, None, &draft(&[], "", "1000"), now).await.unwrap();
    refused(svc.delete(&lead, &all.id).await);
    svc.delete(&lead, &mine.id).await.unwrap();
    assert!(matches!(svc.delete(&admin, &mine.id).await, Err(BudgetError::NotFound(_))));
}

#[tokio::test]
async fn invalid_drafts_report_every_field() {
    let (svc, _, _dir) = service().await;
    let mut d = draft(&[("region", "eu")], "customer", "-5");
    d.thresholds = "80, 50".into();
    let Err(BudgetError::Invalid(errors)) = svc.save(&person(Role::Admin, &[]), None, &d, Utc::now()).await else {
        panic!("expected field errors")
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, vec!["scope", "split_by", "amount", "thresholds"]);
}

#[tokio::test]
async fn the_check_refuses_calls_once_a_cap_is_reached() {
    let (svc, store, _dir) = service().await;
    let admin = person(Role::Admin, &[]);
    let per_task =
        svc.save(&admin, None, &draft(&[("workflow", "bug-triage")], "task", "5"), Utc::now()).await.unwrap();
    let ask = |task: &str, estimate: Option<i64>| CheckRequest {
        tags: tags(&[("workflow", "bug-triage")]),
        task_id: Some(task.into()),
        model: None,
        estimated_cost: estimate.map(Nanos),
        reserve: None,
    };
    let dollars = 1_000_000_000;
    assert!(svc.caps.check(&ask("t1", None), Utc::now()).await.unwrap().blocked_by.is_empty());
    let out =
        store.insert_events(&[call("a", 4 * dollars, tags(&[("workflow", "bug-triage")]), Some("t1"))]).await.unwrap();
    assert!(reached(&out.budget_changes).is_empty());
    assert!(svc.caps.check(&ask("t1", None), Utc::now()).await.unwrap().blocked_by.is_empty());
    let over = svc.caps.check(&ask("t1", Some(2 * dollars)), Utc::now()).await.unwrap().blocked_by;
    assert_eq!(over.len(), 1, "the estimate would pass the cap");
    let out =
        store.insert_events(&[call("b", dollars, tags(&[("workflow", "bug-triage")]), Some("t1"))]).await.unwrap();
    let hit = reached(&out.budget_changes);
    assert_eq!((hit[0].budget_id.as_str(), hit[0].split_value.as_deref()), (per_task.id.as_str(), Some("t1")));
    let blocked = svc.caps.check(&ask("t1", None), Utc::now()).await.unwrap().blocked_by;
    assert_eq!((blocked[0].spent, blocked[0].limit), (Nanos(5 * dollars), Nanos(5 * dollars)));
    assert!(
        svc.caps.check(&ask("t2", None), Utc::now()).await.unwrap().blocked_by.is_empty(),
        "another task may go on"
    );
    // A budget without a hard cap never refuses.
    let mut soft = draft(&[("team", "x")], "", "1");
    soft.hard_cap = false;
    svc.save(&admin, None, &soft, Utc::now()).await.unwrap();
    store.insert_events(&[call("c", 2 * dollars, tags(&[("team", "x")]), None)]).await.unwrap();
    let ask_x = CheckRequest { tags: tags(&[("team", "x")]), ..CheckRequest::default() };
    assert!(svc.caps.check(&ask_x, Utc::now()).await.unwrap().blocked_by.is_empty());
}

#[tokio::test]
async fn the_sweep_fires_a_forecast_once_per_period() {
    let (svc, store, _dir) = service().await;
    let admin = person(Role::Admin, &[]);
    let mut d = draft(&[("team", "platform")], "", "100");
    d.hard_cap = false;
    d.thresholds = String::new();
    let b = svc.save(&admin, None, &d, Utc::now()).await.unwrap();
    let w = window::window(BudgetPeriod::Month, Tz::UTC, Utc::now());
    store.insert_events(&[call("a", 60_000_000_000, tags(&[("team", "platform")]), None)]).await.unwrap();
    // Halfway through the month, $60 projects to $120.
    let mid = w.start + (w.end - w.start) / 2;
    assert_eq!(svc.sweep_forecasts(mid).await.unwrap(), 1);
    assert_eq!(svc.sweep_forecasts(mid + Duration::hours(1)).await.unwrap(), 0, "once per period");
    let alerts =
        store.list_alerts(&AlertQuery { budget_id: Some(b.id.clone()), limit: 5, ..Default::default() }).await.unwrap();
    assert_eq!(alerts[0].forecast, Some(Nanos(120_000_000_000)));
    // Near the end of the month, $60 does not project past $100.
    let (svc2, store2, _dir2) = service().await;
    let b2 = svc2.save(&admin, None, &d, Utc::now()).await.unwrap();
    store2.insert_events(&[call("a", 60_000_000_000, tags(&[("team", "platform")]), None)]).await.unwrap();
    assert_eq!(svc2.sweep_forecasts(w.end - Duration::hours(1)).await.unwrap(), 0, "{}", b2.id);
}

#[tokio::test]
async fn the_view_shows_spent_remaining_and_burn() {
    let (svc, store, _dir) = service().await;
    let admin = person(Role::Admin, &[]);
    let b = svc.save(&admin, None, &draft(&[("team", "platform")], "", "10"), Utc::now()).await.unwrap();
    store.insert_events(&[call("a", 4_000_000_000, tags(&[("team", "platform")]), None)]).await.unwrap();
    let v = svc.view(&b.id, Utc::now() + Duration::seconds(1)).await.unwrap().unwrap();
    assert_eq!((v.spent, v.nearest.remaining), (Nanos(4_000_000_000), Nanos(6_000_000_000)));
    assert_eq!(v.burn.last().unwrap().spent, Nanos(4_000_000_000));
    assert_eq!(svc.views(Utc::now()).await.unwrap().len(), 1);
}

/// Leases are asked for beside the checks: a counter's first check is
/// decided exactly and asks for one; the background task grants a tenth of
/// the room, and later checks are admitted from it; a counter near its cap
/// gets a slice too small for a call and is decided exactly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leases_are_granted_beside_the_checks() {
    use budgets::leases::{Answer, Leases};
    use store::CounterKey;
    let (svc, store, _dir) = service().await;
    let each_task = svc.save(&person(Role::Admin, &[]), None, &draft(&[], "task", "10"), Utc::now()).await.unwrap();
    let budgets: Arc<dyn store::BudgetStore> = store.clone();
    let start = window::window(BudgetPeriod::Month, Tz::UTC, Utc::now()).start;
    let key =
        |split: &str| CounterKey { budget_id: each_task.id.clone(), split_value: split.into(), period_start: start };
    let (leases, gather) = (Leases::default(), budgets::gather::Gather::default());
    let (limit, estimate) = (Nanos(10_000_000_000), Nanos(100_000_000)); // $10 cap, $0.10 calls
    let keys = [(key("task-1"), limit)];
    let first = leases.admit(&budgets, &gather, &keys, estimate, Utc::now()).await.unwrap();
    assert!(matches!(first[0], Answer::Load(_)), "no lease yet: decided exactly");
    // The grant arrives in the background: $1, a tenth of the $10 of room.
    let mut admitted = 0;
    for _ in 0..200 {
        match leases.admit(&budgets, &gather, &keys, estimate, Utc::now()).await.unwrap()[0] {
            Answer::Admitted(_) => admitted += 1,
            Answer::Load(_) if admitted == 0 => tokio::time::sleep(std::time::Duration::from_millis(5)).await,
            Answer::Load(_) => break,
        }
    }
    assert!(admitted >= 10, "the lease admitted {admitted} checks");
    assert!(leases.renewals.load(std::sync::atomic::Ordering::Relaxed) >= 1);
    // Renewals come from the room left: with $9.95 spent, a tenth of $0.05 is too small for a
    // $0.10 call, so that counter is decided exactly (and refused by the caller) until it expires.
    store.insert_events(&[call("near", 9_950_000_000, tags(&[]), Some("task-2"))]).await.unwrap();
    let near = [(key("task-2"), limit)];
    let mut loads = Vec::new();
    for _ in 0..50 {
        loads.push(leases.admit(&budgets, &gather, &near, estimate, Utc::now()).await.unwrap()[0]);
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    assert!(loads.iter().all(|a| matches!(a, Answer::Load(_))), "{loads:?}");
}
