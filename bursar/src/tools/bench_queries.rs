//! The bench's read phases: spend queries and Explore pages rendered on the
//! server for a signed-in person, timed one after another.

use std::time::{Duration, Instant};

/// The person the bench signs in as to render pages.
pub(crate) const BENCH_EMAIL: &str = "bench@bursar.invalid";
pub(crate) const BENCH_PASSWORD: &str = "bench-password-123";

/// `runs` spend queries (group by team and workflow, 90 days, daily): sorted latencies and the answer's total.
pub(crate) async fn spend_runs(base: &str, key: &str, runs: usize) -> anyhow::Result<(Vec<Duration>, String)> {
    let client = reqwest::Client::new();
    let now = chrono::Utc::now();
    let from = (now - chrono::Duration::days(90)).date_naive();
    let url = format!("{base}/api/v1/spend?from={from}&to={}&group_by=team,workflow&granularity=day", now.date_naive());
    let (mut lat, mut total) = (Vec::new(), String::new());
    for _ in 0..runs {
        let t = Instant::now();
        let resp = client.get(&url).bearer_auth(key).send().await?;
        anyhow::ensure!(resp.status().is_success(), "spend answered {}", resp.status());
        let body: serde_json::Value = resp.json().await?;
        lat.push(t.elapsed());
        total = format!("{} calls, ${}", body["total"]["calls"], body["total"]["cost"].as_str().unwrap_or("?"));
    }
    lat.sort();
    Ok((lat, total))
}

/// `runs` server renders of Explore (team then workflow, 90 days) for a signed-in person:
/// time to the first byte and to the whole page, each sorted.
pub(crate) async fn explore_runs(base: &str, runs: usize) -> anyhow::Result<(Vec<Duration>, Vec<Duration>)> {
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let login = browser
        .post(format!("{base}/api/login"))
        .header("origin", base)
        .header("accept", "text/html")
        .form(&[("email", BENCH_EMAIL), ("password", BENCH_PASSWORD), ("next", "/")])
        .send()
        .await?;
    let cookie = server::http::web::session_cookie(login.headers())
        .ok_or_else(|| anyhow::anyhow!("signing in for the page bench failed ({})", login.status()))?;
    let page = format!("{base}/explore?period=90d&by=team&then=workflow");
    let (mut ttfb, mut whole) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        let mut resp = browser.get(&page).header("cookie", &cookie).send().await?;
        anyhow::ensure!(resp.status().is_success(), "explore answered {}", resp.status());
        let _first = resp.chunk().await?;
        ttfb.push(t.elapsed());
        while resp.chunk().await?.is_some() {}
        whole.push(t.elapsed());
    }
    ttfb.sort();
    whole.sort();
    Ok((ttfb, whole))
}
