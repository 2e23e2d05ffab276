//! The demo's agents behave like real ones once budgets exist: before each
//! call an agent asks the cap check (the path `POST /api/v1/check` takes, at
//! the call's own time) and stops when it is refused.
//!
//! A day's tasks run side by side in rounds: round *k* sends the *k*-th call
//! of every task still running in one ingest request, so a day costs as many
//! requests as its longest task has calls, not one per call. Calls of one
//! round are concurrent, as real agents' calls are: two tasks of one user can
//! pass the same check together and overshoot a per-user cap by a round.

use budgets::caps::{BlockedBy, CheckRequest};
use serde_json::Value;
use server::AppState;
use std::collections::VecDeque;

/// The tasks a cap stopped: (task id, calls it made, the cap).
#[derive(Default)]
pub struct Stopped(pub Vec<(String, usize, BlockedBy)>);

impl Stopped {
    /// One clause for the demo's summary, naming the longest-running stop.
    pub fn summary(&self) -> String {
        match self.0.iter().max_by_key(|s| s.1) {
            None => String::new(),
            Some((task, calls, cap)) => format!(
                "; hard caps stopped {} agent tasks (the longest, {task}, after {calls} calls, by {:?})",
                self.0.len(),
                cap.name
            ),
        }
    }
}

/// Runs `calls` (each task's calls in order) as agents that ask the check
/// before each call.
pub(crate) async fn run(
    state: &AppState,
    sent: &mut Sent,
    calls: Vec<Value>,
    stopped: &mut Stopped,
) -> anyhow::Result<()> {
    let mut tasks: Vec<(String, usize, VecDeque<Value>)> = Vec::new();
    for call in calls {
        let task = call.get("task_id").and_then(Value::as_str).map(str::to_string);
        match tasks.iter_mut().rev().find(|t| task.as_deref() == Some(t.0.as_str())) {
            Some(t) => t.2.push_back(call),
            None => {
                let key = task.unwrap_or_else(|| call["id"].as_str().unwrap_or_default().to_string());
                tasks.push((key, 0, VecDeque::from([call])));
            }
        }
    }
    while !tasks.is_empty() {
        let mut round = Vec::with_capacity(tasks.len());
        let mut still = Vec::with_capacity(tasks.len());
        for (task, made, mut queue) in tasks {
            let Some(call) = queue.pop_front() else { continue };
            let e = domain::ingest::event::parse_event(&call).map_err(|e| anyhow::anyhow!("demo call: {e}"))?;
            let ask = CheckRequest {
                tags: e.tags,
                task_id: e.task_id,
                model: Some(e.model),
                estimated_cost: None,
                reserve: None,
            };
            if let Some(cap) = state.budgets.caps.check(&ask, e.timestamp).await?.blocked_by.into_iter().next() {
                stopped.0.push((task, made, cap));
                continue;
            }
            round.push(call);
            if !queue.is_empty() {
                still.push((task, made + 1, queue));
            }
        }
        for chunk in round.chunks(1_000) {
            sent.send(state, &mut chunk.to_vec()).await?;
        }
        tasks = still;
    }
    Ok(())
}

/// Running counts of what the demo sent.
#[derive(Default)]
pub(crate) struct Sent {
    pub(crate) sent: usize,
    pub(crate) accepted: usize,
    pub(crate) unpriced: usize,
    pub(crate) rejected: usize,
}

impl Sent {
    /// Sends one request body through the ingest path and counts the answer.
    pub(crate) async fn send(&mut self, state: &AppState, events: &mut Vec<Value>) -> anyhow::Result<()> {
        let body = serde_json::to_vec(&serde_json::json!({ "events": events }))?;
        events.clear();
        let parsed = ingest::parse(&body)?;
        self.sent += parsed.len();
        let r = state.ingest.ingest(parsed, None).await?;
        self.accepted += r.accepted;
        self.unpriced += r.unpriced;
        self.rejected += r.rejected.len();
        Ok(())
    }
}
