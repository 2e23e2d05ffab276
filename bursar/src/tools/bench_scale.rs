//! Production's mix and its scale-out in `bursar bench`: the paced check
//! while an ingest round runs on the same server (production has both at
//! once), and `--replicas N` on Postgres: one process and then N on one
//! database, sharing an ingest round, the paced check, and 200 agents racing
//! to reserve $0.10 each against a $10 cap (exactly 100 fit).

use crate::tools::bench_bodies::bodies;
use crate::tools::bench_check::{paced, CheckArgs, FLEET_TEAM, RACE_CAP};
use crate::tools::bench_ingest::ingest;
use crate::tools::bench_proc::ServerProc;
use crate::tools::bench_stats::ms;
use serde_json::{json, Value};
use std::time::Duration;

/// The race: this many agents ask at once, each for [`RACE_ESTIMATE`], against a cap of [`RACE_CAP`].
const RACE_AGENTS: usize = 200;
const RACE_ESTIMATE: &str = "0.10";

/// A row of the bench's closing table: figure, target, measured, met.
pub type Row = (String, &'static str, String, bool);

/// Ids of the events this phase sends start here, past every other phase's.
const FIRST_ID: usize = 50_000_000;

/// The paced check while an ingest round of `events` runs on the same server.
pub async fn check_during_ingest(
    base: &str,
    key: &str,
    check: &CheckArgs,
    (events, batch, clients): (usize, usize, usize),
) -> anyhow::Result<Vec<Row>> {
    let sent = bodies(FIRST_ID, events, batch, 600);
    let (urls, bases) = ([format!("{base}/api/v1/events")], [base.to_string()]);
    let (ingested, checked) = tokio::join!(ingest(&urls, key, sent, clients), paced(&bases, key, check));
    let ((wall, _), c) = (ingested?, checked?);
    let rate = events as f64 / wall.as_secs_f64();
    println!(
        "  check paced at {}/s during an ingest round: achieved {:.0}/s, p99 {}; the round ran at {rate:.0} events/s",
        check.check_rate,
        c.paced_rate,
        ms(c.paced_p99)
    );
    Ok(vec![(
        format!("check p99 paced at {}/s while an ingest round runs ({rate:.0} events/s)", check.check_rate),
        "<= 2 ms",
        format!("{} at {:.0} checks/s achieved", ms(c.paced_p99), c.paced_rate),
        c.paced_p99 <= Duration::from_millis(2) && c.paced_rate >= 0.98 * f64::from(check.check_rate),
    )])
}

/// One process and then `replicas` on one Postgres database: ingest, the
/// paced check and the reservation race, load spread across the processes.
pub async fn replicas(
    database_url: &str,
    replicas: usize,
    key: &str,
    check: &CheckArgs,
    (events, batch, clients): (usize, usize, usize),
) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    for (round, n) in [1, replicas].into_iter().enumerate() {
        let mut procs = Vec::new();
        for _ in 0..n {
            procs.push(ServerProc::start(database_url).await?);
        }
        let bases: Vec<String> = procs.iter().map(|p| p.base.clone()).collect();
        let urls: Vec<String> = bases.iter().map(|b| format!("{b}/api/v1/events")).collect();
        let sent = bodies(FIRST_ID + (round + 1) * events, events, batch, 600);
        let (wall, _) = ingest(&urls, key, sent, clients.max(n)).await?;
        let rate = events as f64 / wall.as_secs_f64();
        let c = paced(&bases, key, check).await?;
        let allowed = race(&bases, key, round).await?;
        println!(
            "  {n} process(es): ingest {rate:.0} events/s; check paced at {}/s achieved {:.0}/s p99 {}; \
             {allowed} of {RACE_AGENTS} reservations of ${RACE_ESTIMATE} allowed under a ${RACE_CAP} cap",
            check.check_rate,
            c.paced_rate,
            ms(c.paced_p99)
        );
        rows.push((
            format!("{n} process(es) on one Postgres: ingest, paced check, reservations racing for one cap"),
            "exactly 100 of 200 fit",
            format!("{rate:.0} events/s; {:.0} checks/s p99 {}; {allowed} allowed", c.paced_rate, ms(c.paced_p99)),
            allowed == 100,
        ));
        for p in procs {
            p.stop().await?;
        }
    }
    Ok(rows)
}

/// 200 agents ask at once, spread over the processes, to reserve $0.10 each
/// against the fleet's $10 cap; the allowed calls are then reported at no
/// cost, which settles their holds (so the next race starts from $0 again).
async fn race(bases: &[String], key: &str, round: usize) -> anyhow::Result<usize> {
    let http = reqwest::Client::new();
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(RACE_AGENTS));
    let mut agents = Vec::new();
    for a in 0..RACE_AGENTS {
        let (http, base, key, start) = (http.clone(), bases[a % bases.len()].clone(), key.to_string(), start.clone());
        agents.push(tokio::spawn(async move {
            let id = format!("race-{round}-{a}");
            let tags = json!({"team": FLEET_TEAM, "workflow": "fleet-wf"});
            let body = json!({"tags": tags, "estimated_cost": RACE_ESTIMATE, "reserve": true, "id": id});
            start.wait().await;
            let answer: Value =
                http.post(format!("{base}/api/v1/check")).bearer_auth(&key).json(&body).send().await?.json().await?;
            anyhow::Ok((answer["allowed"] == true).then(|| {
                json!({"id": id, "timestamp": chrono::Utc::now().to_rfc3339(), "model": "gpt-4o",
                       "input_tokens": 1, "output_tokens": 1, "cost": "0", "tags": tags})
            }))
        }));
    }
    let mut settle = Vec::new();
    for a in agents {
        settle.extend(a.await??);
    }
    let allowed = settle.len();
    let url = format!("{}/api/v1/events", bases[0]);
    let resp = http.post(url).bearer_auth(key).json(&json!({ "events": settle })).send().await?;
    anyhow::ensure!(resp.status().is_success(), "settling the race's calls answered {}", resp.status());
    Ok(allowed)
}
