//! Group commit for the single-writer store (SQLite). Batches that arrive
//! while another is being written wait in a queue; whoever takes the writer
//! next commits every waiting batch in one transaction. One commit (one
//! fsync, one read of the budgets, each dirty index page written to the WAL
//! once) then serves several requests. Each request still gets only its own
//! outcome, and none is answered before the commit that stored it.

use crate::{InsertOutcome, StoreError};
use domain::budgets::counting::{increments, CountingBudget};
use domain::PricedEvent;
use std::collections::HashSet;
use std::sync::Mutex;
use tokio::sync::oneshot;

/// Most events one grouped transaction carries (later batches wait for the next).
const MAX_GROUP_EVENTS: usize = 16_000;

type Reply = oneshot::Sender<Result<InsertOutcome, StoreError>>;

/// The queue of batches waiting for the writer, and the writer's turn.
#[derive(Default)]
pub(crate) struct GroupCommit {
    queue: Mutex<Vec<(Vec<PricedEvent>, Reply)>>,
    /// Held by the one task writing a group.
    pub writer: tokio::sync::Mutex<()>,
}

/// Batches taken from the queue to be written together.
pub(crate) struct Group {
    /// Every event of the group, batch after batch (moved out of the queue, not copied).
    pub events: Vec<PricedEvent>,
    /// Where each batch ends in `events`, and where its answer goes.
    ends: Vec<(usize, Reply)>,
}

impl GroupCommit {
    /// Queues a batch; its outcome arrives on the receiver.
    pub fn enqueue(&self, events: &[PricedEvent]) -> oneshot::Receiver<Result<InsertOutcome, StoreError>> {
        let (tx, rx) = oneshot::channel();
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).push((events.to_vec(), tx));
        rx
    }

    /// Takes waiting batches, oldest first, up to the group's size (always at least one).
    pub fn take(&self) -> Group {
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        let (mut n, mut total) = (0, 0);
        while n < queue.len() && (n == 0 || total + queue[n].0.len() <= MAX_GROUP_EVENTS) {
            total += queue[n].0.len();
            n += 1;
        }
        let mut group = Group { events: Vec::with_capacity(total), ends: Vec::with_capacity(n) };
        for (batch, reply) in queue.drain(..n) {
            group.events.extend(batch);
            group.ends.push((group.events.len(), reply));
        }
        group
    }
}

impl Group {
    /// Answers each batch: its own share of the outcome, or the error (the
    /// others in a failed group are told to retry).
    pub fn deliver(self, result: Result<(InsertOutcome, Vec<CountingBudget>), StoreError>) {
        match result {
            Ok((outcome, budgets)) => {
                let mut start = 0;
                let mut batches = Vec::with_capacity(self.ends.len());
                for (end, _) in &self.ends {
                    batches.push(&self.events[start..*end]);
                    start = *end;
                }
                let shares = split(&batches, outcome, &budgets);
                for ((_, reply), share) in self.ends.into_iter().zip(shares) {
                    let _ = reply.send(Ok(share));
                }
            }
            Err(e) => {
                let text = e.to_string();
                let mut first = Some(e);
                for (_, reply) in self.ends {
                    let err = first.take().unwrap_or_else(|| {
                        StoreError::Unavailable(format!("a batch committed with this one failed ({text})"))
                    });
                    let _ = reply.send(Err(err));
                }
            }
        }
    }
}

/// Shares a group's outcome among its batches: an id stored by the group
/// belongs to the first batch that carried it (later ones see a duplicate);
/// a batch sees the counter changes its own new events made and every alert.
pub(crate) fn split(
    batches: &[&[PricedEvent]],
    outcome: InsertOutcome,
    budgets: &[CountingBudget],
) -> Vec<InsertOutcome> {
    let mut pool = outcome.inserted;
    let mut out = Vec::with_capacity(batches.len());
    for batch in batches {
        let mut mine = HashSet::new();
        let mut new = Vec::new();
        for e in batch.iter() {
            if let Some(id) = pool.take(&e.event.id) {
                mine.insert(id);
                new.push(e);
            }
        }
        let touched: HashSet<(String, String, i64)> = increments(budgets, new.into_iter()).into_keys().collect();
        let budget_changes = outcome
            .budget_changes
            .iter()
            .filter(|c| touched.contains(&(c.budget_id.clone(), c.split_value.clone(), c.window.start.timestamp())))
            .cloned()
            .collect();
        out.push(InsertOutcome { inserted: mine, budget_changes, alerts: outcome.alerts.clone() });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{CostSource, Nanos};

    fn ev(id: &str, user: &str) -> PricedEvent {
        let v = serde_json::json!({"id": id, "timestamp": "2026-11-02T10:00:00Z", "model": "m",
            "input_tokens": 1, "output_tokens": 1, "tags": {"user": user}});
        PricedEvent {
            event: domain::ingest::event::parse_event(&v).unwrap(),
            cost: Some(Nanos(5)),
            source: CostSource::Caller,
        }
    }

    #[test]
    fn an_id_belongs_to_the_first_batch_that_carried_it() {
        let a = vec![ev("x", "ana"), ev("y", "ana"), ev("x", "ana")];
        let b = vec![ev("y", "bo"), ev("z", "bo")];
        let inserted: HashSet<String> = ["x", "y", "z"].iter().map(|s| s.to_string()).collect();
        let outcome = InsertOutcome { inserted, budget_changes: vec![], alerts: vec![7] };
        let shares = split(&[&a, &b], outcome, &[]);
        let ids = |o: &InsertOutcome| {
            let mut v: Vec<String> = o.inserted.iter().cloned().collect();
            v.sort();
            v
        };
        assert_eq!(ids(&shares[0]), vec!["x", "y"]);
        assert_eq!(ids(&shares[1]), vec!["z"]);
        assert_eq!(shares[1].alerts, vec![7]);
    }

    #[test]
    fn a_batch_sees_only_the_counters_its_events_moved() {
        let spec = domain::budgets::budget::BudgetSpec {
            name: "per user".into(),
            scope: Default::default(),
            split_by: Some(domain::budgets::budget::SplitBy::parse("user").unwrap()),
            period: domain::budgets::budget::BudgetPeriod::parse("month").unwrap(),
            amount: Nanos(100),
            thresholds: vec![],
            hard_cap: true,
            webhook: None,
            owner: String::new(),
            description: String::new(),
            time_zone: "UTC".into(),
        };
        let t0 = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().to_utc();
        let budgets = vec![CountingBudget::new("b1".into(), spec, t0)];
        let (a, b) = (vec![ev("1", "ana")], vec![ev("2", "bo")]);
        let w = domain::budgets::window::window(
            domain::budgets::budget::BudgetPeriod::parse("month").unwrap(),
            domain::budgets::window::Tz::UTC,
            a[0].event.timestamp,
        );
        let change = |user: &str| crate::CounterChange {
            budget_id: "b1".into(),
            budget_name: "per user".into(),
            limit: Nanos(100),
            hard_cap: true,
            split_value: user.into(),
            window: w,
            before: Nanos(0),
            after: Nanos(5),
        };
        let inserted: HashSet<String> = ["1", "2"].iter().map(|s| s.to_string()).collect();
        let outcome = InsertOutcome { inserted, budget_changes: vec![change("ana"), change("bo")], alerts: vec![] };
        let shares = split(&[&a, &b], outcome, &budgets);
        assert_eq!(shares[0].budget_changes, vec![change("ana")]);
        assert_eq!(shares[1].budget_changes, vec![change("bo")]);
    }
}
