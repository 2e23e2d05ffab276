//! `bursar bench`: measures the real server over HTTP on a fresh store.
//!
//! It starts Bursar in-process on an ephemeral port, sends batched ingest
//! requests from several concurrent clients and reports events/s and
//! per-request latency; it then grows the store to the query size and times
//! the spend query (group by two tags, 90 days, daily series). Between the
//! two it times the pre-call check against hard caps. Run it from a
//! release build (scripts/bench.sh does).

use crate::keys::{self, Scope};
use crate::{AppState, Config};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::time::{Duration, Instant};

/// Rules on every tag the bench's calls carry (required keys, aliases,
/// case-folding, an allowed list under `reject`), so ingest pays for them.
async fn bench_taxonomy(state: &AppState) -> anyhow::Result<()> {
    use domain::taxonomy::{KeyRule, Policy, Taxonomy};
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
    state.governance.put_taxonomy("bench", taxonomy).await.map_err(|e| anyhow::anyhow!("bench taxonomy: {e}"))?;
    Ok(())
}

/// Options of `bench`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Database URL; default: a new SQLite file in a temporary folder.
    #[arg(long)]
    database_url: Option<String>,
    /// Events to ingest in the timed ingest phase.
    #[arg(long, default_value_t = 100_000)]
    events: usize,
    /// Events per request.
    #[arg(long, default_value_t = 1_000)]
    batch: usize,
    /// Concurrent ingest clients.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    /// Store size (events) at which the spend query is timed.
    #[arg(long, default_value_t = 1_000_000)]
    query_events: usize,
    /// Spend queries to time.
    #[arg(long, default_value_t = 50)]
    query_runs: usize,
    #[command(flatten)]
    check: crate::bench_check::CheckArgs,
}

const TEAMS: [&str; 8] = ["platform", "support", "search", "data", "growth", "security", "mobile", "finance"];
const MODELS: [(&str, &str); 8] = [
    ("gpt-4o", "openai"),
    ("gpt-4o-mini", "openai"),
    ("gpt-5", "openai"),
    ("claude-sonnet-4-5", "anthropic"),
    ("claude-haiku-4-5", "anthropic"),
    ("gemini-2.5-pro", "google"),
    ("gemini-2.5-flash", "google"),
    ("deepseek-chat", "deepseek"),
];

/// Request bodies for events `start..start + n`, spread over the last 90 days.
fn bodies(start: usize, n: usize, batch: usize) -> Vec<Vec<u8>> {
    let mut rng = StdRng::seed_from_u64(start as u64);
    let now = chrono::Utc::now();
    let mut out = Vec::new();
    let mut events = Vec::with_capacity(batch);
    for i in start..start + n {
        let team = TEAMS[rng.gen_range(0..TEAMS.len())];
        let wf = rng.gen_range(0..3);
        let (model, provider) = MODELS[rng.gen_range(0..MODELS.len())];
        let input: i64 = rng.gen_range(200..20_000);
        let at = now - chrono::Duration::seconds(rng.gen_range(0..90 * 86_400));
        events.push(json!({
            "id": format!("bench-{i}"),
            "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "model": model, "provider": provider,
            "input_tokens": input, "cache_read_tokens": input / 3, "output_tokens": rng.gen_range(20..2_000),
            "task_id": format!("task-{}", i / 8),
            "tags": {"team": team, "workflow": format!("{team}-wf{wf}"), "user": format!("user{}", rng.gen_range(0..200)),
                     "product": format!("{team}-app"), "task_type": if wf == 0 { "agent" } else { "chat" }},
        }));
        if events.len() == batch {
            out.push(serde_json::to_vec(&json!({ "events": events })).unwrap_or_default());
            events.clear();
        }
    }
    if !events.is_empty() {
        out.push(serde_json::to_vec(&json!({ "events": events })).unwrap_or_default());
    }
    out
}

/// The `p` quantile of sorted latencies.
pub(crate) fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// Milliseconds with two decimals (the check's latencies are fractions of one).
pub(crate) fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// Sends all bodies with `clients` concurrent clients; returns wall time and per-request latencies.
async fn ingest(
    url: &str,
    key: &str,
    bodies: Vec<Vec<u8>>,
    clients: usize,
) -> anyhow::Result<(Duration, Vec<Duration>)> {
    let client = reqwest::Client::new();
    let queue = std::sync::Arc::new(tokio::sync::Mutex::new(bodies));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, queue, url, key) = (client.clone(), queue.clone(), url.to_string(), key.to_string());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let Some(body) = queue.lock().await.pop() else {
                    break;
                };
                let t = Instant::now();
                loop {
                    let resp = client
                        .post(&url)
                        .bearer_auth(&key)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await?;
                    match resp.status().as_u16() {
                        200 => break,
                        429 | 503 => tokio::time::sleep(Duration::from_millis(200)).await,
                        s => anyhow::bail!("ingest answered {s}: {}", resp.text().await.unwrap_or_default()),
                    }
                }
                lat.push(t.elapsed());
            }
            anyhow::Ok(lat)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let wall = started.elapsed();
    all.sort();
    Ok((wall, all))
}

/// Runs the benchmark and prints its figures.
pub async fn run(args: BenchArgs, mut config: Config) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    config.database_url =
        args.database_url.clone().unwrap_or_else(|| format!("sqlite:{}", dir.path().join("bench.db").display()));
    let store = store::connect(&config.database_url).await?;
    store.migrate().await?;
    anyhow::ensure!(
        store.count_events().await? == 0,
        "the bench needs an empty store; {} has events",
        config.database_url
    );
    let options = leptos::prelude::get_configuration(None)?.leptos_options;
    let state = AppState::new(options, store.clone(), config.clone()).await?;
    let (record, secret) = keys::generate("bench", &[Scope::Ingest, Scope::Read]);
    store.create_api_key(&record).await?;
    // Ingest is timed with hard caps and a tag taxonomy in place, as it runs in production.
    crate::bench_check::create_caps(&state).await?;
    bench_taxonomy(&state).await?;
    let listener = crate::web::listen("127.0.0.1:0".parse()?).await?;
    let addr = axum::serve::Listener::local_addr(&listener)?;
    tokio::spawn(async move { axum::serve(listener, crate::routes::router(state)).await });
    let base = format!("http://{addr}");
    let key = secret.expose().to_string();
    let backend = if config.database_url.starts_with("sqlite:") { "SQLite" } else { "Postgres" };
    println!("Bursar bench on {backend}, {} clients, {} events per request", args.clients, args.batch);

    let (wall, lat) =
        ingest(&format!("{base}/api/v1/events"), &key, bodies(0, args.events, args.batch), args.clients).await?;
    println!(
        "ingest  {:>9} events  {:>9.0} events/s  request p50 {}  p99 {}  max {}",
        args.events,
        args.events as f64 / wall.as_secs_f64(),
        ms(pct(&lat, 0.50)),
        ms(pct(&lat, 0.99)),
        ms(pct(&lat, 1.0))
    );

    crate::bench_check::run(&base, &key, &args.check).await?;

    let mut stored = args.events;
    while stored < args.query_events {
        let n = (args.query_events - stored).min(200_000);
        let (wall, _) =
            ingest(&format!("{base}/api/v1/events"), &key, bodies(stored, n, args.batch), args.clients).await?;
        stored += n;
        eprintln!("  grew the store to {stored} events ({:.0} events/s)", n as f64 / wall.as_secs_f64());
    }
    let client = reqwest::Client::new();
    let now = chrono::Utc::now();
    let from = (now - chrono::Duration::days(90)).date_naive();
    let url = format!("{base}/api/v1/spend?from={from}&to={}&group_by=team,workflow&granularity=day", now.date_naive());
    let mut lat = Vec::new();
    let mut total = String::new();
    for _ in 0..args.query_runs {
        let t = Instant::now();
        let resp = client.get(&url).bearer_auth(&key).send().await?;
        anyhow::ensure!(resp.status().is_success(), "spend answered {}", resp.status());
        let body: serde_json::Value = resp.json().await?;
        lat.push(t.elapsed());
        total = format!("{} calls, ${}", body["total"]["calls"], body["total"]["cost"].as_str().unwrap_or("?"));
    }
    lat.sort();
    println!(
        "spend   {:>9} events  group_by=team,workflow, 90 days, daily  p50 {}  p95 {}  ({total})",
        stored,
        ms(pct(&lat, 0.50)),
        ms(pct(&lat, 0.95))
    );

    // The Explore page rendered on the server, as a signed-in browser asks for it.
    let password = "bench-password-123";
    accounts::create_account(
        &store,
        accounts::NewAccount { email: "bench@bursar.invalid", password, role: "viewer", teams: "" },
    )
    .await?;
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let login = browser
        .post(format!("{base}/api/login"))
        .header("origin", &base)
        .header("accept", "text/html")
        .form(&[("email", "bench@bursar.invalid"), ("password", password), ("next", "/")])
        .send()
        .await?;
    let cookie = crate::web::session_cookie(login.headers())
        .ok_or_else(|| anyhow::anyhow!("signing in for the page bench failed ({})", login.status()))?;
    let page = format!("{base}/explore?period=90d&by=team&then=workflow");
    let mut lat = Vec::new();
    for _ in 0..args.query_runs {
        let t = Instant::now();
        let resp = browser.get(&page).header("cookie", &cookie).send().await?;
        anyhow::ensure!(resp.status().is_success(), "explore answered {}", resp.status());
        let _ = resp.bytes().await?;
        lat.push(t.elapsed());
    }
    lat.sort();
    println!(
        "explore {:>9} events  SSR of /explore (team, workflow, 90 days)  p50 {}  p95 {}",
        stored,
        ms(pct(&lat, 0.50)),
        ms(pct(&lat, 0.95))
    );
    Ok(())
}
