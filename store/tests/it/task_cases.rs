//! Conformance case for the task rollup: one row per task, kept exact
//! through ingest (replays, calls arriving out of order), repricing and a
//! tag-set move, and equal to a recount of the task's stored calls.

use crate::cases::{ev, t, tags};
use crate::catalog_cases::model;
use domain::Catalog;
use std::sync::Arc;
use store::Store;

/// The task's row, recounted from its stored calls: (first, last, calls, cost, min input, max input).
async fn recount(s: &Arc<dyn Store>, task: &str) -> (i64, i64, i64, i64, i64, i64) {
    let q = store::EventQuery {
        spend: domain::SpendQuery::new(t("2026-10-01T00:00:00Z"), t("2026-12-01T00:00:00Z")),
        task_id: Some(task.into()),
        limit: 1000,
        offset: 0,
    };
    let calls = s.list_events(&q).await.unwrap();
    let micros = calls.iter().map(|c| c.event.timestamp.timestamp_micros());
    let inputs = calls.iter().map(|c| c.event.usage.input_tokens);
    (
        micros.clone().min().unwrap(),
        micros.max().unwrap(),
        calls.len() as i64,
        calls.iter().map(|c| c.cost.map_or(0, |n| n.0)).sum(),
        inputs.clone().min().unwrap(),
        inputs.max().unwrap(),
    )
}

async fn row(s: &Arc<dyn Store>, task: &str) -> (i64, i64, i64, i64, i64, i64) {
    let r = s.task_rollup(task).await.unwrap().unwrap();
    (r.first.timestamp_micros(), r.last.timestamp_micros(), r.calls, r.cost.0, r.min_input, r.max_input)
}

pub async fn the_task_rollup_follows_ingest_repricing_and_remapping(s: Arc<dyn Store>) {
    let wf = |w: &str| tags(&[("workflow", w), ("team", "core")]);
    let call = |id: &str, at: &str, model: &str, cost: Option<i64>, w: &str, task: &str, input: i64| {
        let mut e = ev(id, at, model, cost, wf(w));
        e.event.task_id = Some(task.into());
        e.event.usage.input_tokens = input;
        e
    };
    let first = vec![
        call("a1", "2026-11-02T10:00:00Z", "gpt-4o", Some(100), "triage", "t1", 3_000),
        call("a2", "2026-11-02T11:00:00Z", "gpt-4o", Some(200), "triage", "t1", 1_500),
        call("u1", "2026-11-03T09:00:00Z", "acme-1", None, "chat", "t2", 1_000),
        call("u2", "2026-11-03T10:00:00Z", "acme-1", None, "chat", "t2", 2_000),
    ];
    s.insert_events(&first).await.unwrap();
    // A replay of a1 (counted once) and a call made before the others: the task's first call changes.
    let second = vec![first[0].clone(), call("a0", "2026-11-02T09:00:00Z", "o3", Some(700), "Triage-Old", "t1", 5_000)];
    s.insert_events(&second).await.unwrap();
    assert!(s.task_rollup("no-such-task").await.unwrap().is_none());

    let t1 = s.task_rollup("t1").await.unwrap().unwrap();
    assert_eq!((t1.calls, t1.cost.0, t1.min_input, t1.max_input), (3, 1_000, 1_500, 5_000));
    assert_eq!((t1.first, t1.last), (t("2026-11-02T09:00:00Z"), t("2026-11-02T11:00:00Z")));
    assert_eq!(t1.tags.get("workflow"), Some("Triage-Old"), "the tags of the task's first call");
    assert_eq!(
        row(&s, "t2").await,
        (
            t("2026-11-03T09:00:00Z").timestamp_micros(),
            t("2026-11-03T10:00:00Z").timestamp_micros(),
            2,
            0,
            1_000,
            2_000
        )
    );

    // Repricing gives the task the cost its calls now have, to the nano-dollar.
    let catalog = Catalog::new(vec![model("acme-1", "0.40", "1.60")], "test".into()).unwrap();
    let step = s.reprice("acme-1", &catalog, 0, 100).await.unwrap();
    assert_eq!(step.repriced, 2);
    let expected: i64 = first[2..]
        .iter()
        .map(|e| {
            catalog.cost_of(e.event.provider.as_deref(), "acme-1", e.event.timestamp, &e.event.usage, None).0.unwrap().0
        })
        .sum();
    assert!(expected > 0);
    assert_eq!(s.task_rollup("t2").await.unwrap().unwrap().cost.0, expected);

    // Moving the first call's tag set moves the task's tags with it.
    let (old_id, _) = s
        .tagsets_with_events()
        .await
        .unwrap()
        .into_iter()
        .find(|(_, set)| set.get("workflow") == Some("Triage-Old"))
        .unwrap();
    s.remap_tagset(old_id, &wf("triage")).await.unwrap();
    assert_eq!(s.task_rollup("t1").await.unwrap().unwrap().tags.get("workflow"), Some("triage"));

    for task in ["t1", "t2"] {
        assert_eq!(row(&s, task).await, recount(&s, task).await, "{task}: the rollup equals a recount of its calls");
    }
}
