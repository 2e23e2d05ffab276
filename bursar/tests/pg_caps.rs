//! Exactness across processes: two real `bursar` processes on one Postgres
//! database, clients racing to spend against one hard cap through both. Each
//! client asks `/check` before every call and reports it to `/events` after,
//! as a real agent would. The cap may be passed only by calls already in
//! flight (at most one per client), and the counter must equal the calls.

#[path = "../../server/tests/it/helpers.rs"]
#[allow(dead_code, reason = "the helpers are shared with the it binary, which uses the rest")]
mod helpers;

use rust_decimal::Decimal;
use serde_json::{json, Value};
use server::keys::{self, Scope};
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::time::Duration;

const CLIENTS_PER_PROCESS: usize = 4;
const CALL_COST: &str = "0.01";
const CAP: &str = "1.00";

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn start(db_url: &str, log: &std::path::Path) -> (Proc, String) {
    let port = free_port();
    let child = Proc(
        Command::new(env!("CARGO_BIN_EXE_bursar"))
            .arg("serve")
            .env("BURSAR_DATABASE_URL", db_url)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_OUTPUT_NAME", "bursar")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .expect("the bursar binary starts"),
    );
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client.get(format!("{base}/api/v1/health")).send().await.is_ok_and(|r| r.status().is_success()) {
            return (child, base);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("bursar did not start on {base}; its log: {}", std::fs::read_to_string(log).unwrap_or_default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_do_not_overshoot_a_hard_cap() {
    let Some((admin, name, db_url)) = helpers::fresh_postgres_database("the two-process cap test").await else {
        return;
    };
    let store = store::connect(&db_url).await.unwrap();
    store.migrate().await.unwrap();
    let (rec, secret) = keys::generate("race", &[Scope::Admin]);
    store.create_api_key(&rec).await.unwrap();
    let key = secret.expose().to_string();

    let logs = tempfile::tempdir().unwrap();
    let (_a, url_a) = start(&db_url, &logs.path().join("a.log")).await;
    let (_b, url_b) = start(&db_url, &logs.path().join("b.log")).await;
    let http = reqwest::Client::new();
    let budget = json!({"name": "Race", "scope": {"team": "race"}, "period": "month", "amount": CAP, "thresholds": [50], "hard_cap": true});
    let created: Value = http
        .post(format!("{url_a}/api/v1/budgets"))
        .bearer_auth(&key)
        .json(&budget)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let budget_id = created["id"].as_str().expect("the budget was created").to_string();

    let mut clients = Vec::new();
    for (p, url) in [url_a.clone(), url_b.clone()].into_iter().enumerate() {
        for c in 0..CLIENTS_PER_PROCESS {
            let (http, url, key) = (http.clone(), url.clone(), key.clone());
            clients.push(tokio::spawn(async move {
                let mut made = 0u32;
                loop {
                    let check: Value = http
                        .post(format!("{url}/api/v1/check"))
                        .bearer_auth(&key)
                        .json(&json!({"tags": {"team": "race"}, "estimated_cost": CALL_COST}))
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    if check["allowed"] == false {
                        return made;
                    }
                    // The "LLM call" happens here; then it is reported.
                    let id = format!("p{p}-c{c}-{made}");
                    let event = json!({"id": id, "timestamp": chrono::Utc::now().to_rfc3339(), "model": "gpt-4o",
                        "input_tokens": 1, "output_tokens": 1, "cost": CALL_COST, "tags": {"team": "race"}});
                    let resp = http
                        .post(format!("{url}/api/v1/events"))
                        .bearer_auth(&key)
                        .json(&json!({"events": [event]}))
                        .send()
                        .await
                        .unwrap();
                    assert!(resp.status().is_success(), "ingest answered {}", resp.status());
                    made += 1;
                    assert!(made < 1000, "the cap never stopped client {p}/{c}");
                }
            }));
        }
    }
    let mut calls = 0u32;
    for c in clients {
        calls += tokio::time::timeout(Duration::from_secs(120), c).await.expect("clients finish").unwrap();
    }
    let cost = Decimal::from_str(CALL_COST).unwrap();
    let cap = Decimal::from_str(CAP).unwrap();
    let spent_by_calls = cost * Decimal::from(calls);
    let in_flight = cost * Decimal::from((2 * CLIENTS_PER_PROCESS) as u32);
    assert!(spent_by_calls >= cap, "the clients stopped before the cap: {spent_by_calls}");
    assert!(
        spent_by_calls <= cap + in_flight - cost,
        "{calls} calls spent {spent_by_calls}: more than the cap {cap} plus one call in flight per client"
    );
    // The counter both processes wrote equals the calls made, exactly.
    let view: Value = http
        .get(format!("{url_b}/api/v1/budgets/{budget_id}"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(Decimal::from_str(view["spent"].as_str().unwrap()).unwrap(), spent_by_calls, "{view}");
    let alerts: Value = http
        .get(format!("{url_a}/api/v1/alerts?budget={budget_id}"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = alerts.as_array().unwrap().iter().map(|a| a["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["cap", "threshold"], "each alert once, from whichever process crossed it");
    eprintln!(
        "two processes, {} clients: {calls} calls, {spent_by_calls} spent against a {cap} cap",
        2 * CLIENTS_PER_PROCESS
    );

    drop(store);
    drop((_a, _b));
    helpers::drop_postgres_database(&admin, &name).await;
}
