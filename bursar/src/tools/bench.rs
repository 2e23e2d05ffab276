//! `bursar bench`: measures the real server, in release mode, on a fresh store.
//!
//! Set-up (an API key, hard caps, a tag taxonomy, a person) is written to the
//! store; then `bursar serve` runs as a child process (`bench_proc`) and is
//! measured over HTTP: batched ingest on the empty store, in rounds; the
//! store grown to `--store-events` with the demo generator through the ingest
//! service; cold starts on the grown store; then ingest again, the spend
//! query, the Explore page, the pre-call check and the signals report (what
//! the signal sweep computes) at that size, and the server's resident memory;
//! on Postgres the scale-out phase; last, a retention pass beside an ingest
//! round (`bench_retention`). A table compares each figure with its target.
//! Run it from a release build (scripts/bench.sh does).

use server::keys::{self, Scope};
use server::{AppState, Config};
use std::time::{Duration, Instant};

/// Rules on every tag the bench's calls carry (required keys, aliases,
/// case-folding, an allowed list under `reject`), so ingest pays for them.
async fn bench_taxonomy(state: &AppState) -> anyhow::Result<()> {
    use domain::attribution::taxonomy::{KeyRule, Policy, Taxonomy};
    let rule = |key: &str, required: bool, allowed: &[&str], aliases: &[(&str, &str)], policy: Policy| KeyRule {
        key: key.into(),
        description: String::new(),
        required,
        allowed: allowed.iter().map(|s| s.to_string()).collect(),
        aliases: aliases.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
        policy,
    };
    let taxonomy = Taxonomy {
        keys: vec![
            rule("team", true, &[], &[], Policy::Accept),
            rule("workflow", true, &[], &[("core_wf0", "core-wf0"), ("search_wf1", "search-wf1")], Policy::Normalize),
            rule("product", false, &[], &[], Policy::Normalize),
            rule("task_type", false, &["agent", "chat"], &[], Policy::Reject),
        ],
    };
    state.catalog_service.put_taxonomy("bench", taxonomy).await.map_err(|e| anyhow::anyhow!("bench taxonomy: {e}"))?;
    Ok(())
}

/// Options of `bench`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Database URL; default: a new SQLite file in a temporary folder.
    #[arg(long)]
    database_url: Option<String>,
    /// Events each timed ingest round sends.
    #[arg(long, default_value_t = 100_000)]
    events: usize,
    /// Timed ingest rounds on each store size (the median is reported).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Cold starts timed on the grown store (the median is reported).
    #[arg(long, default_value_t = 3)]
    cold_starts: usize,
    /// Events per request.
    #[arg(long, default_value_t = 1_000)]
    batch: usize,
    /// How far back the timed calls' timestamps reach, in seconds: 600 is
    /// live traffic (calls reported as they finish); 7776000 (90 days) is a
    /// backfill, where nearly every call lands in its own hourly rollup row.
    #[arg(long, default_value_t = 600)]
    spread_secs: i64,
    /// Concurrent ingest clients.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    /// Store size (events) the store is grown to with the demo generator
    /// before the second half is measured (`--query-events` is the old name).
    #[arg(long, alias = "query-events", default_value_t = 1_000_000)]
    store_events: usize,
    /// Spend queries and Explore pages timed.
    #[arg(long, default_value_t = 200)]
    query_runs: usize,
    /// The retention window the last phase retires the grown store's 90
    /// days of calls to, beside an ingest round (0 skips it).
    #[arg(long, default_value_t = 30)]
    retain_days: u32,
    /// Bursar processes on one Postgres for the scale-out phase (2 or more
    /// runs it: one process, then this many, sharing the load).
    #[arg(long, default_value_t = 1)]
    replicas: usize,
    #[command(flatten)]
    check: crate::tools::bench_check::CheckArgs,
}

use crate::tools::bench_bodies::bodies;
use crate::tools::bench_queries::{explore_runs, spend_runs, BENCH_EMAIL, BENCH_PASSWORD};
use crate::tools::bench_stats::{median, ms, pct};

/// Ingest rounds of `args.events` each, ids from `first`: each round's rate, and every request's latency.
async fn ingest_rounds(
    base: &str,
    key: &str,
    args: &BenchArgs,
    first: usize,
) -> anyhow::Result<(Vec<f64>, Vec<Duration>)> {
    let (mut rates, mut all) = (Vec::new(), Vec::new());
    for r in 0..args.rounds {
        let start = first + r * args.events;
        let (wall, lat) = crate::tools::bench_ingest::ingest(
            &[format!("{base}/api/v1/events")],
            key,
            bodies(start, args.events, args.batch, args.spread_secs),
            args.clients,
        )
        .await?;
        let rate = args.events as f64 / wall.as_secs_f64();
        println!(
            "  ingest round {}: {:>8.0} events/s  request p50 {}  p99 {}",
            r + 1,
            rate,
            ms(pct(&lat, 0.50)),
            ms(pct(&lat, 0.99))
        );
        rates.push(rate);
        all.extend(lat);
    }
    all.sort();
    Ok((rates, all))
}

/// The store's set-up, in-process: an empty store gets a key, hard caps, a taxonomy and a person.
async fn set_up(config: &Config) -> anyhow::Result<String> {
    let store = store::connect(&config.database_url).await?;
    store.migrate().await?;
    anyhow::ensure!(
        store.count_events().await? == 0,
        "the bench needs an empty store; {} has events",
        server::config::redact_url(&config.database_url)
    );
    let options = leptos::prelude::get_configuration(None)?.leptos_options;
    let state = AppState::new(options, store.clone(), config.clone()).await?;
    let (record, secret) = keys::generate("bench", &[Scope::Ingest, Scope::Read]);
    store.create_api_key(&record).await?;
    // Ingest is timed with hard caps and a tag taxonomy in place, as it runs in production.
    crate::tools::bench_check::create_caps(&state).await?;
    bench_taxonomy(&state).await?;
    accounts::create_account(
        &store,
        accounts::NewAccount { email: BENCH_EMAIL, password: BENCH_PASSWORD, role: "viewer", teams: "" },
    )
    .await?;
    Ok(secret.expose().to_string())
}

/// Calls the demo organisation makes over 90 days at scale 1.
const DEMO_CALLS_AT_SCALE_1: f64 = 200_775.0;

/// Grows the store to about `target` events with the demo generator, through the ingest service.
async fn grow(config: &Config, target: usize) -> anyhow::Result<usize> {
    let store = store::connect(&config.database_url).await?;
    let have = store.count_events().await? as usize;
    if have < target {
        let options = leptos::prelude::get_configuration(None)?.leptos_options;
        let state = AppState::new(options, store.clone(), config.clone()).await?;
        let scale = (target - have) as f64 / DEMO_CALLS_AT_SCALE_1;
        let t = Instant::now();
        // The demo organisation brings its own taxonomy (it keeps one already set).
        let none = domain::attribution::taxonomy::Taxonomy { keys: vec![] };
        state.catalog_service.put_taxonomy("bench", none).await.map_err(|e| anyhow::anyhow!("bench taxonomy: {e}"))?;
        crate::tools::demo::load(&state, 90, 42, scale).await?;
        // The demo sets its own taxonomy; the timed ingest runs under the bench's.
        bench_taxonomy(&state).await?;
        let now = store.count_events().await? as usize;
        println!(
            "  grew the store to {now} events with the demo generator (scale {scale:.1}, 90 days) through the \
             ingest service in {:.0} s: {:.0} events/s in-process",
            t.elapsed().as_secs_f64(),
            (now - have) as f64 / t.elapsed().as_secs_f64()
        );
    }
    Ok(store.count_events().await? as usize)
}

/// One line of the closing table.
struct Row {
    figure: String,
    target: &'static str,
    measured: String,
    met: bool,
}

fn row(figure: impl Into<String>, target: &'static str, measured: impl Into<String>, met: bool) -> Row {
    Row { figure: figure.into(), target, measured: measured.into(), met }
}

fn ms_f(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Runs the benchmark and prints its figures.
pub async fn run(args: BenchArgs, mut config: Config) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    config.database_url =
        args.database_url.clone().unwrap_or_else(|| format!("sqlite:{}", dir.path().join("bench.db").display()));
    let backend = if config.database_url.starts_with("sqlite:") { "SQLite" } else { "Postgres" };
    let key = set_up(&config).await?;
    println!(
        "Bursar bench on {backend}: {} clients × {} events per request, {} rounds of {} events made over the last {} s; \
         store grown to {}",
        args.clients, args.batch, args.rounds, args.events, args.spread_secs, args.store_events
    );
    let mut rows = Vec::new();

    let body = bodies(0, args.batch, args.batch, args.spread_secs).remove(0);
    let guard = crate::tools::bench_guards::measure(&body, 200);
    let (json_share, otlp_share) = guard.ratios();
    println!(
        "request guards: JSON {} events counted in {:?}, parsed in {:?}; OTLP 512 spans counted in {:?}, decoded in {:?}",
        args.batch, guard.json_count, guard.json_parse, guard.otlp_count, guard.otlp_decode
    );
    rows.push(row(
        format!("counting a body before parsing it ({} JSON events; 512 OTLP spans), median of 200", args.batch),
        "<= 25% of parsing",
        format!(
            "JSON {:.0}% ({:?} vs {:?}); OTLP {:.0}% ({:?} vs {:?})",
            json_share * 100.0,
            guard.json_count,
            guard.json_parse,
            otlp_share * 100.0,
            guard.otlp_count,
            guard.otlp_decode
        ),
        json_share <= 0.25 && otlp_share <= 0.25,
    ));

    let raw = crate::tools::bench_baseline::raw_insert_rate(
        &config.database_url,
        &bodies(0, args.events, args.batch, args.spread_secs),
    )
    .await?;
    println!("engine's raw insert of the same {} rows (bare table, one connection): {raw:.0} rows/s", args.events);
    println!("empty store:");
    let server = crate::tools::bench_proc::ServerProc::start(&config.database_url).await?;
    let (rates, lat) = ingest_rounds(&server.base, &key, &args, 0).await?;
    let empty_rate = median(rates);
    let p99 = pct(&lat, 0.99);
    rows.push(row(
        format!("{backend} ingest, empty store (median of {})", args.rounds),
        if backend == "SQLite" { ">= 50,000 events/s" } else { ">= 30,000 events/s" },
        format!("{empty_rate:.0} events/s"),
        empty_rate >= if backend == "SQLite" { 50_000.0 } else { 30_000.0 },
    ));
    let measured = format!("{empty_rate:.0} vs {raw:.0} rows/s = {:.0}%", 100.0 * empty_rate / raw.max(1.0));
    rows.push(row("ingest, empty store, against the engine's raw insert of the same rows", "ratio", measured, true));
    rows.push(row("ingest ack p99, empty store", "<= 100 ms", ms(p99), p99 <= Duration::from_millis(100)));
    server.stop().await?;

    let stored = grow(&config, args.store_events).await?;
    let mut starts = Vec::new();
    for _ in 0..args.cold_starts.max(1) {
        let s = crate::tools::bench_proc::ServerProc::start(&config.database_url).await?;
        starts.push(ms_f(s.cold_start));
        s.stop().await?;
    }
    let cold = median(starts.clone());
    println!(
        "  cold starts on {stored} events: {}",
        starts.iter().map(|s| format!("{s:.0} ms")).collect::<Vec<_>>().join(", ")
    );
    rows.push(row(
        format!("cold start to ready at {stored} events"),
        "<= 1 s",
        format!("{cold:.0} ms"),
        cold <= 1000.0,
    ));

    println!("store of {stored} events:");
    let server = crate::tools::bench_proc::ServerProc::start(&config.database_url).await?;
    let (rates, lat) = ingest_rounds(&server.base, &key, &args, args.rounds * args.events).await?;
    let full_rate = median(rates);
    let ratio = full_rate / empty_rate;
    rows.push(row(
        format!("ingest at {stored} events (median of {})", args.rounds),
        ">= 60% of empty",
        format!("{full_rate:.0} events/s = {:.0}%; ack p99 {}", ratio * 100.0, ms(pct(&lat, 0.99))),
        ratio >= 0.6,
    ));

    let (lat, total) = spend_runs(&server.base, &key, args.query_runs).await?;
    println!(
        "  spend (team, workflow, 90 days, daily): p50 {}  p95 {}  ({total})",
        ms(pct(&lat, 0.5)),
        ms(pct(&lat, 0.95))
    );
    let p95 = pct(&lat, 0.95);
    rows.push(row(
        format!("spend query p95 at {stored} events"),
        "<= 50 ms",
        format!("{} (p50 {})", ms(p95), ms(pct(&lat, 0.5))),
        p95 <= Duration::from_millis(50),
    ));

    let (ttfb, whole) = explore_runs(&server.base, args.query_runs).await?;
    println!(
        "  Explore SSR: first byte p50 {} p95 {}; whole page p50 {} p95 {}",
        ms(pct(&ttfb, 0.5)),
        ms(pct(&ttfb, 0.95)),
        ms(pct(&whole, 0.5)),
        ms(pct(&whole, 0.95))
    );
    let p95 = pct(&ttfb, 0.95);
    rows.push(row(
        format!("Explore SSR TTFB p95 at {stored} events"),
        "<= 150 ms",
        format!("{} (whole page p95 {})", ms(p95), ms(pct(&whole, 0.95))),
        p95 <= Duration::from_millis(150),
    ));

    let check = crate::tools::bench_check::run(&server.base, &key, &args.check).await?;
    rows.push(row(
        format!("check p99 paced at {}/s", args.check.check_rate),
        "<= 2 ms",
        format!("{} at {:.0} checks/s achieved", ms(check.paced_p99), check.paced_rate),
        check.paced_p99 <= Duration::from_millis(2) && check.paced_rate >= 0.98 * f64::from(args.check.check_rate),
    ));

    let mix = (args.events, args.batch, args.clients);
    for (f, t, m, met) in crate::tools::bench_scale::check_during_ingest(&server.base, &key, &args.check, mix).await? {
        rows.push(row(f, t, m, met));
    }

    for sweep in crate::tools::bench_sweep::run(&server, &key).await? {
        rows.push(row(
            format!(
                "signals report ({}, 90 days) at {stored} events: what the sweep and the Signals page compute",
                sweep.key
            ),
            "bounded by the rows shown (<= 500 ms once settled days are kept, peak <= +16 MiB)",
            format!(
                "first {:.1?}, then {:.1?} (30 days, settled days kept); resident {:.0} → peak {:.0} → {:.0} MiB",
                sweep.took, sweep.took_warm, sweep.rss_before, sweep.rss_peak, sweep.rss_after
            ),
            sweep.took_warm <= Duration::from_millis(500) && sweep.rss_peak - sweep.rss_before <= 16.0,
        ));
    }

    tokio::time::sleep(Duration::from_secs(2)).await;
    let (rss, peak) = server.memory_mib()?;
    rows.push(row(
        format!("server resident memory at {stored} events"),
        "<= 256 MiB",
        format!("{rss:.0} MiB steady (peak {peak:.0} MiB)"),
        rss <= 256.0,
    ));
    server.stop().await?;

    if backend == "Postgres" && args.replicas >= 2 {
        let scale = crate::tools::bench_scale::replicas(&config.database_url, args.replicas, &key, &args.check, mix);
        for (f, t, m, met) in scale.await? {
            rows.push(row(f, t, m, met));
        }
    }
    if backend == "Postgres" {
        let (figure, target, measured, met) =
            crate::tools::bench_check::against_exact(&config.database_url, &key, &args.check, &check).await?;
        rows.push(row(figure, target, measured, met));
    }

    if args.retain_days > 0 {
        let mix = (args.events, args.batch, args.clients);
        for (f, t, m, met) in
            crate::tools::bench_retention::run(&config.database_url, &key, args.retain_days, mix, full_rate).await?
        {
            rows.push(row(f, t, m, met));
        }
    }

    println!("\n| figure | target | measured | met |\n|---|---|---|---|");
    for r in rows {
        let met = if r.met { "yes" } else { "**no**" };
        println!("| {} | {} | {} | {met} |", r.figure, r.target, r.measured);
    }
    Ok(())
}
