//! Gathered reads of cap counters, where processes share them (Postgres).
//!
//! A check that cannot be answered from a lease reads its counters' load
//! (spend, live holds, others' leases) from the database. At thousands of
//! checks a second each read is a round trip and a statement for Postgres to
//! plan and run. Instead, reads that arrive while others are in flight wait
//! and go together: one statement reads the union of their counters, and
//! each check gets its own counters' loads from it.
//!
//! Exactness is unchanged: every check's load is read by a statement that
//! began after the check arrived, which is all a single read promised too.
//! At most [`IN_FLIGHT`] gathered reads run at once; a read waits only while
//! all of them are busy, and then the next one takes everything that waited.

use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use store::{BudgetStore, CapLoad, CounterKey, StoreError};
use tokio::sync::{oneshot, Semaphore};

/// Gathered reads running at once.
pub const IN_FLIGHT: usize = 4;

/// Counters one gathered read takes at most.
pub const MAX_KEYS: usize = 1_000;

type Reply = oneshot::Sender<Result<Vec<CapLoad>, String>>;

/// Reads waiting for a free slot.
#[derive(Default)]
struct Waiting {
    reads: Vec<(Vec<CounterKey>, DateTime<Utc>, Reply)>,
}

/// The gathering point of this process's counter reads.
pub struct Gather {
    slots: Arc<Semaphore>,
    waiting: Arc<Mutex<Waiting>>,
}

impl Default for Gather {
    fn default() -> Gather {
        Gather { slots: Arc::new(Semaphore::new(IN_FLIGHT)), waiting: Default::default() }
    }
}

impl Gather {
    /// Each key's load at `now` (in order), read alone when a slot is free,
    /// else with every read waiting when one frees up.
    ///
    /// Errors: the store's, for every read of the statement that failed.
    pub async fn load(
        &self,
        store: &Arc<dyn BudgetStore>,
        keys: &[CounterKey],
        now: DateTime<Utc>,
    ) -> Result<Vec<CapLoad>, StoreError> {
        if let Ok(slot) = self.slots.clone().try_acquire_owned() {
            let loads = store.cap_load(keys, now).await;
            drop(slot);
            self.run_waiting(store);
            return loads;
        }
        let (tx, rx) = oneshot::channel();
        {
            let mut w = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
            w.reads.push((keys.to_vec(), now, tx));
        }
        // A slot may have freed between the try and the push.
        self.run_waiting(store);
        match rx.await {
            Ok(Ok(loads)) => Ok(loads),
            Ok(Err(e)) => Err(StoreError::Unavailable(e)),
            Err(_) => Err(StoreError::Unavailable("a gathered counter read was dropped".into())),
        }
    }

    /// Starts one gathered read of what waits, if a slot is free.
    fn run_waiting(&self, store: &Arc<dyn BudgetStore>) {
        let Ok(slot) = self.slots.clone().try_acquire_owned() else { return };
        let reads = {
            let mut w = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
            let mut taken = Vec::new();
            let mut keys = 0;
            while let Some(r) = w.reads.pop() {
                if !taken.is_empty() && keys + r.0.len() > MAX_KEYS {
                    w.reads.push(r);
                    break;
                }
                keys += r.0.len();
                taken.push(r);
            }
            taken
        };
        if reads.is_empty() {
            return;
        }
        let (store, waiting, slots) = (store.clone(), self.waiting.clone(), self.slots.clone());
        tokio::spawn(async move {
            let gather = Gather { slots, waiting };
            gather.read_together(&store, reads).await;
            drop(slot);
            gather.run_waiting(&store);
        });
    }

    /// One statement for the union of the reads' counters, at the latest instant asked.
    async fn read_together(&self, store: &Arc<dyn BudgetStore>, reads: Vec<(Vec<CounterKey>, DateTime<Utc>, Reply)>) {
        let now = reads.iter().map(|r| r.1).max().unwrap_or_else(Utc::now);
        let mut index: HashMap<&CounterKey, usize> = HashMap::new();
        let mut union: Vec<CounterKey> = Vec::new();
        for (keys, _, _) in &reads {
            for k in keys {
                if !index.contains_key(k) {
                    index.insert(k, union.len());
                    union.push(k.clone());
                }
            }
        }
        let loaded = store.cap_load(&union, now).await.map_err(|e| e.to_string());
        let answers: Vec<Result<Vec<CapLoad>, String>> = reads
            .iter()
            .map(|(keys, _, _)| match &loaded {
                Ok(all) => Ok(keys.iter().map(|k| all[index[k]]).collect()),
                Err(e) => Err(e.clone()),
            })
            .collect();
        for ((_, _, reply), answer) in reads.into_iter().zip(answers) {
            let _ = reply.send(answer);
        }
    }
}
