//! The cost of a signals report at size: what the Signals page and the
//! signal-rule sweep (at start-up and every few minutes, when rules exist)
//! compute for a tag key over 90 days. Each report is asked for once, for a
//! key not asked before (so no cached copy answers), while the server's
//! resident memory is sampled every 10 ms. Then the same key over 30 days
//! (the Signals page's other period): a report not cached either, whose
//! settled days' task sums the first one left in memory
//! (`signals::task_days`), as every later report and sweep within the hour
//! finds them.

use crate::tools::bench_proc::ServerProc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One report: how long it took, and the server's resident memory (MiB)
/// before, at its peak while the report was built, and 2 s after.
pub struct Sweep {
    pub key: &'static str,
    pub took: Duration,
    /// The 30-day report right after: only the last two days read afresh.
    pub took_warm: Duration,
    pub rss_before: f64,
    pub rss_peak: f64,
    pub rss_after: f64,
}

/// `GET /api/v1/signals?key=<key>&days=90` for each of the bench's tag keys, one at a time.
///
/// Errors: a report that does not answer 200, or memory that cannot be read (`/proc`).
pub async fn run(server: &ServerProc, key: &str) -> anyhow::Result<Vec<Sweep>> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(600)).build()?;
    let mut out = Vec::new();
    for tag in ["workflow", "team"] {
        let rss_before = server.memory_mib()?.0;
        let peak = Arc::new(Mutex::new(rss_before));
        let done = Arc::new(AtomicBool::new(false));
        let pid = server.pid();
        let sampler = {
            let (peak, done) = (peak.clone(), done.clone());
            tokio::spawn(async move {
                while !done.load(Ordering::Relaxed) {
                    if let Ok(rss) = crate::tools::bench_proc::rss_mib(pid) {
                        let mut p = peak.lock().unwrap_or_else(|e| e.into_inner());
                        *p = p.max(rss);
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            })
        };
        let took = report(&client, &server.base, key, tag, 90).await;
        done.store(true, Ordering::Relaxed);
        sampler.await?;
        let (took, took_warm) = (took?, report(&client, &server.base, key, tag, 30).await?);
        tokio::time::sleep(Duration::from_secs(2)).await;
        let rss_after = server.memory_mib()?.0;
        let rss_peak = *peak.lock().unwrap_or_else(|e| e.into_inner());
        println!(
            "  signals report, {tag}, 90 days: {took:.1?}; resident {rss_before:.0} MiB before, peak {rss_peak:.0} MiB, \
             {rss_after:.0} MiB 2 s after; 30 days right after: {took_warm:.1?}"
        );
        out.push(Sweep { key: tag, took, took_warm, rss_before, rss_peak, rss_after });
    }
    Ok(out)
}

/// How long `GET /api/v1/signals?key=<tag>&days=<days>` took to answer in full.
///
/// Errors: a request that fails or answers other than 200.
async fn report(client: &reqwest::Client, base: &str, key: &str, tag: &str, days: u32) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let resp = client.get(format!("{base}/api/v1/signals?key={tag}&days={days}")).bearer_auth(key).send().await?;
    let status = resp.status();
    let _ = resp.bytes().await?;
    anyhow::ensure!(status.is_success(), "the {days}-day signals report for {tag} answered {status}");
    Ok(started.elapsed())
}
