//! Retention at size in `bursar bench` (`--retain-days`, last): the grown
//! store's calls span 90 days; a retention pass for a shorter window
//! (`ingest::retention::retire`, what every server's job runs every ten
//! minutes) runs while an ingest round runs against a server on the same
//! store. It reports the pass's duration and the calls it deleted, the
//! round's rate and ack latencies beside the round at size before it, and
//! whether the spend over the whole range, by team, is the same to the
//! nano-dollar after the pass as before it.

use crate::tools::bench_bodies::bodies;
use crate::tools::bench_ingest::ingest;
use crate::tools::bench_proc::ServerProc;
use crate::tools::bench_scale::Row;
use crate::tools::bench_stats::{ms, pct};
use chrono::{Duration, DurationRound, Utc};
use std::time::Instant;

/// Ids of the events this phase sends start here, past every other phase's.
const FIRST_ID: usize = 80_000_000;

/// Spend by team over the 100 days to `to`, from the store itself.
async fn spend_by_team(store: &dyn store::Store, to: chrono::DateTime<Utc>) -> anyhow::Result<domain::SpendReport> {
    let params = [
        ("from".to_string(), (to - Duration::days(100)).to_rfc3339()),
        ("to".to_string(), to.to_rfc3339()),
        ("group_by".to_string(), "team".to_string()),
    ];
    let q = domain::SpendQuery::from_params(&params, to).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok(store.spend(&q).await?)
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
    // On the hour (the rollups answer it after the pass too), and before the round's
    // calls, which are stamped within the 10 minutes before they are sent.
    let to = (Utc::now() - Duration::minutes(15)).duration_trunc(Duration::hours(1))?;
    let before = spend_by_team(&*store, to).await?;
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
    let after = spend_by_team(&*store, to).await?;
    let same = after == before;
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
            format!("spend by team over the 100 days to {to}, before and after the pass"),
            "equal to the nano-dollar",
            format!("${} before, ${} after", before.total.cost.to_usd(), after.total.cost.to_usd()),
            same,
        ),
    ])
}
