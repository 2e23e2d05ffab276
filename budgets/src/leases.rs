//! Per-process leases on hard caps, for plain checks when many processes
//! share the counters (Postgres).
//!
//! Reading every counter from the database on every check costs a round
//! trip; at 20,000 checks/s that is most of a Postgres core. Instead each
//! process asks the database for a lease on a counter: a `1/`[`SHARE`]
//! slice of the room left under the cap after spend, live reservations and
//! every other process's live leases, taken under the counter's row lock
//! (`store::BudgetStore::lease`). The process then admits checks in memory,
//! taking each one's `estimated_cost` from its slice, until the slice is used
//! up or the lease expires ([`DEFAULT_LEASE_MS`]); then it renews. Only
//! checks that carry an estimate are admitted this way: one without an
//! estimate would take nothing from the slice, so it bounds nothing, and such
//! checks read the database as before. Lease lifetimes run on the wall clock,
//! whatever instant a check is asked about.
//!
//! **The bound.** A lease is granted only from room no other live lease
//! holds, and every exact decision (a check read from the database, a
//! reservation, another lease) counts the live leases as load, so the
//! estimates admitted from leases add up to at most the room they were
//! granted from. What a cap can be passed by is then:
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
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use store::{BudgetStore, CapLoad, CounterKey, StoreError};

/// Each lease is this fraction (1/SHARE) of the room left when granted.
pub const SHARE: i64 = 10;

/// How long a lease lasts by default (`BURSAR_CAP_LEASE_MS`; 0 turns leases off).
pub const DEFAULT_LEASE_MS: u64 = 2_000;

/// Checks of one counter, within two lease lifetimes, before this process
/// asks for a lease on it. A cold counter (one task of thousands, say) is
/// read from the database with the check's other counters in one query, as
/// without leases; a lease of its own would cost a transaction per check.
pub const HOT: u32 = 16;

/// Leases kept in memory before expired ones are swept out.
const SWEEP_AT: usize = 50_000;

/// One counter's lease as this process holds it.
#[derive(Clone, Copy, Debug)]
struct Local {
    granted: Nanos,
    used: Nanos,
    until: Instant,
    /// A renewal is under way: other checks decide from the database meanwhile.
    renewing: bool,
    /// Checks of this counter since `since`: a lease is asked for only once
    /// a counter is hot ([`HOT`] checks within two lease lifetimes).
    hits: u32,
    since: Instant,
}

/// How a counter answers one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Admitted from this process's lease (its estimate taken from the slice).
    Admitted,
    /// No lease covers it: decide from this load, exactly.
    Load(CapLoad),
}

enum Next {
    Admitted,
    Renew,
    Exact,
}

/// This process's leases.
pub struct Leases {
    /// Names this process's leases in the database.
    holder: String,
    ttl_ms: AtomicU64,
    held: Mutex<HashMap<CounterKey, Local>>,
    /// Checks admitted from memory, and lease renewals (for `/metrics` and the bench).
    pub admitted: AtomicU64,
    pub renewals: AtomicU64,
}

impl Default for Leases {
    fn default() -> Leases {
        let mut id = [0u8; 8];
        rand::thread_rng().fill_bytes(&mut id);
        Leases {
            holder: format!("proc-{}", id.iter().map(|b| format!("{b:02x}")).collect::<String>()),
            ttl_ms: AtomicU64::new(DEFAULT_LEASE_MS),
            held: Mutex::new(HashMap::new()),
            admitted: AtomicU64::new(0),
            renewals: AtomicU64::new(0),
        }
    }
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

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CounterKey, Local>> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes `estimate` from this process's lease on each counter (with its
    /// cap's limit), renewing the leases that expired or ran out in one store
    /// call; where no lease covers the estimate, the counter's load for an
    /// exact decision (read through `gather`). One answer per key, in order.
    pub async fn admit(
        &self,
        store: &Arc<dyn BudgetStore>,
        gather: &crate::gather::Gather,
        keys: &[(CounterKey, Nanos)],
        estimate: Nanos,
        now: DateTime<Utc>,
    ) -> Result<Vec<Answer>, StoreError> {
        let ttl = Duration::from_millis(self.ttl_ms.load(Ordering::Relaxed));
        let mut next = Vec::with_capacity(keys.len());
        {
            let mut held = self.lock();
            let at = Instant::now();
            for (key, _) in keys {
                let step = match held.get_mut(key) {
                    Some(l) if l.until > at && l.granted.0 > 0 && l.granted.0 - l.used.0 >= estimate.0 => {
                        l.used += estimate;
                        Next::Admitted
                    }
                    // Renewing, or empty when last granted: the database decides until it expires.
                    Some(l) if l.renewing || (l.until > at && l.granted.0 == 0) => Next::Exact,
                    // Used up while still live: a hot counter, renewed at once.
                    Some(l) if l.until > at => {
                        l.renewing = true;
                        Next::Renew
                    }
                    // Expired, or never leased: leased again only while the counter is hot.
                    Some(l) => {
                        if at.duration_since(l.since) > ttl * 2 {
                            (l.hits, l.since) = (0, at);
                        }
                        l.hits += 1;
                        l.renewing = l.hits >= HOT;
                        if l.renewing {
                            Next::Renew
                        } else {
                            Next::Exact
                        }
                    }
                    None => {
                        let cold =
                            Local { granted: Nanos(0), used: Nanos(0), until: at, renewing: false, hits: 1, since: at };
                        held.insert(key.clone(), cold);
                        Next::Exact
                    }
                };
                next.push(step);
            }
        }
        let renew: Vec<(CounterKey, Nanos)> =
            keys.iter().zip(&next).filter(|(_, n)| matches!(n, Next::Renew)).map(|(k, _)| k.clone()).collect();
        let exact: Vec<CounterKey> =
            keys.iter().zip(&next).filter(|(_, n)| matches!(n, Next::Exact)).map(|(k, _)| k.0.clone()).collect();
        let granted = if renew.is_empty() {
            vec![]
        } else {
            self.renewals.fetch_add(1, Ordering::Relaxed);
            let clock = chrono::Utc::now();
            let expires = clock + chrono::Duration::milliseconds(ttl.as_millis() as i64);
            match store.lease(&self.holder, &renew, (SHARE, estimate), clock, expires).await {
                Ok(g) => g,
                Err(e) => {
                    let mut held = self.lock();
                    for (k, _) in &renew {
                        held.remove(k);
                    }
                    return Err(e);
                }
            }
        };
        let loads = if exact.is_empty() { vec![] } else { gather.load(store, &exact, now).await? };
        let (mut granted, mut loads) = (granted.into_iter(), loads.into_iter());
        let mut held = self.lock();
        let until = Instant::now() + ttl;
        let answers = keys
            .iter()
            .zip(next)
            .map(|((key, _), step)| match step {
                Next::Admitted => Answer::Admitted,
                Next::Exact => Answer::Load(loads.next().unwrap_or_default()),
                Next::Renew => {
                    let got = granted.next().unwrap_or_default();
                    let fits = got.granted.0 > 0 && got.granted.0 >= estimate.0;
                    let used = if fits { estimate } else { Nanos(0) };
                    let now = Instant::now();
                    held.insert(
                        key.clone(),
                        Local { granted: got.granted, used, until, renewing: false, hits: HOT, since: now },
                    );
                    if fits {
                        Answer::Admitted
                    } else {
                        Answer::Load(got.load)
                    }
                }
            })
            .collect::<Vec<_>>();
        if held.len() > SWEEP_AT {
            let at = Instant::now();
            held.retain(|_, l| l.until > at || l.renewing);
        }
        let admitted = answers.iter().filter(|a| matches!(a, Answer::Admitted)).count() as u64;
        self.admitted.fetch_add(admitted, Ordering::Relaxed);
        Ok(answers)
    }

    /// Gives back `estimate` taken from `key`'s lease (another cap refused the call).
    pub fn give_back(&self, key: &CounterKey, estimate: Nanos) {
        if let Some(l) = self.lock().get_mut(key) {
            l.used = Nanos((l.used.0 - estimate.0).max(0));
        }
    }
}
