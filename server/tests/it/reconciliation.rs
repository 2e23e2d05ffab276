//! Reconciliation: randomized events through the real ingest path (some
//! sent twice, some invalid, some for a model the catalog has no price for,
//! repriced once a price is added), then every total Bursar answers must
//! equal the exact decimal sum over the events the test knows it sent.
//!
//! CI sends `BURSAR_RECONCILE_EVENTS` (default 20,000); the full run:
//! `BURSAR_RECONCILE_EVENTS=1000000 cargo test -p server --test it reconciliation -- --nocapture`.

use crate::helpers::TestApp;
use crate::reconcile::{
    assert_counters_match_recount, assert_rollups_match_events, assert_task_rollups_match_events, query,
};
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use domain::pricing::price_edit::PriceDraft;
use domain::Nanos;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

const TEAMS: [&str; 6] = ["platform", "support", "search", "data", "growth", "mobile"];
const MODELS: [&str; 6] =
    ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "gemini-2.5-flash", "deepseek-chat", "acme-chat"];
/// The model with no price until the test adds one.
const UNPRICED: &str = "acme-chat";

fn events() -> usize {
    std::env::var("BURSAR_RECONCILE_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000)
}

/// What the test expects of one accepted event.
struct Kept {
    team: &'static str,
    /// The cost Bursar should hold: sent, or from the catalog (`None`: the unpriced model).
    cost: Option<Nanos>,
    /// The event as sent, to price once the unpriced model has a price.
    event: Value,
}

fn random_event(rng: &mut StdRng, id: String) -> (Value, &'static str) {
    let team = TEAMS[rng.gen_range(0..TEAMS.len())];
    let model = MODELS[rng.gen_range(0..MODELS.len())];
    let at = Utc::now() - Duration::seconds(rng.gen_range(0..60 * 86_400));
    let input: i64 = rng.gen_range(1..50_000);
    let mut e = json!({
        "id": id,
        "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "model": model,
        "input_tokens": input,
        "cache_read_tokens": rng.gen_range(0..=input / 2),
        "output_tokens": rng.gen_range(0..4_000),
        "task_id": format!("task-{}", rng.gen_range(0..5_000)),
        "tags": {"team": team, "workflow": format!("{team}-wf{}", rng.gen_range(0..4)),
                 "product": format!("p{}", rng.gen_range(0..3)), "task_type": if rng.gen_bool(0.5) { "agent" } else { "chat" },
                 "user": format!("u{}", rng.gen_range(0..100))},
    });
    if model != UNPRICED && rng.gen_bool(0.2) {
        // A caller-priced call, to the nano-dollar.
        let nanos: i64 = rng.gen_range(0..5_000_000_000);
        e["cost"] = json!(Decimal::new(nanos, 9).to_string());
    }
    (e, team)
}

fn broken(rng: &mut StdRng, mut e: Value) -> Value {
    match rng.gen_range(0..4) {
        0 => e["input_tokens"] = json!(-1),
        1 => e["timestamp"] = json!("last tuesday"),
        2 => e["cost"] = json!("a lot"),
        _ => {
            e.as_object_mut().unwrap().remove("model");
        }
    }
    e
}

fn usd(n: i128) -> Decimal {
    Decimal::from_i128_with_scale(n, 9)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_total_equals_the_exact_sum_over_the_events() {
    let app = TestApp::new().await;
    let n = events();
    let seed: u64 = std::env::var("BURSAR_RECONCILE_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(8);
    let mut rng = StdRng::seed_from_u64(seed);
    let admin = app.admin_key.clone();
    let budget = json!({"name": "Per team monthly", "split_by": "team", "period": "month", "amount": "1000000",
                        "thresholds": [50, 80, 100], "time_zone": "UTC"});
    let (status, b) = app.json("POST", "/api/v1/budgets", &admin, budget).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let budget_id = b["id"].as_str().unwrap().to_string();
    let catalog = app.state.catalog_service.catalog();

    let mut kept: HashMap<String, Kept> = HashMap::new();
    let mut sent_ids: Vec<String> = Vec::new();
    let (mut accepted, mut duplicates, mut rejected) = (0u64, 0u64, 0u64);
    let (mut want_duplicates, mut want_rejected) = (0u64, 0u64);
    let started = std::time::Instant::now();
    let mut next = 0usize;
    while next < n {
        let size = (n - next).min(1_000);
        let mut batch = Vec::with_capacity(size);
        for _ in 0..size {
            let roll: f64 = rng.gen();
            if roll < 0.03 && !sent_ids.is_empty() {
                // A retry of an event sent before (or earlier in this batch): the same body again.
                let id = sent_ids[rng.gen_range(0..sent_ids.len())].clone();
                batch.push(kept[&id].event.clone());
                want_duplicates += 1;
            } else if roll < 0.05 {
                let (e, _) = random_event(&mut rng, format!("bad-{next}"));
                batch.push(broken(&mut rng, e));
                want_rejected += 1;
            } else {
                let id = format!("r-{seed}-{next}");
                let (e, team) = random_event(&mut rng, id.clone());
                let parsed = domain::ingest::event::parse_event(&e).unwrap();
                let cost = catalog.price(parsed).cost;
                assert_eq!(cost.is_none(), e["model"] == UNPRICED, "{e}");
                kept.insert(id.clone(), Kept { team, cost, event: e.clone() });
                sent_ids.push(id);
                batch.push(e);
            }
            next += 1;
        }
        let (status, r) = app.post_events(Value::Array(batch)).await;
        assert_eq!(status, StatusCode::OK, "{r}");
        accepted += r["accepted"].as_u64().unwrap();
        duplicates += r["duplicates"].as_u64().unwrap();
        rejected += r["rejected"].as_array().unwrap().len() as u64;
    }
    eprintln!(
        "reconciliation: {n} events sent in {:.1} s ({} kept, {want_duplicates} repeats, {want_rejected} invalid)",
        started.elapsed().as_secs_f64(),
        kept.len()
    );
    assert_eq!((accepted, duplicates, rejected), (kept.len() as u64, want_duplicates, want_rejected));
    assert_eq!(app.store.count_events().await.unwrap(), kept.len() as i64);

    let (from, to) = ((Utc::now() - Duration::days(61)).date_naive(), Utc::now().date_naive());
    let (from, to) = (from.to_string(), to.to_string());
    let unpriced = kept.values().filter(|k| k.cost.is_none()).count() as i64;
    let before = app.store.spend(&query(&from, &to, "", "")).await.unwrap();
    assert_eq!(before.total.unpriced_calls, unpriced);

    // A price for the unpriced model, then the reprice job.
    let draft = PriceDraft {
        model: UNPRICED.into(),
        provider: "acme".into(),
        effective_from: (Utc::now() - Duration::days(90)).date_naive().to_string(),
        input: "0.70".into(),
        output: "2.10".into(),
        cache_read: "0.07".into(),
        ..Default::default()
    };
    let gov = app.state.catalog_service.clone();
    gov.add_model("reconciliation", &draft).await.unwrap();
    let job = gov.start_reprice("reconciliation", &[UNPRICED.into()]).await.unwrap();
    let done = gov.wait_for(&job.id, std::time::Duration::from_secs(600)).await.unwrap().unwrap();
    assert_eq!(done.state, "done", "{done:?}");
    let catalog = gov.catalog();
    for k in kept.values_mut().filter(|k| k.cost.is_none()) {
        k.cost = catalog.price(domain::ingest::event::parse_event(&k.event).unwrap()).cost;
        assert!(k.cost.is_some(), "the unpriced model has a price now");
    }

    // The exact sums, overall and per team.
    let total: i128 = kept.values().map(|k| k.cost.unwrap().0 as i128).sum();
    let mut per_team: BTreeMap<&str, (i128, i64)> = BTreeMap::new();
    for k in kept.values() {
        let t = per_team.entry(k.team).or_default();
        t.0 += k.cost.unwrap().0 as i128;
        t.1 += 1;
    }

    // The API's answer: the total, each team and the daily series add up to the exact sums.
    let key = app.read_key.clone();
    let (status, r) =
        app.get(&format!("/api/v1/spend?from={from}&to={to}&group_by=team&granularity=day"), Some(&key)).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(Decimal::from_str(r["total"]["cost"].as_str().unwrap()).unwrap(), usd(total), "API total");
    assert_eq!(r["total"]["calls"], kept.len());
    assert_eq!(r["total"]["unpriced_calls"], 0);
    for g in r["groups"].as_array().unwrap() {
        let team = g["key"]["team"].as_str().unwrap();
        let (cost, calls) = per_team[team];
        assert_eq!(Decimal::from_str(g["cost"].as_str().unwrap()).unwrap(), usd(cost), "team {team}");
        assert_eq!(g["calls"], calls, "team {team}");
    }
    assert_eq!(r["groups"].as_array().unwrap().len(), per_team.len());
    let series: Decimal =
        r["series"].as_array().unwrap().iter().map(|p| Decimal::from_str(p["cost"].as_str().unwrap()).unwrap()).sum();
    assert_eq!(series, usd(total), "the daily series sums to the total");

    // Rollups, raw events and budget counters agree with one another.
    assert_rollups_match_events(&app.store, &from, &to).await;
    // Each task's rollup row too, repriced calls included.
    assert_task_rollups_match_events(&app.store, (0..5_000).map(|i| format!("task-{i}")), &from, &to).await;
    let counters = assert_counters_match_recount(&app.store, &budget_id).await;
    let this_month = crate::reconcile::month_start();
    let mut want_counted: BTreeMap<&str, i128> = BTreeMap::new();
    for k in kept.values() {
        let at = domain::ingest::event::parse_event(&k.event).unwrap().timestamp;
        if at >= this_month {
            *want_counted.entry(k.team).or_default() += k.cost.unwrap().0 as i128;
        }
    }
    let counted: BTreeMap<&str, i128> = counters.iter().map(|c| (c.split_value.as_str(), c.spent.0 as i128)).collect();
    assert_eq!(counted, want_counted, "the budget's per-team counters for this month");
}
