//! The catalog service against a real (SQLite) store: the catalog seeded
//! and changed, the taxonomy checked and applied to stored calls by a job,
//! unpriced calls priced and repriced by a job, and every change audited.

use catalog::{CatalogError, CatalogService};
use chrono::{Duration, Utc};
use domain::attribution::taxonomy::{KeyRule, Policy, Taxonomy};
use domain::people::audit::Query;
use domain::pricing::price_edit::PriceDraft;
use domain::{Catalog, CostSource, Event, Nanos, PricedEvent, SpendQuery, TagKey, TagSet, Usage};
use std::sync::Arc;
use std::time::Duration as StdDuration;
use store::{SqliteStore, Store};

const SHIPPED: &str = include_str!("../../catalog/prices.json");

async fn service() -> (Arc<CatalogService>, Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("g.db").display());
    let store: Arc<dyn Store> = Arc::new(SqliteStore::connect(&url).await.unwrap());
    store.migrate().await.unwrap();
    let shipped = Catalog::from_json(SHIPPED).unwrap();
    // No other process to wait for in a test.
    let gov = CatalogService::load_with_settle(store.clone(), &shipped, StdDuration::ZERO).await.unwrap();
    (gov, store, dir)
}

fn call(id: &str, minutes_ago: i64, model: &str, workflow: &str) -> PricedEvent {
    let mut tags = TagSet::new();
    tags.insert(TagKey::parse("workflow").unwrap(), workflow);
    tags.insert(TagKey::parse("team").unwrap(), "platform");
    let event = Event {
        id: id.into(),
        timestamp: Utc::now() - Duration::minutes(minutes_ago),
        model: model.into(),
        provider: None,
        usage: Usage { input_tokens: 10_000, output_tokens: 1_000, ..Default::default() },
        cost: None,
        task_id: None,
        tags,
        usage_note: None,
    };
    let catalog = Catalog::from_json(SHIPPED).unwrap();
    catalog.price(event)
}

fn by_workflow() -> SpendQuery {
    let now = Utc::now();
    let p = vec![
        ("group_by".to_string(), "workflow".to_string()),
        ("from".to_string(), (now - Duration::days(2)).to_rfc3339()),
    ];
    SpendQuery::from_params(&p, now + Duration::hours(1)).unwrap()
}

#[tokio::test]
async fn the_shipped_catalog_seeds_the_database_once() {
    let (gov, store, _dir) = service().await;
    let shipped = Catalog::from_json(SHIPPED).unwrap();
    assert_eq!(store.list_price_models().await.unwrap().len(), shipped.models().len());
    assert!(gov.catalog().find("gpt-4o").is_some());
    let draft = PriceDraft {
        model: "gpt-4o".into(),
        effective_from: "2030-01-01".into(),
        input: "1".into(),
        output: "2".into(),
        ..Default::default()
    };
    gov.add_version("ana@example.com", &draft).await.unwrap();
    // A restart seeds again: the admin's version stays.
    let again = CatalogService::load(store.clone(), &shipped).await.unwrap();
    assert_eq!(again.catalog().find("gpt-4o").unwrap().prices.last().unwrap().effective_from.to_string(), "2030-01-01");
    let log = store.list_audit(&Query { limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(log[0].action, "price.add_version");
    assert_eq!(log[0].actor, "ana@example.com");
    assert!(log[0].before.is_some() && log[0].after.is_some());
}

#[tokio::test]
async fn a_bad_rule_is_refused_naming_its_fields() {
    let (gov, store, _dir) = service().await;
    let rule = KeyRule {
        key: "workflow".into(),
        allowed: vec!["bug-triage".into()],
        aliases: [("bug_triage".to_string(), "triage".to_string())].into(),
        policy: Policy::Reject,
        ..Default::default()
    };
    let Err(CatalogError::Invalid(errs)) = gov.save_rule("ana@example.com", None, rule).await else {
        panic!("accepted")
    };
    assert_eq!(errs[0].field, "aliases.bug_triage");
    assert!(errs[0].reason.contains("allowed values"), "{errs:?}");
    assert!(store.taxonomy().await.unwrap().keys.is_empty());
    assert!(store.list_audit(&Query { limit: 10, ..Default::default() }).await.unwrap().is_empty(), "nothing audited");
}

#[tokio::test]
async fn applying_aliases_merges_stored_spellings_and_is_audited() {
    let (gov, store, _dir) = service().await;
    let calls: Vec<PricedEvent> = ["Bug-Triage", "bug_triage", "bug-triage", "support"]
        .iter()
        .enumerate()
        .flat_map(|(i, wf)| (0..5).map(move |j| call(&format!("c{i}-{j}"), (i * 5 + j) as i64 * 7, "gpt-4o", wf)))
        .collect();
    store.insert_events(&calls).await.unwrap();
    let before = store.spend(&by_workflow()).await.unwrap();
    assert_eq!(before.groups.len(), 4);
    let rule = KeyRule {
        key: "workflow".into(),
        aliases: [
            ("bug_triage".to_string(), "bug-triage".to_string()),
            ("bug-triage".to_string(), "bug-triage".to_string()),
        ]
        .into(),
        policy: Policy::Accept,
        ..Default::default()
    };
    gov.save_rule("ana@example.com", None, rule).await.unwrap();
    let job = gov.start_apply_taxonomy("ana@example.com").await.unwrap();
    let done = gov.wait_for(&job.id, StdDuration::from_secs(30)).await.unwrap().unwrap();
    assert_eq!(done.state, "done", "{done:?}");
    assert_eq!((done.done, done.total), (2, 2), "two tag sets moved");
    assert!(done.detail.contains("moved 10 calls"), "{}", done.detail);
    let q = by_workflow();
    let after = store.spend(&q).await.unwrap();
    let names: Vec<_> = after.groups.iter().map(|g| g.values[0].clone().unwrap()).collect();
    assert_eq!(names, vec!["bug-triage", "support"]);
    assert_eq!(after.total, before.total);
    assert_eq!(after, store.spend_from_events(&q).await.unwrap(), "rollups agree with the events");
    let log = store.list_audit(&Query { kind: "taxonomy".into(), limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(log.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), vec!["taxonomy.apply", "taxonomy.update"]);
    // The ingest rules now normalise new calls the same way.
    let mut tags = TagSet::new();
    tags.insert(TagKey::parse("workflow").unwrap(), "Bug_Triage");
    gov.taxonomy().apply(&mut tags).unwrap();
    assert_eq!(tags.get("workflow"), Some("bug-triage"));
}

#[tokio::test]
async fn pricing_an_unpriced_model_reprices_its_calls() {
    let (gov, store, _dir) = service().await;
    let calls: Vec<PricedEvent> = (0..30).map(|i| call(&format!("u{i}"), i * 3, "acme-chat", "support")).collect();
    assert!(calls.iter().all(|c| c.source == CostSource::Unpriced));
    store.insert_events(&calls).await.unwrap();
    let q = by_workflow();
    assert_eq!(store.spend(&q).await.unwrap().total.unpriced_calls, 30);
    let Err(CatalogError::Invalid(errs)) = gov.start_reprice("ana@example.com", &["acme-chat".into()]).await else {
        panic!("repriced a model with no price")
    };
    assert_eq!(errs[0].field, "models");
    let draft = PriceDraft {
        model: "acme-chat".into(),
        provider: "acme".into(),
        effective_from: (Utc::now() - Duration::days(3)).date_naive().to_string(),
        input: "0.50".into(),
        output: "1.50".into(),
        ..Default::default()
    };
    gov.add_model("ana@example.com", &draft).await.unwrap();
    let job = gov.start_reprice("ana@example.com", &["acme-chat".into()]).await.unwrap();
    let done = gov.wait_for(&job.id, StdDuration::from_secs(30)).await.unwrap().unwrap();
    assert_eq!(done.state, "done", "{done:?}");
    assert_eq!((done.done, done.total), (30, 30));
    let after = store.spend(&q).await.unwrap().total;
    // 10,000 input × $0.50 + 1,000 output × $1.50 per 1M = $0.0065 a call, 30 calls.
    assert_eq!(after.cost, Nanos(30 * 6_500_000));
    assert_eq!(after.unpriced_calls, 0);
    assert!(store.unpriced_models().await.unwrap().is_empty());
    let actions: Vec<String> = store
        .list_audit(&Query { kind: "price".into(), limit: 10, ..Default::default() })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, vec!["price.reprice", "price.add_model"]);
}

#[tokio::test]
async fn an_import_adds_versions_and_only_adds_new_models_when_asked() {
    let (gov, store, _dir) = service().await;
    let file = r#"{
        "gpt-4o": { "input_cost_per_token": 2e-06, "output_cost_per_token": 8e-06, "litellm_provider": "openai", "mode": "chat" },
        "acme/acme-9": { "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06, "litellm_provider": "acme", "mode": "chat" }
    }"#;
    let from = chrono::NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
    let diff = gov.preview_import(file, from).unwrap();
    assert_eq!(diff.changed.len(), 1);
    assert_eq!(diff.new.len(), 1);
    assert_eq!(diff.new[0].model, "acme-9", "a provider's own prefix is dropped");
    let changed = gov.apply_import("ana@example.com", file, from, false).await.unwrap();
    assert_eq!(changed.len(), 1);
    assert!(gov.catalog().find("acme-9").is_none());
    gov.apply_import("ana@example.com", file, from, true).await.unwrap();
    assert!(gov.catalog().find("acme-9").is_some());
    assert!(matches!(gov.preview_import("{", from), Err(CatalogError::Invalid(_))));
    let log = store.list_audit(&Query { kind: "price".into(), limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(log.len(), 3, "gpt-4o twice (the second replaces the same-day version), acme-9 once");
}

#[tokio::test]
async fn taxonomy_replacement_is_validated_whole() {
    let (gov, _store, _dir) = service().await;
    let bad = Taxonomy { keys: vec![KeyRule { key: "Team".into(), ..Default::default() }] };
    let Err(CatalogError::Invalid(errs)) = gov.put_taxonomy("key:ops", bad).await else { panic!() };
    assert_eq!(errs[0].field, "keys[0].key");
    let good = Taxonomy { keys: vec![KeyRule { key: "team".into(), required: true, ..Default::default() }] };
    gov.put_taxonomy("key:ops", good).await.unwrap();
    assert_eq!(gov.taxonomy().required_keys(), vec!["team".to_string()]);
}
