//! The conformance cases. Each takes a fresh, migrated store.

use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::attribution::report::Totals;
use domain::{CostSource, Event, Nanos, PricedEvent, SpendQuery, TagKey, TagSet, Usage};
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use store::{ApiKeyRecord, Store};

pub use crate::bill_cases::*;
pub use crate::budget_cases::*;
pub use crate::catalog_cases::*;
pub use crate::plan_cases::*;
pub use crate::reservation_cases::*;
pub use crate::retention_cases::*;
pub use crate::signal_cases::*;
pub use crate::task_cases::*;

pub(crate) fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub(crate) fn tags(pairs: &[(&str, &str)]) -> TagSet {
    let mut s = TagSet::new();
    for (k, v) in pairs {
        s.insert(TagKey::parse(k).unwrap(), *v);
    }
    s
}

pub(crate) fn ev(id: &str, at: &str, model: &str, cost: Option<i64>, tags_: TagSet) -> PricedEvent {
    PricedEvent {
        event: Event {
            id: id.into(),
            timestamp: t(at),
            model: model.into(),
            provider: Some("openai".into()),
            usage: Usage {
                input_tokens: 1000,
                output_tokens: 100,
                cache_read_tokens: 400,
                cache_write_tokens: 0,
                reasoning_tokens: 10,
            },
            cost: cost.map(Nanos),
            task_id: None,
            tags: tags_,
            usage_note: None,
        },
        cost: cost.map(Nanos),
        source: if cost.is_some() { CostSource::Catalog } else { CostSource::Unpriced },
    }
}

fn q(params: &[(&str, &str)]) -> SpendQuery {
    let p: Vec<(String, String)> = params.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    SpendQuery::from_params(&p, t("2026-12-01T00:00:00Z")).unwrap()
}

pub async fn totals_match_what_was_inserted(s: Arc<dyn Store>) {
    let batch = vec![
        ev("a", "2026-11-02T10:00:00Z", "gpt-4o", Some(1_000), tags(&[("team", "core")])),
        ev("b", "2026-11-02T11:30:00Z", "gpt-4o", Some(2_500), tags(&[("team", "core")])),
        ev("c", "2026-11-03T09:00:00Z", "gpt-4o-mini", Some(7), tags(&[("team", "growth")])),
    ];
    let out = s.insert_events(&batch).await.unwrap();
    assert_eq!(out.inserted.len(), 3);
    assert_eq!(s.count_events().await.unwrap(), 3);
    let r = s.spend(&q(&[("from", "2026-11-01"), ("to", "2026-11-30"), ("group_by", "team")])).await.unwrap();
    assert_eq!(r.total.cost, Nanos(3_507));
    assert_eq!(r.total.calls, 3);
    assert_eq!(r.total.input_tokens, 3_000);
    assert_eq!(r.total.cache_read_tokens, 1_200);
    assert_eq!(r.total.reasoning_tokens, 30);
    assert_eq!(r.groups.len(), 2);
    assert_eq!(r.groups[0].values, vec![Some("core".to_string())]);
    assert_eq!(r.groups[0].totals.cost, Nanos(3_500));
}

pub async fn replays_are_counted_once(s: Arc<dyn Store>) {
    let batch = vec![
        ev("a", "2026-11-02T10:00:00Z", "gpt-4o", Some(1_000), TagSet::new()),
        ev("a", "2026-11-02T10:00:00Z", "gpt-4o", Some(1_000), TagSet::new()),
        ev("b", "2026-11-02T10:00:00Z", "gpt-4o", Some(1_000), TagSet::new()),
    ];
    assert_eq!(s.insert_events(&batch).await.unwrap().inserted.len(), 2);
    assert_eq!(s.insert_events(&batch).await.unwrap().inserted.len(), 0);
    let r = s.spend(&q(&[("from", "2026-11-01"), ("to", "2026-11-30")])).await.unwrap();
    assert_eq!(r.total.calls, 2);
    assert_eq!(r.total.cost, Nanos(2_000));
}

pub async fn concurrent_replays_are_counted_once(s: Arc<dyn Store>) {
    let batch: Vec<PricedEvent> = (0..300)
        .map(|i| {
            let team = format!("team-{}", i % 7);
            ev(&format!("e{i}"), "2026-11-05T12:00:00Z", "gpt-4o", Some(10), tags(&[("team", team.as_str())]))
        })
        .collect();
    let batch = Arc::new(batch);
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let (s, b) = (s.clone(), batch.clone());
        tasks.push(tokio::spawn(async move { s.insert_events(&b).await.unwrap().inserted.len() }));
    }
    let mut total_inserted = 0;
    for t in tasks {
        total_inserted += t.await.unwrap();
    }
    assert_eq!(total_inserted, 300);
    let r = s.spend(&q(&[("from", "2026-11-01"), ("to", "2026-11-30"), ("group_by", "team")])).await.unwrap();
    assert_eq!(r.total.calls, 300);
    assert_eq!(r.total.cost, Nanos(3_000));
    assert_eq!(r.groups.len(), 7);
}

pub async fn rollups_agree_with_raw_events(s: Arc<dyn Store>) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let start = t("2026-11-01T00:00:00Z");
    let teams = ["core", "growth", "search"];
    let models = ["gpt-4o", "claude-sonnet-4-5", "gemini-2.5-flash"];
    let mut batch = Vec::new();
    for i in 0..2_000 {
        let at = start + Duration::seconds(rng.gen_range(0..10 * 86_400));
        let mut tg = TagSet::new();
        if rng.gen_bool(0.8) {
            tg.insert(TagKey::parse("team").unwrap(), teams[rng.gen_range(0..3)]);
        }
        if rng.gen_bool(0.5) {
            tg.insert(TagKey::parse("workflow").unwrap(), format!("wf-{}", rng.gen_range(0..4)));
        }
        if rng.gen_bool(0.7) {
            tg.insert(TagKey::parse("user").unwrap(), format!("user-{}", rng.gen_range(0..40)));
        }
        let cost = if rng.gen_bool(0.95) { Some(rng.gen_range(0..5_000_000)) } else { None };
        let mut e = ev(&format!("r{i}"), "2026-11-01T00:00:00Z", models[rng.gen_range(0..3)], cost, tg);
        e.event.timestamp = at;
        e.event.provider = if rng.gen_bool(0.9) { Some("p".into()) } else { None };
        e.event.usage.input_tokens = rng.gen_range(500..5_000);
        batch.push(e);
    }
    for chunk in batch.chunks(500) {
        s.insert_events(chunk).await.unwrap();
    }
    let queries = [
        q(&[("from", "2026-11-01"), ("to", "2026-11-10")]),
        q(&[("from", "2026-11-01T05:17:00Z"), ("to", "2026-11-09T21:42:10Z"), ("group_by", "team,model")]),
        q(&[
            ("from", "2026-11-02T03:00:00Z"),
            ("to", "2026-11-08T00:00:00Z"),
            ("group_by", "workflow"),
            ("granularity", "day"),
        ]),
        q(&[
            ("from", "2026-11-03T10:10:00Z"),
            ("to", "2026-11-04T12:00:00Z"),
            ("group_by", "provider"),
            ("granularity", "hour"),
        ]),
        q(&[
            ("from", "2026-10-20"),
            ("to", "2026-11-20"),
            ("group_by", "team"),
            ("granularity", "week"),
            ("filter", "model:gpt-4o"),
        ]),
        q(&[
            ("from", "2026-11-01"),
            ("to", "2026-12-01"),
            ("group_by", "model,team,workflow"),
            ("granularity", "month"),
        ]),
        q(&[("from", "2026-11-01T00:30:00Z"), ("to", "2026-11-01T00:45:00Z"), ("group_by", "team")]),
        q(&[("from", "2026-11-01"), ("to", "2026-11-10"), ("group_by", "team,user"), ("granularity", "day")]),
        q(&[("from", "2026-11-01"), ("to", "2026-11-10"), ("group_by", "workflow"), ("filter", "user:user-3")]),
    ];
    // Grouping or filtering by `user` reads events; the others read rollups. Both agree.
    assert!(queries[1].rollups_suffice());
    assert!(!queries[7].rollups_suffice());
    for query in &queries {
        let fast = s.spend(query).await.unwrap();
        let slow = s.spend_from_events(query).await.unwrap();
        assert_eq!(fast, slow, "rollups disagree with raw events for {query:?}");
    }
    let all = s.spend(&queries[0]).await.unwrap();
    let expected: i64 = batch.iter().filter_map(|e| e.cost).map(|c| c.0).sum();
    assert_eq!(all.total.cost, Nanos(expected));
    assert_eq!(all.total.calls, 2_000);
}

pub async fn untagged_spend_is_its_own_group(s: Arc<dyn Store>) {
    let batch = vec![
        ev("a", "2026-11-02T10:00:00Z", "gpt-4o", Some(100), tags(&[("team", "core")])),
        ev("b", "2026-11-02T10:00:00Z", "gpt-4o", Some(300), tags(&[("workflow", "x")])),
        ev("c", "2026-11-02T10:00:00Z", "gpt-4o", Some(600), TagSet::new()),
    ];
    s.insert_events(&batch).await.unwrap();
    let r = s.spend(&q(&[("from", "2026-11-01"), ("to", "2026-11-30"), ("group_by", "team")])).await.unwrap();
    assert_eq!(r.groups[0].values, vec![None]);
    assert_eq!(r.groups[0].totals.cost, Nanos(900));
    assert_eq!(r.groups[0].share, "0.9");
    assert_eq!(r.groups[1].values, vec![Some("core".into())]);
}

pub async fn unpriced_events_are_kept_and_counted(s: Arc<dyn Store>) {
    let batch = vec![
        ev("a", "2026-11-02T10:00:00Z", "my-finetune", None, TagSet::new()),
        ev("b", "2026-11-02T10:00:00Z", "gpt-4o", Some(5), TagSet::new()),
    ];
    s.insert_events(&batch).await.unwrap();
    let r = s.spend(&q(&[("from", "2026-11-01"), ("to", "2026-11-30"), ("group_by", "model")])).await.unwrap();
    assert_eq!(r.total.calls, 2);
    assert_eq!(r.total.unpriced_calls, 1);
    assert_eq!(r.total.cost, Nanos(5));
    let ft = r.groups.iter().find(|g| g.values == vec![Some("my-finetune".to_string())]).unwrap();
    assert_eq!(
        ft.totals,
        Totals {
            calls: 1,
            unpriced_calls: 1,
            input_tokens: 1000,
            output_tokens: 100,
            cache_read_tokens: 400,
            reasoning_tokens: 10,
            ..Totals::default()
        }
    );
}

pub async fn filters_select_values_and_untagged(s: Arc<dyn Store>) {
    let batch = vec![
        ev("a", "2026-11-02T10:00:00Z", "gpt-4o", Some(1), tags(&[("team", "core"), ("product", "bot")])),
        ev("b", "2026-11-02T10:00:00Z", "gpt-4o", Some(10), tags(&[("team", "growth"), ("product", "bot")])),
        ev("c", "2026-11-02T10:00:00Z", "gpt-4o", Some(100), tags(&[("product", "bot")])),
        ev("d", "2026-11-02T10:00:00Z", "gpt-4o-mini", Some(1000), tags(&[("team", "core")])),
    ];
    s.insert_events(&batch).await.unwrap();
    let cost = |params: &[(&str, &str)]| {
        let mut p = vec![("from", "2026-11-01"), ("to", "2026-11-30")];
        p.extend_from_slice(params);
        let s = s.clone();
        let query = q(&p);
        async move { s.spend(&query).await.unwrap().total.cost.0 }
    };
    assert_eq!(cost(&[("filter", "team:core")]).await, 1001);
    assert_eq!(cost(&[("filter", "team:core"), ("filter", "team:growth")]).await, 1011);
    assert_eq!(cost(&[("filter", "team:")]).await, 100);
    assert_eq!(cost(&[("filter", "team:core"), ("filter", "product:bot")]).await, 1);
    assert_eq!(cost(&[("filter", "model:gpt-4o-mini")]).await, 1000);
    assert_eq!(cost(&[("filter", "provider:openai")]).await, 1111);
    assert_eq!(cost(&[("filter", "team:nobody")]).await, 0);
}

pub async fn api_keys_round_trip(s: Arc<dyn Store>) {
    let k = ApiKeyRecord {
        id: "k1".into(),
        name: "ci".into(),
        created_by: "ana@example.com".into(),
        prefix: "bsr_abcd".into(),
        key_hash: "deadbeef".into(),
        scopes: vec!["ingest".into(), "read".into()],
        created: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
        last_used: None,
        revoked: None,
        tag_limits: None,
    };
    s.create_api_key(&k).await.unwrap();
    assert_eq!(s.find_api_key("deadbeef").await.unwrap(), Some(k.clone()));
    assert_eq!(s.find_api_key("nope").await.unwrap(), None);
    let at = Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0).unwrap();
    s.touch_api_key("k1", at).await.unwrap();
    assert_eq!(s.find_api_key("deadbeef").await.unwrap().unwrap().last_used, Some(at));
    assert!(matches!(s.create_api_key(&k).await, Err(store::StoreError::Conflict(_))));
    let newer = ApiKeyRecord {
        id: "k2".into(),
        key_hash: "feedface".into(),
        created: Utc.with_ymd_and_hms(2026, 11, 3, 0, 0, 0).unwrap(),
        tag_limits: Some(domain::ingest::key_limits::TagLimits::parse("team=search, team=search-infra").unwrap()),
        ..k.clone()
    };
    s.create_api_key(&newer).await.unwrap();
    assert_eq!(s.find_api_key("feedface").await.unwrap(), Some(newer.clone()), "a key's tag restriction round-trips");
    let listed: Vec<String> = s.list_api_keys().await.unwrap().into_iter().map(|k| k.id).collect();
    assert_eq!(listed, vec!["k2", "k1"], "newest first");
    assert!(s.revoke_api_key("k1", at).await.unwrap());
    assert!(!s.revoke_api_key("k1", at).await.unwrap(), "already revoked");
    assert!(!s.revoke_api_key("nope", at).await.unwrap());
    assert_eq!(s.find_api_key("deadbeef").await.unwrap().unwrap().revoked, Some(at));
}

pub async fn migrations_are_idempotent(s: Arc<dyn Store>) {
    s.migrate().await.unwrap();
    s.migrate().await.unwrap();
    assert_eq!(s.count_events().await.unwrap(), 0);
}

pub async fn concurrent_batches_in_any_order_all_land(s: Arc<dyn Store>) {
    // Batches share ids and brand-new tag sets but list them in different orders.
    let make = |ids: Vec<usize>| -> Vec<PricedEvent> {
        ids.into_iter()
            .map(|i| {
                let team = format!("t{}", i % 50);
                ev(&format!("x{i}"), "2026-11-05T12:00:00Z", "gpt-4o", Some(1), tags(&[("team", team.as_str())]))
            })
            .collect()
    };
    let mut tasks = Vec::new();
    for k in 0..6usize {
        let mut ids: Vec<usize> = (0..400).collect();
        if k % 2 == 1 {
            ids.reverse();
        }
        ids.rotate_left(k * 37);
        let (s, batch) = (s.clone(), make(ids));
        tasks.push(tokio::spawn(async move { s.insert_events(&batch).await.map(|o| o.inserted.len()) }));
    }
    let mut inserted = 0;
    for t in tasks {
        inserted += t.await.unwrap().expect("no batch may fail");
    }
    assert_eq!(inserted, 400);
    let r = s.spend(&q(&[("from", "2026-11-01"), ("to", "2026-11-30"), ("group_by", "team")])).await.unwrap();
    assert_eq!(r.total.calls, 400);
    assert_eq!(r.groups.len(), 50);
}

fn user(id: &str, email: &str) -> store::UserRecord {
    store::UserRecord {
        id: id.into(),
        email: email.into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        role: "lead".into(),
        teams: vec!["platform".into(), "search".into()],
        created: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
        deactivated: None,
        password_changed: None,
    }
}

pub async fn people_round_trip(s: Arc<dyn Store>) {
    assert_eq!(s.count_users().await.unwrap(), 0);
    let u = user("u1", "ana@example.com");
    s.create_user(&u).await.unwrap();
    assert_eq!(s.find_user("u1").await.unwrap(), Some(u.clone()));
    assert_eq!(s.find_user_by_email("ana@example.com").await.unwrap(), Some(u.clone()));
    assert_eq!(s.find_user_by_email("bob@example.com").await.unwrap(), None);
    let dup = user("u2", "ana@example.com");
    assert!(matches!(s.create_user(&dup).await, Err(store::StoreError::Conflict(_))));
    s.create_user(&user("u3", "bob@example.com")).await.unwrap();
    let all = s.list_users().await.unwrap();
    assert_eq!(all.iter().map(|u| u.email.as_str()).collect::<Vec<_>>(), vec!["ana@example.com", "bob@example.com"]);
    assert!(!format!("{u:?}").contains("argon2"), "password hashes stay out of Debug");
    let off = Utc.with_ymd_and_hms(2026, 11, 5, 0, 0, 0).unwrap();
    assert!(s.update_user("u1", "lead", &["platform".into(), "data".into()], Some(off)).await.unwrap());
    let changed = s.find_user("u1").await.unwrap().unwrap();
    assert_eq!(
        (changed.role.as_str(), changed.teams.clone(), changed.deactivated),
        ("lead", vec!["platform".to_string(), "data".to_string()], Some(off))
    );
    assert!(!s.update_user("nobody", "viewer", &[], None).await.unwrap());
    let reset = Utc.with_ymd_and_hms(2026, 11, 6, 0, 0, 0).unwrap();
    assert!(s.set_password("u1", "$argon2id$new", reset).await.unwrap());
    let after = s.find_user("u1").await.unwrap().unwrap();
    assert_eq!((after.password_hash.as_str(), after.password_changed), ("$argon2id$new", Some(reset)));
    assert!(!s.set_password("nobody", "x", reset).await.unwrap());
}

pub async fn sessions_expire_and_are_deleted(s: Arc<dyn Store>) {
    let now = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap();
    s.save_session("a", "{\"x\":1}", now + Duration::hours(1)).await.unwrap();
    s.save_session("b", "{}", now - Duration::seconds(1)).await.unwrap();
    assert_eq!(s.load_session("a", now).await.unwrap(), Some(("{\"x\":1}".to_string(), now + Duration::hours(1))));
    assert_eq!(s.load_session("b", now).await.unwrap(), None, "an expired session does not load");
    s.save_session("a", "{\"x\":2}", now + Duration::hours(2)).await.unwrap();
    assert_eq!(s.load_session("a", now).await.unwrap().map(|(d, _)| d).as_deref(), Some("{\"x\":2}"));
    assert_eq!(s.delete_expired_sessions(now).await.unwrap(), 1);
    s.delete_session("a").await.unwrap();
    assert_eq!(s.load_session("a", now).await.unwrap(), None);
}

pub async fn login_failures_and_setup_tokens(s: Arc<dyn Store>) {
    let now = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap();
    let since = now - Duration::minutes(15);
    for i in 0..3 {
        s.record_login_attempt("ana@example.com", "10.0.0.1", now - Duration::minutes(i * 10), since).await.unwrap();
    }
    // Counted with the attempt being recorded: per email from this client, and per client.
    let counts = s.record_login_attempt("bo@example.com", "10.0.0.1", now, since).await.unwrap();
    assert_eq!(counts, (1, 3), "bo once from 10.0.0.1; 10.0.0.1 three times in the window");
    assert_eq!(s.record_login_attempt("ana@example.com", "10.0.0.2", now, since).await.unwrap(), (1, 1));
    assert_eq!(s.count_login_failures("ana@example.com", since).await.unwrap(), 3);
    // Rows older than the window are pruned; the rest stay.
    assert_eq!(s.prune_login_failures(since).await.unwrap(), 1);
    assert_eq!(s.count_login_failures("ana@example.com", now - Duration::days(1)).await.unwrap(), 3);
    s.clear_login_failures("ana@example.com").await.unwrap();
    assert_eq!(s.count_login_failures("ana@example.com", now - Duration::days(1)).await.unwrap(), 0);
    s.create_setup_token("h1", now).await.unwrap();
    let issued_after = now - Duration::hours(24);
    assert!(s.use_setup_token("h1", now, issued_after).await.unwrap());
    assert!(!s.use_setup_token("h1", now, issued_after).await.unwrap(), "a setup token works once");
    assert!(!s.use_setup_token("nope", now, issued_after).await.unwrap());
    s.create_setup_token("old", now - Duration::hours(25)).await.unwrap();
    assert!(!s.use_setup_token("old", now, issued_after).await.unwrap(), "an expired setup token does not work");
}

pub async fn calls_list_by_filter_and_task(s: Arc<dyn Store>) {
    let mut batch = Vec::new();
    for i in 0..30 {
        let team = if i % 3 == 0 { "core" } else { "growth" };
        let mut e = ev(&format!("c{i:02}"), "2026-11-02T10:00:00Z", "gpt-4o", Some(i), tags(&[("team", team)]));
        e.event.timestamp = t("2026-11-02T10:00:00Z") + Duration::seconds(i);
        e.event.task_id = Some(format!("task-{}", i % 2));
        batch.push(e);
    }
    s.insert_events(&batch).await.unwrap();
    let page = |offset: u32, task: Option<&str>, params: &[(&str, &str)]| {
        let mut p = vec![("from", "2026-11-01"), ("to", "2026-11-30")];
        p.extend_from_slice(params);
        store::EventQuery { spend: q(&p), task_id: task.map(String::from), limit: 4, offset }
    };
    let first = s.list_events(&page(0, None, &[("filter", "team:core")])).await.unwrap();
    assert_eq!(first.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), vec!["c27", "c24", "c21", "c18"]);
    assert_eq!(first[0].tags.get("team"), Some("core"));
    assert_eq!(first[0].cost, Some(Nanos(27)));
    assert_eq!(first[0].provider.as_deref(), Some("openai"));
    let second = s.list_events(&page(4, None, &[("filter", "team:core")])).await.unwrap();
    assert_eq!(second[0].id, "c15");
    let task = s.list_events(&page(0, Some("task-1"), &[])).await.unwrap();
    assert_eq!(task.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), vec!["c01", "c03", "c05", "c07"]);
}
