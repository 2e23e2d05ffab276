//! The pre-call check's part of `bursar bench`: hard-capped budgets over
//! the bench's teams, users and tasks, then `POST /api/v1/check` at full
//! speed (throughput) and paced at a fixed rate (latency at that load).

use crate::tools::bench_proc::ServerProc;
use crate::tools::bench_stats::{ms, pct};
use budgets::Actor;
use domain::budgets::draft::Draft;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use server::AppState;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Options of the check bench.
#[derive(clap::Args, Debug, Clone)]
pub struct CheckArgs {
    /// Checks per second offered in the paced run.
    #[arg(long, default_value_t = 20_000)]
    pub check_rate: u32,
    /// Seconds each check run measures.
    #[arg(long, default_value_t = 10)]
    pub check_secs: u64,
    /// Seconds each check run sends before it measures (its connections open and warm up).
    #[arg(long, default_value_t = 2)]
    pub check_warmup_secs: u64,
    /// Connections the full-speed check clients use.
    #[arg(long, default_value_t = 32)]
    pub check_connections: usize,
    /// Connections the paced clients share the rate between (each waits a
    /// few milliseconds between checks, well above the 1 ms timer).
    #[arg(long, default_value_t = 128)]
    pub check_paced_connections: usize,
}

/// The scope of the cap the scale-out phase's reservation race runs against.
pub const FLEET_TEAM: &str = "bench-fleet";
/// That cap's amount.
pub const RACE_CAP: &str = "10";

/// Hard caps a platform team would set: per user per day, per task, per team per month.
pub async fn create_caps(state: &AppState) -> anyhow::Result<()> {
    let caps = [
        ("Each user, daily", vec![], "user", "day", "50"),
        ("Each task", vec![], "task", "total", "5"),
        ("Support, monthly", vec![("team", "support")], "", "month", "100000"),
        ("Platform agents, each user", vec![("team", "platform"), ("task_type", "agent")], "user", "week", "200"),
        ("Fleet (the reservation race)", vec![("team", FLEET_TEAM)], "", "month", RACE_CAP),
    ];
    for (name, scope, split, period, amount) in caps {
        let d = Draft {
            name: name.into(),
            scope: scope.into_iter().map(|(k, v): (&str, &str)| (k.to_string(), v.to_string())).collect(),
            split_by: split.into(),
            period: period.into(),
            amount: amount.into(),
            thresholds: "80".into(),
            hard_cap: true,
            ..Draft::default()
        };
        state.budgets.save(&Actor::Key { name: "bench".into() }, None, &d, chrono::Utc::now()).await?;
    }
    Ok(())
}

fn bodies(n: usize) -> Vec<Vec<u8>> {
    let mut rng = StdRng::seed_from_u64(7);
    let teams = ["platform", "support", "search", "data", "growth", "security", "mobile", "finance"];
    (0..n)
        .map(|i| {
            let team = teams[rng.gen_range(0..teams.len())];
            let body = json!({
                "tags": {"team": team, "user": format!("user{}", rng.gen_range(0..200)), "task_type": "agent",
                         "workflow": format!("{team}-wf{}", i % 3)},
                "task_id": format!("task-{}", rng.gen_range(0..12_500)),
                "model": "claude-sonnet-4-5",
                "estimated_cost": "0.02",
            });
            serde_json::to_vec(&body).unwrap_or_default()
        })
        .collect()
}

/// Runs `connections` clients for `warmup` seconds and then `secs` measured
/// ones; with `rate`, each paces its share
/// of it. A paced request's latency counts from when it was due if the
/// client was still waiting for its previous answer then (so a stall is not
/// hidden by the client waiting it out), else from when it was sent (the
/// client's 1 ms timer is not the server's latency).
async fn run_clients(
    urls: &[String],
    key: &str,
    connections: usize,
    (warmup, secs): (u64, u64),
    rate: Option<u32>,
) -> anyhow::Result<(usize, Duration, Vec<Duration>, usize)> {
    let bodies = Arc::new(bodies(10_000));
    let next = Arc::new(AtomicUsize::new(0));
    let blocked = Arc::new(AtomicUsize::new(0));
    let client = reqwest::Client::builder().pool_max_idle_per_host(connections).tcp_nodelay(true).build()?;
    let started = Instant::now();
    let measured_from = started + Duration::from_secs(warmup);
    let until = measured_from + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for c in 0..connections {
        let (client, bodies, next, blocked) = (client.clone(), bodies.clone(), next.clone(), blocked.clone());
        let (url, key) = (urls[c % urls.len()].clone(), key.to_string());
        let gap = rate.map(|r| Duration::from_secs_f64(connections as f64 / r as f64));
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut due = started + gap.map(|g| g.mul_f64(c as f64 / connections as f64)).unwrap_or_default();
            let mut last_done = started;
            while Instant::now() < until {
                if gap.is_some() {
                    tokio::time::sleep_until(due.into()).await;
                }
                let from = if gap.is_some() && last_done > due { due } else { Instant::now() };
                let i = next.fetch_add(1, Ordering::Relaxed);
                let body = bodies[i % bodies.len()].clone();
                let resp = client
                    .post(&url)
                    .bearer_auth(&key)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await?;
                anyhow::ensure!(resp.status().is_success(), "check answered {}", resp.status());
                let answer: serde_json::Value = resp.json().await?;
                last_done = Instant::now();
                if from >= measured_from {
                    if answer["allowed"] == false {
                        blocked.fetch_add(1, Ordering::Relaxed);
                    }
                    lat.push(last_done - from);
                }
                if let Some(g) = gap {
                    due += g;
                }
            }
            anyhow::Ok(lat)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let wall = measured_from.elapsed();
    all.sort();
    Ok((all.len(), wall, all, blocked.load(Ordering::Relaxed)))
}

/// Times the check at full speed and at the paced rate; prints both.
/// The paced run's figures, for the bench's closing table.
pub struct CheckFigures {
    pub paced_rate: f64,
    pub paced_p99: Duration,
}

pub async fn run(base: &str, key: &str, args: &CheckArgs) -> anyhow::Result<CheckFigures> {
    let url = [format!("{base}/api/v1/check")];
    let secs = (args.check_warmup_secs, args.check_secs);
    let (n, wall, lat, blocked) = run_clients(&url, key, args.check_connections, secs, None).await?;
    println!(
        "  check {:>9} checks  full speed, {} connections  {:>7.0} checks/s  p50 {}  p99 {}  ({blocked} refused)",
        n,
        args.check_connections,
        n as f64 / wall.as_secs_f64(),
        ms(pct(&lat, 0.50)),
        ms(pct(&lat, 0.99)),
    );
    let (figures, lat) = paced_run(&[base.to_string()], key, args).await?;
    println!(
        "  check {:>9} checks  paced at {}/s over {} connections  achieved {:>7.0}/s  p50 {}  p99 {}  max {}",
        lat.len(),
        args.check_rate,
        args.check_paced_connections,
        figures.paced_rate,
        ms(pct(&lat, 0.50)),
        ms(pct(&lat, 0.99)),
        ms(pct(&lat, 1.0)),
    );
    Ok(figures)
}

/// The paced run alone, its connections spread over several processes' `bases`.
pub async fn paced(bases: &[String], key: &str, args: &CheckArgs) -> anyhow::Result<CheckFigures> {
    Ok(paced_run(bases, key, args).await?.0)
}

/// The paced run's figures and its sorted latencies.
async fn paced_run(bases: &[String], key: &str, args: &CheckArgs) -> anyhow::Result<(CheckFigures, Vec<Duration>)> {
    let urls: Vec<String> = bases.iter().map(|b| format!("{b}/api/v1/check")).collect();
    let secs = (args.check_warmup_secs, args.check_secs);
    let (n, wall, lat, _) = run_clients(&urls, key, args.check_paced_connections, secs, Some(args.check_rate)).await?;
    Ok((CheckFigures { paced_rate: n as f64 / wall.as_secs_f64(), paced_p99: pct(&lat, 0.99) }, lat))
}

/// The same check, in the same run, on a server with leases off (one
/// database read per check): the baseline the leased figures are a ratio
/// of. Returns the closing table's row (figure, target, measured, met).
pub async fn against_exact(
    database_url: &str,
    key: &str,
    args: &CheckArgs,
    leased: &CheckFigures,
) -> anyhow::Result<(&'static str, &'static str, String, bool)> {
    let exact = ServerProc::start_with(database_url, &[("BURSAR_CAP_LEASE_MS", "0")]).await?;
    println!("  check with leases off (BURSAR_CAP_LEASE_MS=0), the baseline:");
    let base = run(&exact.base, key, args).await?;
    exact.stop().await?;
    let measured = format!(
        "{:.0} vs {:.0} checks/s achieved = {:.2}×; p99 {} vs {}",
        leased.paced_rate,
        base.paced_rate,
        leased.paced_rate / base.paced_rate.max(1.0),
        ms(leased.paced_p99),
        ms(base.paced_p99)
    );
    Ok((
        "check with per-process leases, against one database read per check (same run)",
        "ratio of paced rates",
        measured,
        leased.paced_rate >= base.paced_rate,
    ))
}
