//! SQLite's mirror of budget counters, for the pre-call check.
//!
//! On SQLite, one Bursar process is the database's writer, so it knows every
//! committed counter value: its ingest writes them. The mirror keeps those
//! values (set after each commit, from the totals the database returned),
//! and the check reads them without a query. Postgres, where many processes
//! write, has no mirror: its checks read the database every time.
//!
//! A (budget, period) whose counters were all read at once is *complete*:
//! a split value missing from it has spent nothing, so a check for a new user
//! or task needs no query either. Every [`FRESH_FOR`] one caller verifies a
//! complete period against the database by its row count and sum (one small
//! query); a mismatch (a write from another process on the same file, such as
//! a CLI run) drops it, to be read again. Values outside complete periods
//! expire after [`FRESH_FOR`].

use crate::{CounterChange, CounterKey};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long what was read is trusted before it is read or verified again.
pub const FRESH_FOR: Duration = Duration::from_secs(1);
/// Most counters mirrored (the mirror is cleared when it is full).
const MAX_ENTRIES: usize = 200_000;
/// Most counters of one (budget, period) read at once to make it complete.
pub const COMPLETE_MAX: i64 = 50_000;
/// How long a period too large to read whole is not tried again.
const TOO_LARGE_FOR: Duration = Duration::from_secs(60);

type Key = (String, String, i64);
type Period = (String, i64);

/// A period read whole, with the count and sum of its counters as the mirror knows them.
struct Complete {
    checked_at: Instant,
    count: i64,
    sum: i64,
    /// Commits that have touched it, so a verification can tell whether one raced it.
    commits: u64,
}

/// What a caller must read for the mirror.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Read {
    /// Every counter of the period.
    Whole { budget_id: String, period_start: i64 },
    /// The period's row count and sum, to compare with these.
    Verify { budget_id: String, period_start: i64, count: i64, sum: i64, commits: u64 },
}

/// Counter values by (budget id, split value, period start), and the periods read whole.
#[derive(Default)]
pub struct Mirror(Mutex<Inner>);

#[derive(Default)]
struct Inner {
    values: HashMap<Key, (i64, Instant)>,
    complete: HashMap<Period, Complete>,
    /// Periods being read or verified right now (one caller each).
    loading: HashSet<Period>,
    /// When each budget was last recounted or deleted: reads from before then are stale.
    forgotten: HashMap<String, Instant>,
    /// Periods found too large to read whole, and when.
    too_large: HashMap<Period, Instant>,
}

fn key(k: &CounterKey) -> Key {
    (k.budget_id.clone(), k.split_value.clone(), k.period_start.timestamp())
}

impl Mirror {
    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Known values for `keys`, `None` where the database must be asked.
    pub fn get(&self, keys: &[CounterKey]) -> Vec<Option<i64>> {
        let inner = self.inner();
        keys.iter()
            .map(|k| {
                let k = key(k);
                let complete = inner.complete.contains_key(&(k.0.clone(), k.2));
                match inner.values.get(&k) {
                    Some((v, at)) if complete || at.elapsed() < FRESH_FOR => Some(*v),
                    None if complete => Some(0),
                    _ => None,
                }
            })
            .collect()
    }

    /// The reads this caller should make now for the periods of `keys`:
    /// never read whole, or due for verification, and not claimed by another.
    pub fn claim_reads(&self, keys: &[CounterKey]) -> Vec<Read> {
        let mut inner = self.inner();
        let mut out = Vec::new();
        for k in keys {
            let p = (k.budget_id.clone(), k.period_start.timestamp());
            if inner.loading.contains(&p) || inner.too_large.get(&p).is_some_and(|at| at.elapsed() < TOO_LARGE_FOR) {
                continue;
            }
            let read = match inner.complete.get(&p) {
                None => Read::Whole { budget_id: p.0.clone(), period_start: p.1 },
                Some(c) if c.checked_at.elapsed() >= FRESH_FOR => Read::Verify {
                    budget_id: p.0.clone(),
                    period_start: p.1,
                    count: c.count,
                    sum: c.sum,
                    commits: c.commits,
                },
                Some(_) => continue,
            };
            inner.loading.insert(p);
            out.push(read);
        }
        out
    }

    /// Gives up a claimed read that failed.
    pub fn release(&self, budget_id: &str, period_start: i64) {
        self.inner().loading.remove(&(budget_id.to_string(), period_start));
    }

    /// Gives up a claimed read of a period too large to read whole; its
    /// values are read key by key for a while.
    pub fn too_large(&self, budget_id: &str, period_start: i64) {
        let mut inner = self.inner();
        let p = (budget_id.to_string(), period_start);
        inner.loading.remove(&p);
        inner.too_large.insert(p, Instant::now());
    }

    /// Records values read from the database, unless a commit has set a fresher one meanwhile.
    pub fn fill(&self, read_at: Instant, values: impl IntoIterator<Item = (CounterKey, i64)>) {
        let mut inner = self.inner();
        Self::fill_locked(&mut inner, read_at, values.into_iter().map(|(k, v)| (key(&k), v)));
    }

    fn fill_locked(inner: &mut Inner, read_at: Instant, values: impl Iterator<Item = (Key, i64)>) {
        if inner.values.len() >= MAX_ENTRIES {
            inner.values.clear();
            inner.complete.clear();
        }
        for (k, v) in values {
            if inner.forgotten.get(&k.0).is_some_and(|at| *at >= read_at) {
                continue;
            }
            let slot = inner.values.entry(k).or_insert((v, read_at));
            if slot.1 < read_at {
                *slot = (v, read_at);
            }
        }
    }

    /// Records every counter of a claimed period, read at `read_at`: the ones absent are zero.
    pub fn fill_complete(&self, budget_id: &str, period_start: i64, read_at: Instant, values: Vec<(String, i64)>) {
        let mut inner = self.inner();
        let rows = values.into_iter().map(|(split, v)| ((budget_id.to_string(), split, period_start), v));
        Self::fill_locked(&mut inner, read_at, rows);
        let p = (budget_id.to_string(), period_start);
        inner.loading.remove(&p);
        if inner.forgotten.get(budget_id).is_some_and(|at| *at >= read_at) {
            return;
        }
        // The count and sum of what is now known (commits since the read included).
        let (count, sum) = inner
            .values
            .iter()
            .filter(|(k, _)| k.0 == budget_id && k.2 == period_start)
            .fold((0, 0), |(n, s), (_, (v, _))| (n + 1, s + v));
        inner.complete.insert(p, Complete { checked_at: read_at, count, sum, commits: 0 });
    }

    /// Settles a claimed verification: the database's count and sum for the
    /// period, read after the claim. Equal (and no commit raced the read):
    /// the period stays complete. Different: it is dropped, to be read again.
    pub fn verified(&self, read: &Read, read_at: Instant, db_count: i64, db_sum: i64) {
        let Read::Verify { budget_id, period_start, count, sum, commits } = read else { return };
        let mut inner = self.inner();
        let p = (budget_id.clone(), *period_start);
        inner.loading.remove(&p);
        let Some(c) = inner.complete.get_mut(&p) else { return };
        if c.commits != *commits {
            return; // A commit raced the read; verify again later.
        }
        if (db_count, db_sum) == (*count, *sum) {
            c.checked_at = read_at;
        } else {
            inner.complete.remove(&p);
            inner.values.retain(|k, _| !(k.0 == p.0 && k.2 == p.1));
        }
    }

    /// Records the totals a commit wrote, for a transaction begun at `began`.
    /// Commits can reach here out of order; between recounts a counter only
    /// grows, so the larger total is the later one. A budget recounted since
    /// the transaction began is skipped: its totals are from before the recount.
    pub fn committed(&self, changes: &[CounterChange], began: Instant) {
        let now = Instant::now();
        let mut inner = self.inner();
        for c in changes {
            if inner.forgotten.get(&c.budget_id).is_some_and(|at| *at >= began) {
                continue;
            }
            let k = (c.budget_id.clone(), c.split_value.clone(), c.window.start.timestamp());
            let before = inner.values.get(&k).map(|(v, _)| *v);
            if before.is_some_and(|b| b > c.after.0) {
                continue;
            }
            inner.values.insert(k, (c.after.0, now));
            if let Some(p) = inner.complete.get_mut(&(c.budget_id.clone(), c.window.start.timestamp())) {
                if before.is_none() {
                    p.count += 1;
                }
                p.sum += c.after.0 - before.unwrap_or(0);
                p.commits += 1;
            }
        }
    }

    /// Forgets a budget's counters (it was recounted or deleted).
    pub fn forget(&self, budget_id: &str) {
        let mut inner = self.inner();
        inner.values.retain(|k, _| k.0 != budget_id);
        inner.complete.retain(|k, _| k.0 != budget_id);
        inner.forgotten.insert(budget_id.to_string(), Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use domain::budgets::window::Window;
    use domain::Nanos;

    fn k() -> CounterKey {
        CounterKey { budget_id: "b".into(), split_value: String::new(), period_start: DateTime::<Utc>::UNIX_EPOCH }
    }

    fn change(after: i64) -> CounterChange {
        let w = Window { start: DateTime::<Utc>::UNIX_EPOCH, end: DateTime::<Utc>::UNIX_EPOCH };
        CounterChange {
            budget_id: "b".into(),
            budget_name: "b".into(),
            limit: Nanos(10),
            hard_cap: true,
            split_value: String::new(),
            window: w,
            before: Nanos(0),
            after: Nanos(after),
        }
    }

    #[test]
    fn a_read_that_started_before_a_commit_does_not_overwrite_it() {
        let m = Mirror::default();
        let read_at = Instant::now();
        m.committed(&[change(7)], read_at);
        m.fill(read_at, [(k(), 3)]);
        assert_eq!(m.get(&[k()]), vec![Some(7)]);
        m.forget("b");
        assert_eq!(m.get(&[k()]), vec![None]);
        m.fill(read_at, [(k(), 3)]);
        assert_eq!(m.get(&[k()]), vec![None], "read before the recount");
        m.fill(Instant::now(), [(k(), 3)]);
        assert_eq!(m.get(&[k()]), vec![Some(3)]);
    }

    #[test]
    fn a_budget_period_read_whole_knows_its_absent_values_are_zero() {
        let m = Mirror::default();
        let other = CounterKey { split_value: "nobody".into(), ..k() };
        assert_eq!(m.get(std::slice::from_ref(&other)), vec![None]);
        assert_eq!(m.claim_reads(&[k(), other.clone()]), vec![Read::Whole { budget_id: "b".into(), period_start: 0 }]);
        assert!(m.claim_reads(&[k()]).is_empty(), "one reader at a time");
        m.fill_complete("b", 0, Instant::now(), vec![(String::new(), 4)]);
        assert_eq!(m.get(&[k(), other]), vec![Some(4), Some(0)]);
        assert!(m.claim_reads(&[k()]).is_empty(), "fresh");
    }

    #[test]
    fn commits_arriving_out_of_order_keep_the_later_total() {
        let m = Mirror::default();
        let began = Instant::now();
        m.committed(&[change(15)], began);
        m.committed(&[change(10)], began);
        assert_eq!(m.get(&[k()]), vec![Some(15)]);
        // A commit begun before a recount does not put back the old totals.
        m.forget("b");
        m.committed(&[change(20)], began);
        assert_eq!(m.get(&[k()]), vec![None]);
    }

    #[test]
    fn a_complete_period_is_verified_by_count_and_sum() {
        let m = Mirror::default();
        m.claim_reads(&[k()]);
        let long_ago = Instant::now() - FRESH_FOR * 2;
        m.fill_complete("b", 0, long_ago, vec![(String::new(), 4)]);
        m.committed(&[change(6)], Instant::now());
        let reads = m.claim_reads(&[k()]);
        assert_eq!(reads, vec![Read::Verify { budget_id: "b".into(), period_start: 0, count: 1, sum: 6, commits: 1 }]);
        m.verified(&reads[0], Instant::now(), 1, 6);
        assert!(m.claim_reads(&[k()]).is_empty(), "verified, fresh again");
        // Another process wrote: the sums differ, and the period is read again.
        let other = CounterKey { split_value: "x".into(), ..k() };
        let mut inner = m.inner();
        inner.complete.get_mut(&("b".to_string(), 0)).unwrap().checked_at = long_ago;
        drop(inner);
        let reads = m.claim_reads(&[k()]);
        m.verified(&reads[0], Instant::now(), 2, 9);
        assert_eq!(m.get(&[k(), other]), vec![None, None]);
    }
}
