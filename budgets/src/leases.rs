//! Per-process leases on hard caps, for plain checks when many processes
//! share the counters (Postgres).
//!
//! Reading every counter from the database on every check costs a round
//! trip; at 20,000 checks/s that is most of a Postgres core. Instead each
//! process holds a lease on each counter its checks touch: a `1/`[`SHARE`]
//! slice of the room left under the cap after spend, live reservations and
//! every other process's live leases, granted under the counter's row lock
//! (`store::BudgetStore::lease`). The process admits checks in memory,
//! taking each one's `estimated_cost` from its slice. Only checks that carry
//! an estimate are admitted this way: one without an estimate would take
//! nothing from the slice, so it bounds nothing, and such checks read the
//! database as before. Lease lifetimes run on the wall clock, whatever
//! instant a check is asked about.
//!
//! **Leasing happens beside the checks, not in them.** A check on a counter
//! without a live lease (the first, or one whose lease ran out) is decided
//! exactly from the database, as without leases, and asks for a lease; a
//! check that finds its lease half spent or half way to expiry asks for a
//! renewal and is still admitted. One background task per process grants
//! what was asked, up to [`BATCH`] counters in one transaction of two
//! statements, so a counter checked once a second (one task of thousands)
//! costs a share of a batch, not a transaction per check. A counter no check
//! touches is not renewed: its lease expires ([`DEFAULT_LEASE_MS`]).
//!
//! **The bound.** A lease is granted only from room no other live lease
//! holds, and every exact decision (a check read from the database, a
//! reservation, another lease) counts the live leases as load, so the
//! estimates admitted from leases add up to at most the room they were
//! granted from. A local lease ends no later than the database's record of
//! it (both are timed from before the grant); what checks take from an old
//! lease while its renewal is being granted is taken from the new one (the
//! grant did not count it); and an estimate given back (another cap refused
//! the call) goes back only to the lease it came from. What a cap can be
//! passed by is then:
//! - the calls admitted from a lease that are still in flight (not yet
//!   reported) when that lease is renewed or expires: the renewal no longer
//!   holds them, and the spend does not count them yet;
//! - what calls cost beyond their estimates, and calls reported without any
//!   check (as with every cap).
//!
//! A caller that needs no overshoot at all reserves (`"reserve": true`),
//! which is exact. Near the cap the room is small, each slice is a tenth of
//! it, and when a lease comes back empty the process decides each check from
//! the database exactly until that lease expires.

use chrono::{DateTime, Utc};
use domain::Nanos;
use rand::RngCore;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use store::{BudgetStore, CapLoad, CounterKey};

/// Each lease is this fraction (1/SHARE) of the room left when granted.
pub const SHARE: i64 = 10;

/// How long a lease lasts by default (`BURSAR_CAP_LEASE_MS`; 0 turns leases off).
pub const DEFAULT_LEASE_MS: u64 = 2_000;

/// Counters granted in one transaction at most.
pub const BATCH: usize = 1_000;

/// After a failed grant, the background task waits this long before the next.
const BACKOFF: Duration = Duration::from_millis(200);

/// Leases kept in memory before expired ones are swept out.
const SWEEP_AT: usize = 50_000;

/// One counter's lease as this process holds it.
#[derive(Clone, Copy, Debug)]
struct Local {
    granted: Nanos,
    used: Nanos,
    /// When it ends here: no later than the database's record of it.
    until: Instant,
    /// A grant for it has been asked for and not yet made.
    asked: bool,
    /// Which grant this is (0: none yet): an estimate is given back only to the lease it was taken from.
    generation: u64,
}

/// How a counter answers one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Admitted from this process's lease (its estimate taken from the slice
    /// of this generation, to give back to it alone).
    Admitted(u64),
    /// No lease covers it: decide from this load, exactly.
    Load(CapLoad),
}

/// What the checks and the background task share.
#[derive(Default)]
struct Shared {
    held: Mutex<HashMap<CounterKey, Local>>,
    /// Counters to grant a lease on: each one's cap limit and the smallest
    /// slice worth holding (the estimate of the check that asked).
    asked: Mutex<HashMap<CounterKey, (Nanos, Nanos)>>,
    wake: tokio::sync::Notify,
    /// The last grant's generation.
    generations: AtomicU64,
    /// Held leases past which expired ones are swept out (doubling, so a sweep is rare).
    sweep_at: std::sync::atomic::AtomicUsize,
}

/// This process's leases.
pub struct Leases {
    /// Names this process's leases in the database.
    holder: String,
    ttl_ms: AtomicU64,
    shared: Arc<Shared>,
    /// Whether the background task that grants leases runs.
    granting: AtomicBool,
    /// Checks admitted from memory, and counters granted a lease (for `/metrics` and the bench).
    pub admitted: Arc<AtomicU64>,
    pub renewals: Arc<AtomicU64>,
}

impl Default for Leases {
    fn default() -> Leases {
        let mut id = [0u8; 8];
        rand::thread_rng().fill_bytes(&mut id);
        Leases {
            holder: format!("proc-{}", id.iter().map(|b| format!("{b:02x}")).collect::<String>()),
            ttl_ms: AtomicU64::new(DEFAULT_LEASE_MS),
            shared: Default::default(),
            granting: AtomicBool::new(false),
            admitted: Default::default(),
            renewals: Default::default(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Leases {
    /// Sets how long a lease lasts; zero turns leases off.
    pub fn set_ttl(&self, ttl: Duration) {
        self.ttl_ms.store(ttl.as_millis() as u64, Ordering::Relaxed);
    }

    /// Whether checks are answered from leases.
    pub fn enabled(&self) -> bool {
        self.ttl_ms.load(Ordering::Relaxed) > 0
    }

    fn ttl(&self) -> Duration {
        Duration::from_millis(self.ttl_ms.load(Ordering::Relaxed))
    }

    /// Takes `estimate` from this process's lease on each counter (with its
    /// cap's limit). Where no live lease covers it, the counter's load for
    /// an exact decision (read through `gather`), and a lease is asked for;
    /// a lease half used or half way to its end is asked to be renewed. One
    /// answer per key, in order.
    ///
    /// Errors: the store's, from the exact reads only (a failed grant is
    /// logged, and its counters are decided exactly meanwhile).
    pub async fn admit(
        &self,
        store: &Arc<dyn BudgetStore>,
        gather: &crate::gather::Gather,
        keys: &[(CounterKey, Nanos)],
        estimate: Nanos,
        now: DateTime<Utc>,
    ) -> Result<Vec<Answer>, store::StoreError> {
        let ttl = self.ttl();
        let mut admitted = Vec::with_capacity(keys.len());
        let mut ask = Vec::new();
        {
            let mut held = lock(&self.shared.held);
            let at = Instant::now();
            for (key, limit) in keys {
                let l = held.entry(key.clone()).or_insert(Local {
                    granted: Nanos(0),
                    used: Nanos(0),
                    until: at,
                    asked: false,
                    generation: 0,
                });
                let live = l.until > at;
                let fits = live && l.granted.0 > 0 && l.granted.0 - l.used.0 >= estimate.0;
                if fits {
                    l.used += estimate;
                }
                // Asked for: none live; or live and big enough for this estimate, but used up, half
                // used or half way to its end. One too small for it (near the cap) waits to expire.
                let wanted = !live
                    || (l.granted.0 >= estimate.0.max(1)
                        && (!fits || 2 * l.used.0 >= l.granted.0 || l.until.duration_since(at) < ttl / 2));
                if wanted && !l.asked {
                    l.asked = true;
                    ask.push((key.clone(), (*limit, estimate)));
                }
                admitted.push(fits.then_some(l.generation));
            }
            if held.len() > SWEEP_AT.max(self.shared.sweep_at.load(Ordering::Relaxed)) {
                held.retain(|_, l| l.until > at || l.asked);
                self.shared.sweep_at.store(2 * held.len(), Ordering::Relaxed);
            }
        }
        if !ask.is_empty() {
            lock(&self.shared.asked).extend(ask);
            self.start_granting(store);
            self.shared.wake.notify_one();
        }
        let exact: Vec<CounterKey> =
            keys.iter().zip(&admitted).filter(|(_, a)| a.is_none()).map(|((k, _), _)| k.clone()).collect();
        let mut loads = if exact.is_empty() { vec![] } else { gather.load(store, &exact, now).await? }.into_iter();
        let answers: Vec<Answer> = admitted
            .into_iter()
            .map(|a| match a {
                Some(generation) => Answer::Admitted(generation),
                None => Answer::Load(loads.next().unwrap_or_default()),
            })
            .collect();
        let n = answers.iter().filter(|a| matches!(a, Answer::Admitted(_))).count() as u64;
        self.admitted.fetch_add(n, Ordering::Relaxed);
        Ok(answers)
    }

    /// Gives back `estimate` taken from `key`'s lease of `generation`
    /// (another cap refused the call); a lease renewed since keeps it taken.
    pub fn give_back(&self, key: &CounterKey, estimate: Nanos, generation: u64) {
        if let Some(l) = lock(&self.shared.held).get_mut(key).filter(|l| l.generation == generation) {
            l.used = Nanos((l.used.0 - estimate.0).max(0));
        }
    }

    /// Starts the background task that grants what checks ask for, once.
    fn start_granting(&self, store: &Arc<dyn BudgetStore>) {
        if self.granting.swap(true, Ordering::AcqRel) {
            return;
        }
        let (shared, store, holder) = (self.shared.clone(), store.clone(), self.holder.clone());
        let (ttl_ms, renewals) = (self.ttl_ms.load(Ordering::Relaxed), self.renewals.clone());
        tokio::spawn(async move {
            loop {
                let batch: Vec<(CounterKey, (Nanos, Nanos))> = {
                    let mut asked = lock(&shared.asked);
                    let keys: Vec<CounterKey> = asked.keys().take(BATCH).cloned().collect();
                    keys.into_iter().filter_map(|k| asked.remove(&k).map(|v| (k, v))).collect()
                };
                if batch.is_empty() {
                    shared.wake.notified().await;
                    continue;
                }
                if let Err(e) = grant(&shared, &*store, &holder, &batch, Duration::from_millis(ttl_ms)).await {
                    tracing::warn!(error = %e, counters = batch.len(), "could not grant cap leases; checks read the database meanwhile");
                    tokio::time::sleep(BACKOFF).await;
                } else {
                    renewals.fetch_add(batch.len() as u64, Ordering::Relaxed);
                }
            }
        });
    }
}

/// Grants `batch` in one store call and installs the leases, each ending
/// here a lease lifetime after the moment before the grant was asked (so no
/// later than the database's record of it). What checks took from a
/// counter's old lease while the grant was made is taken from the new one:
/// the grant did not count it. Each slice must fit the largest estimate that
/// asked in the batch, so every lease granted can admit the checks that asked
/// for it (a smaller one would hold room no check could use). On failure the
/// counters are no longer marked as asked, so the next check asks again.
async fn grant(
    shared: &Shared,
    store: &dyn BudgetStore,
    holder: &str,
    batch: &[(CounterKey, (Nanos, Nanos))],
    ttl: Duration,
) -> Result<(), store::StoreError> {
    let (started, clock) = (Instant::now(), Utc::now());
    let expires = clock + chrono::Duration::milliseconds(ttl.as_millis() as i64);
    let min = batch.iter().map(|(_, (_, m))| *m).max().unwrap_or_default();
    let keys: Vec<(CounterKey, Nanos)> = batch.iter().map(|(k, (limit, _))| (k.clone(), *limit)).collect();
    // What each old lease had used when the grant began (and which lease it was).
    let before: Vec<Option<(u64, Nanos)>> = {
        let held = lock(&shared.held);
        keys.iter().map(|(k, _)| held.get(k).map(|l| (l.generation, l.used))).collect()
    };
    let result = store.lease(holder, &keys, (SHARE, min), clock, expires).await;
    let mut held = lock(&shared.held);
    match result {
        Ok(granted) => {
            for (((key, _), got), before) in keys.iter().zip(granted).zip(before) {
                let generation = shared.generations.fetch_add(1, Ordering::Relaxed) + 1;
                let carried = match (held.get(key), before) {
                    (Some(l), Some((g, used))) if l.generation == g => Nanos((l.used.0 - used.0).max(0)),
                    _ => Nanos(0),
                };
                held.insert(
                    key.clone(),
                    Local { granted: got.granted, used: carried, until: started + ttl, asked: false, generation },
                );
            }
            Ok(())
        }
        Err(e) => {
            for (key, _) in &keys {
                if let Some(l) = held.get_mut(key) {
                    l.asked = false;
                }
            }
            Err(e)
        }
    }
}
