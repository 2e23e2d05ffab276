//! Retention at size in `bursar bench` (`--retain-days`, last): the grown
//! store's calls span 90 days; a retention pass for a shorter window
//! (`ingest::retention::retire`, what every server's job runs every ten
//! minutes) runs while an ingest round runs against a server on the same
//! store. It reports the pass's duration and the calls it deleted, the
//! round's rate and ack latencies beside the round at size before it, and
//! whether every budget counter, as ingest counted it, is what a recount
//! finds after the pass (the bench's caps split by task and by user, which
//! the rollups cannot recount, take the retired calls' kept share), to the
//! nano-dollar.

use crate::tools::bench_bodies::bodies;
use crate::tools::bench_ingest::ingest;
use crate::tools::bench_proc::ServerProc;
use crate::tools::bench_scale::Row;
use crate::tools::bench_stats::{ms, pct};
use chrono::Utc;
use std::time::Instant;

/// Ids of the events this phase sends start here, past every other phase's.
const FIRST_ID: usize = 80_000_000;

/// Each budget's counters in its recount windows at `now`, summed: (budget
/// id, period start, spend, calls, counters).
async fn counters(
    store: &dyn store::Store,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<Vec<(String, i64, i64, i64, usize)>> {
    let mut out = Vec::new();
    for b in store.list_budgets().await? {
        let zone = domain::budgets::window::zone(&b.spec.time_zone).unwrap_or(domain::budgets::window::Tz::UTC);
        for w in domain::budgets::counting::recount_windows(b.spec.period, zone, now) {
            let all = store.budget_counters(&b.id, w.start, i64::MAX).await?;
            let (spent, calls) = all.iter().fold((0, 0), |(s, c), x| (s + x.spent.0, c + x.calls));
            out.push((b.id.clone(), w.start.timestamp(), spent, calls, all.len()));
        }
    }
    Ok(out)
}

/// Runs the pass for `days` beside an ingest round of `events` on a fresh
/// server; `at_size` is the rate of the rounds before (events/s).
///
/// Errors: the store's, the server's, or an ingest request that fails.
pub async fn run(
    database_url: &str,
    key: &str,
    days: u32,
    (events, batch, clients): (usize, usize, usize),
    at_size: f64,
) -> anyhow::Result<Vec<Row>> {
    let store = store::connect(database_url).await?;
    let stored = store.count_events().await?;
    let server = ServerProc::start(database_url).await?;
    println!("retention: a pass for BURSAR_RETAIN_CALLS_DAYS={days} on {stored} calls, beside an ingest round:");
    let urls = [format!("{}/api/v1/events", server.base)];
    let pass = async {
        let started = Instant::now();
        let r = ingest::retention::retire(&*store, days, Utc::now()).await;
        (r, started.elapsed())
    };
    let (ingested, (retired, took)) =
        tokio::join!(ingest(&urls, key, bodies(FIRST_ID, events, batch, 600), clients), pass);
    let ((wall, mut lat), retired) = (ingested?, retired?);
    server.stop().await?;
    lat.sort();
    let rate = events as f64 / wall.as_secs_f64();
    // The counters as ingest counted them, then as a recount finds them after the pass.
    let now = Utc::now();
    let counted = counters(&*store, now).await?;
    let started = Instant::now();
    store.recount_budgets(now).await?;
    let recount_took = started.elapsed();
    let recounted = counters(&*store, now).await?;
    let same = counted == recounted;
    for (a, b) in counted.iter().zip(&recounted).filter(|(a, b)| a != b).take(5) {
        println!("  counted {a:?}, recounted {b:?}");
    }
    let n: usize = counted.iter().map(|c| c.4).sum();
    println!(
        "  deleted {} rows in {took:.1?} (edge {}); the round ran at {rate:.0} events/s, ack p99 {} max {}",
        retired.deleted,
        retired.edge,
        ms(pct(&lat, 0.99)),
        ms(pct(&lat, 1.0))
    );
    Ok(vec![
        (
            format!("retention pass at {stored} calls (90 days kept → {days})"),
            "small background batches",
            format!("{} rows deleted in {took:.1?}", retired.deleted),
            retired.deleted > 0,
        ),
        (
            "ingest while the pass runs, against the rounds at size before it".to_string(),
            "never stalls: ack max <= 1 s",
            format!(
                "{rate:.0} vs {at_size:.0} events/s = {:.0}%; ack p99 {}, max {}",
                100.0 * rate / at_size.max(1.0),
                ms(pct(&lat, 0.99)),
                ms(pct(&lat, 1.0))
            ),
            pct(&lat, 1.0) <= std::time::Duration::from_secs(1),
        ),
        (
            format!("every budget counter after the pass, as ingest counted it and recounted ({n} counters)"),
            "equal to the nano-dollar",
            format!("{} (the recount took {recount_took:.1?})", if same { "equal" } else { "different" }),
            same,
        ),
    ])
}
