//! Kill -9 during sustained ingest, on SQLite and on Postgres.
//!
//! The real `bursar serve` runs as a child process. Four clients send
//! batches without pause; the server is killed with SIGKILL twice mid-stream
//! and started again on the same store, and each client retries whatever was
//! not acknowledged (a refused connection, a cut-off answer, a 503) until it
//! is. Afterwards every event sent is stored exactly once, and the rollups
//! and budget counters equal a recomputation from the raw events.

#[path = "../../server/tests/it/helpers.rs"]
#[expect(dead_code, reason = "the helpers are shared with the it binary, which uses the rest")]
mod helpers;
#[path = "../../server/tests/it/reconcile.rs"]
mod reconcile;

use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CLIENTS: usize = 4;
const BATCHES: usize = 30;
const BATCH: usize = 200;

struct Server {
    url: String,
    addr: String,
    log: std::path::PathBuf,
    child: Option<Child>,
}

impl Server {
    fn start(&mut self) {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_bursar"))
            .arg("serve")
            .env("BURSAR_DATABASE_URL", &self.url)
            .env("LEPTOS_SITE_ADDR", &self.addr)
            .env("BURSAR_LOG", "warn")
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("bursar serve starts");
        self.child = Some(child);
    }

    /// SIGKILL: no shutdown, no flush, no goodbye.
    fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    async fn wait_ready(&self, client: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(90);
        while Instant::now() < deadline {
            if let Ok(r) = client.get(format!("http://{}/readyz", self.addr)).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server did not become ready; its log:\n{}", std::fs::read_to_string(&self.log).unwrap_or_default());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn free_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().to_string()
}

fn cli(url: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_bursar"))
        .args(args)
        .env("BURSAR_DATABASE_URL", url)
        .env("BURSAR_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "bursar {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().last().unwrap_or_default().trim().to_string()
}

fn batch_body(client: usize, batch: usize) -> String {
    let teams = ["platform", "support", "search", "data"];
    let events: Vec<Value> = (0..BATCH)
        .map(|i| {
            let n = (client * BATCHES + batch) * BATCH + i;
            json!({
                "id": format!("k9-{client}-{batch:03}-{i:03}"),
                "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                "model": if n.is_multiple_of(3) { "gpt-4o" } else { "claude-haiku-4-5" },
                "input_tokens": 1_000 + n % 977,
                "cache_read_tokens": n % 400,
                "output_tokens": 100 + n % 311,
                "task_id": format!("task-{}", n / 7),
                "tags": {"team": teams[n % teams.len()], "workflow": format!("wf-{}", n % 5), "user": format!("u{}", n % 40)},
            })
        })
        .collect();
    json!({ "events": events }).to_string()
}

/// What one client saw: events accepted, events answered as duplicates, sends that failed and were retried.
#[derive(Default, Debug)]
struct Seen {
    accepted: u64,
    duplicates: u64,
    retries: u64,
}

async fn client(id: usize, base: String, key: String, acked: Arc<AtomicUsize>) -> Seen {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut seen = Seen::default();
    for b in 0..BATCHES {
        let body = batch_body(id, b);
        loop {
            assert!(Instant::now() < deadline, "client {id} could not get batch {b} acknowledged in 5 minutes");
            let sent = http
                .post(format!("{base}/api/v1/events"))
                .bearer_auth(&key)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await;
            let answer = match sent {
                Ok(r) if r.status() == 200 => r.json::<Value>().await.ok(),
                Ok(r) if r.status() == 503 => None,
                Ok(r) => panic!("client {id} batch {b}: {} {}", r.status(), r.text().await.unwrap_or_default()),
                Err(_) => None,
            };
            match answer {
                Some(v) => {
                    seen.accepted += v["accepted"].as_u64().unwrap();
                    seen.duplicates += v["duplicates"].as_u64().unwrap();
                    acked.fetch_add(1, Ordering::SeqCst);
                    break;
                }
                None => {
                    seen.retries += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
    seen
}

async fn kill_during_ingest(url: String, dir: &std::path::Path) {
    let key = cli(&url, &["keys", "create", "--name", "kill9", "--scopes", "ingest,read,admin"]);
    let mut server = Server { url: url.clone(), addr: free_addr(), log: dir.join("server.log"), child: None };
    let base = format!("http://{}", server.addr);
    let http = reqwest::Client::new();
    server.start();
    server.wait_ready(&http).await;
    let budget = json!({"name": "Per team", "split_by": "team", "period": "month", "amount": "100000",
                        "thresholds": [80], "time_zone": "UTC"});
    let r = http.post(format!("{base}/api/v1/budgets")).bearer_auth(&key).json(&budget).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let budget_id = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();

    let acked = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> =
        (0..CLIENTS).map(|c| tokio::spawn(client(c, base.clone(), key.clone(), acked.clone()))).collect();
    let total_batches = CLIENTS * BATCHES;
    for kill_at in [total_batches / 4, total_batches * 3 / 5] {
        while acked.load(Ordering::SeqCst) < kill_at {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        server.kill9();
        eprintln!("kill -9 after {} acknowledged batches", acked.load(Ordering::SeqCst));
        server.start();
        server.wait_ready(&http).await;
    }
    let mut seen = Seen::default();
    for c in clients {
        let s = c.await.unwrap();
        seen.accepted += s.accepted;
        seen.duplicates += s.duplicates;
        seen.retries += s.retries;
    }
    server.kill9();
    eprintln!("{seen:?}");
    let total = (CLIENTS * BATCHES * BATCH) as u64;
    // A batch committed just before the kill, whose answer was lost, comes back as duplicates on retry.
    assert_eq!(seen.accepted + seen.duplicates, total, "every batch was answered in full");
    assert!(seen.retries > 0, "the kills should have cut some requests off");

    let store = store::connect(&url).await.unwrap();
    // Ids are unique in the store, so the count says each event is there exactly once.
    assert_eq!(store.count_events().await.unwrap(), total as i64, "every event sent is stored, once");
    let today = chrono::Utc::now().date_naive();
    let (from, to) = ((today - chrono::Duration::days(1)).to_string(), (today + chrono::Duration::days(1)).to_string());
    reconcile::assert_rollups_match_events(&store, &from, &to).await;
    let tasks = (0..total.div_ceil(7)).map(|i| format!("task-{i}"));
    reconcile::assert_task_rollups_match_events(&store, tasks, &from, &to).await;
    let counters = reconcile::assert_counters_match_recount(&store, &budget_id).await;
    assert_eq!(counters.iter().map(|c| c.calls).sum::<i64>(), total as i64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill9_during_ingest_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("k.db").display());
    kill_during_ingest(url, dir.path()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill9_during_ingest_on_postgres() {
    let Some((admin, name, url)) = helpers::fresh_postgres_database("kill -9 during ingest").await else { return };
    let dir = tempfile::tempdir().unwrap();
    kill_during_ingest(url, dir.path()).await;
    helpers::drop_postgres_database(&admin, &name).await;
}
