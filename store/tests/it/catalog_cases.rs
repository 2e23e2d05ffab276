//! Conformance cases for the catalog store: the stored catalog and taxonomy, jobs,
//! moving calls to a renamed tag set and repricing unpriced calls (both keep
//! rollups equal to a recomputation from raw events, to the nano-dollar),
//! and the append-only audit log.

use crate::cases::{ev, t, tags};
use chrono::{Duration, NaiveDate};
use domain::attribution::taxonomy::{KeyRule, Policy, Taxonomy};
use domain::pricing::catalog::{ModelPrice, PriceVersion, Rates};
use domain::{Catalog, SpendQuery};
use rust_decimal::Decimal;
use std::str::FromStr;
use std::sync::Arc;
use store::{JobRecord, Store};

fn q(params: &[(&str, &str)]) -> SpendQuery {
    let p: Vec<(String, String)> = params.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    SpendQuery::from_params(&p, t("2026-12-01T00:00:00Z")).unwrap()
}

pub(crate) fn model(name: &str, input: &str, output: &str) -> ModelPrice {
    let d = |s: &str| Decimal::from_str(s).unwrap();
    ModelPrice {
        model: name.into(),
        provider: "acme".into(),
        aliases: vec![],
        prices: vec![PriceVersion {
            effective_from: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            rates: Rates { input: d(input), output: d(output), cache_read: d(input), cache_write: d(input) },
            tiers: vec![],
        }],
    }
}

/// Rollups answer exactly as the raw events do, for every query shape used.
async fn assert_rollups_match(s: &Arc<dyn Store>) {
    for params in [
        vec![("from", "2026-11-01"), ("to", "2026-11-12")],
        vec![("from", "2026-11-01"), ("to", "2026-11-12"), ("group_by", "workflow,model"), ("granularity", "day")],
        vec![("from", "2026-11-02T05:00:00Z"), ("to", "2026-11-06T19:00:00Z"), ("group_by", "workflow,team")],
        vec![("from", "2026-11-01"), ("to", "2026-11-03"), ("group_by", "workflow"), ("granularity", "hour")],
    ] {
        let query = q(&params);
        assert_eq!(s.spend(&query).await.unwrap(), s.spend_from_events(&query).await.unwrap(), "{params:?}");
    }
}

pub async fn the_catalog_and_taxonomy_are_stored_with_revisions(s: Arc<dyn Store>) {
    let (p0, t0) = s.config_revisions().await.unwrap();
    let at = t("2026-11-20T00:00:00Z");
    assert_eq!(s.put_price_models(&[model("acme-1", "1", "2"), model("acme-2", "3", "4")], at, true).await.unwrap(), 2);
    // Seeding again leaves what an admin changed alone.
    let mut changed = model("acme-1", "9", "9");
    assert_eq!(s.put_price_models(std::slice::from_ref(&changed), at, true).await.unwrap(), 0);
    assert_eq!(s.list_price_models().await.unwrap()[0].prices[0].rates.input, Decimal::from(1));
    changed.aliases = vec!["acme-one".into()];
    assert_eq!(s.put_price_models(std::slice::from_ref(&changed), at, false).await.unwrap(), 1);
    let stored = s.list_price_models().await.unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0], changed);
    let (p1, t1) = s.config_revisions().await.unwrap();
    assert_eq!((p1 - p0, t1 - t0), (2, 0), "each write that changes a model moves the prices revision");

    let tax = Taxonomy {
        keys: vec![KeyRule {
            key: "workflow".into(),
            description: "the agent".into(),
            required: true,
            allowed: vec!["bug-triage".into()],
            aliases: [("bug_triage".to_string(), "bug-triage".to_string())].into(),
            policy: Policy::Reject,
        }],
    };
    s.put_taxonomy(&tax, at).await.unwrap();
    assert_eq!(s.taxonomy().await.unwrap(), tax);
    s.put_taxonomy(&Taxonomy::default(), at).await.unwrap();
    assert_eq!(s.taxonomy().await.unwrap(), Taxonomy::default());
    assert_eq!(s.config_revisions().await.unwrap().1 - t1, 2);
}

pub async fn remapping_tag_sets_keeps_rollups_exact(s: Arc<dyn Store>) {
    let spellings = ["Bug-Triage", "bug_triage", "bug-triage"];
    let mut batch = Vec::new();
    for i in 0..300 {
        let mut e = ev(
            &format!("e{i}"),
            "2026-11-01T00:00:00Z",
            if i % 3 == 0 { "gpt-4o" } else { "claude-sonnet-4-5" },
            if i % 17 == 0 { None } else { Some(1_000 + i as i64 * 7_919) },
            tags(&[("workflow", spellings[i % 3]), ("team", if i % 2 == 0 { "core" } else { "growth" })]),
        );
        if i % 5 == 0 {
            e.event.tags.insert(domain::TagKey::parse("user").unwrap(), format!("u{}", i % 4));
        }
        e.event.timestamp += Duration::minutes(i as i64 * 47);
        batch.push(e);
    }
    s.insert_events(&batch).await.unwrap();
    let all = q(&[("from", "2026-11-01"), ("to", "2026-11-12")]);
    let before = s.spend(&all).await.unwrap().total;
    let tax = Taxonomy {
        keys: vec![KeyRule {
            key: "workflow".into(),
            aliases: [
                ("bug_triage".to_string(), "bug-triage".to_string()),
                ("bug-triage".to_string(), "bug-triage".to_string()),
            ]
            .into(),
            ..Default::default()
        }],
    };
    let mut moved = 0;
    let mut sets = 0;
    for (id, old) in s.tagsets_with_events().await.unwrap() {
        if let Some(new) = tax.remap(&old) {
            moved += s.remap_tagset(id, &new).await.unwrap();
            sets += 1;
        }
    }
    assert_eq!(moved, 200, "the two other spellings' calls moved");
    assert!(sets >= 4, "with and without a user tag, per team: {sets}");
    let by_wf = s.spend(&q(&[("from", "2026-11-01"), ("to", "2026-11-12"), ("group_by", "workflow")])).await.unwrap();
    assert_eq!(by_wf.groups.len(), 1, "{:?}", by_wf.groups);
    assert_eq!(by_wf.groups[0].values, vec![Some("bug-triage".to_string())]);
    assert_eq!(by_wf.total, before, "totals unchanged to the nano-dollar");
    assert_rollups_match(&s).await;
    // Idempotent: nothing left to move.
    assert!(s.tagsets_with_events().await.unwrap().iter().all(|(_, t)| tax.remap(t).is_none()));
}

pub async fn repricing_reconciles_to_the_nano_dollar(s: Arc<dyn Store>) {
    let mut batch = Vec::new();
    for i in 0..250 {
        let mut e = ev(
            &format!("p{i}"),
            "2026-10-30T00:00:00Z",
            if i % 2 == 0 { "acme-1" } else { "gpt-4o" },
            if i % 2 == 0 { None } else { Some(12_345) },
            tags(&[("team", if i % 3 == 0 { "core" } else { "growth" }), ("workflow", "wf")]),
        );
        e.event.timestamp += Duration::minutes(i as i64 * 61);
        e.event.usage.input_tokens = 1_000 + i as i64;
        e.event.usage.output_tokens = 3 * i as i64;
        batch.push(e);
    }
    s.insert_events(&batch).await.unwrap();
    let all = q(&[("from", "2026-10-01"), ("to", "2026-11-12")]);
    let before = s.spend(&all).await.unwrap().total;
    assert_eq!(before.unpriced_calls, 125);
    let unpriced = s.unpriced_models().await.unwrap();
    assert_eq!(unpriced.len(), 1);
    assert_eq!((unpriced[0].model.as_str(), unpriced[0].calls), ("acme-1", 125));

    // The first price starts 2026-11-01: calls before it stay unpriced.
    let catalog = Catalog::new(vec![model("acme-1", "0.40", "1.60")], "test".into()).unwrap();
    let mut expected = domain::Nanos(0);
    let mut expected_priced = 0;
    for e in batch.iter().filter(|e| e.event.model == "acme-1") {
        if let (Some(c), _) =
            catalog.cost_of(e.event.provider.as_deref(), "acme-1", e.event.timestamp, &e.event.usage, None)
        {
            expected += c;
            expected_priced += 1;
        }
    }
    assert!(expected_priced > 0 && expected_priced < 125, "{expected_priced}");
    let (mut repriced, mut left, mut after) = (0, 0, 0);
    loop {
        let step = s.reprice("acme-1", &catalog, after, 40).await.unwrap();
        let Some(seq) = step.last_seq else { break };
        after = seq;
        repriced += step.repriced;
        left += step.still_unpriced;
    }
    assert_eq!((repriced, left), (expected_priced, 125 - expected_priced));
    let now = s.spend(&all).await.unwrap().total;
    assert_eq!(now.cost, before.cost + expected, "before + repriced = after, to the nano-dollar");
    assert_eq!(now.calls, before.calls);
    assert_eq!(now.unpriced_calls, 125 - expected_priced);
    assert_rollups_match(&s).await;
    let again = s.reprice("acme-1", &catalog, 0, 1000).await.unwrap();
    assert_eq!(again.repriced, 0, "a second run prices nothing twice");
}

pub async fn jobs_record_progress_and_stale_ones_are_interrupted(s: Arc<dyn Store>) {
    let now = t("2026-11-20T10:00:00Z");
    let mut job = JobRecord {
        id: "job_1".into(),
        kind: "taxonomy.apply".into(),
        params: serde_json::json!({}),
        state: "running".into(),
        done: 0,
        total: 10,
        detail: "starting".into(),
        created_by: "ana@example.com".into(),
        created: now,
        heartbeat: now,
        finished: None,
    };
    s.create_job(&job).await.unwrap();
    job.done = 4;
    job.detail = "moved 4".into();
    s.update_job(&job).await.unwrap();
    assert_eq!(s.get_job("job_1").await.unwrap().unwrap(), job);
    assert_eq!(s.interrupt_stale_jobs(now - Duration::minutes(1)).await.unwrap(), 0);
    assert_eq!(s.interrupt_stale_jobs(now + Duration::minutes(1)).await.unwrap(), 1);
    let j = s.get_job("job_1").await.unwrap().unwrap();
    assert_eq!(j.state, "interrupted");
    assert_eq!(s.list_jobs(5).await.unwrap().len(), 1);
    assert!(s.get_job("nope").await.unwrap().is_none());
}

pub async fn the_audit_log_filters_and_keeps_order(s: Arc<dyn Store>) {
    use domain::people::audit::{Entry, Query};
    let mut a = Entry::new(
        "ana@example.com",
        "budget.update",
        "b1",
        Some(serde_json::json!({"amount": "10"})),
        Some(serde_json::json!({"amount": "20"})),
    );
    a.at = t("2026-11-20T10:00:00Z");
    let mut b = Entry::new("key:ops", "key.revoke", "bsr_abc", None, None);
    b.at = t("2026-11-21T10:00:00Z");
    s.record_audit(&a).await.unwrap();
    s.record_audit(&b).await.unwrap();
    let all = s.list_audit(&Query { limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(all.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), vec!["key.revoke", "budget.update"]);
    assert_eq!(all[1].before, a.before);
    assert_eq!(all[1].at, a.at);
    let by_kind = s.list_audit(&Query { kind: "budget".into(), limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(by_kind.len(), 1);
    let by_actor = s.list_audit(&Query { actor: "ops".into(), limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(by_actor[0].target, "bsr_abc");
    let day = NaiveDate::from_ymd_opt(2026, 11, 20);
    let by_date = s.list_audit(&Query { from: day, to: day, limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(by_date.len(), 1);
    assert_eq!(by_date[0].actor, "ana@example.com");
}

pub async fn remapping_during_ingest_keeps_rollups_exact(s: Arc<dyn Store>) {
    const SPELLINGS: [&str; 3] = ["Bug-Triage", "bug_triage", "bug-triage"];
    let batch = |n: usize| -> Vec<domain::PricedEvent> {
        (0..40)
            .map(|i| {
                let k = n * 40 + i;
                let mut e = ev(
                    &format!("c{k}"),
                    "2026-11-02T00:00:00Z",
                    "gpt-4o",
                    Some(1_000 + k as i64),
                    tags(&[("workflow", SPELLINGS[k % 3]), ("team", "core")]),
                );
                e.event.timestamp += Duration::minutes(k as i64 * 13);
                e
            })
            .collect()
    };
    s.insert_events(&batch(0)).await.unwrap();
    let tax = Taxonomy {
        keys: vec![KeyRule {
            key: "workflow".into(),
            aliases: [
                ("bug_triage".to_string(), "bug-triage".to_string()),
                ("bug-triage".to_string(), "bug-triage".to_string()),
            ]
            .into(),
            ..Default::default()
        }],
    };
    let writer = {
        let s = s.clone();
        tokio::spawn(async move {
            for n in 1..16 {
                s.insert_events(&batch(n)).await.unwrap();
            }
        })
    };
    let mover = {
        let s = s.clone();
        let tax = tax.clone();
        tokio::spawn(async move {
            for _ in 0..8 {
                for (id, old) in s.tagsets_with_events().await.unwrap() {
                    if let Some(new) = tax.remap(&old) {
                        s.remap_tagset(id, &new).await.unwrap();
                    }
                }
                tokio::task::yield_now().await;
            }
        })
    };
    writer.await.unwrap();
    mover.await.unwrap();
    for (id, old) in s.tagsets_with_events().await.unwrap() {
        if let Some(new) = tax.remap(&old) {
            s.remap_tagset(id, &new).await.unwrap();
        }
    }
    let all = q(&[("from", "2026-11-01"), ("to", "2026-11-12")]);
    assert_eq!(s.spend(&all).await.unwrap().total.calls, 640);
    assert_rollups_match(&s).await;
    let by_wf = s.spend(&q(&[("from", "2026-11-01"), ("to", "2026-11-12"), ("group_by", "workflow")])).await.unwrap();
    assert_eq!(by_wf.groups.len(), 1);
}
