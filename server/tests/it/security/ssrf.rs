//! Where the server may be made to connect (SSRF). A lead types a webhook
//! URL; without a rule the server would post to the cloud metadata service,
//! a database port on loopback or a private subnet, and the delivery log's
//! status or connection error would make it a port scanner.

use crate::helpers::TestApp;
use axum::http::StatusCode;
use budgets::webhook::Sender;
use domain::budgets::alert::Alert;
use domain::budgets::webhook_target::Policy;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A receiver on this machine that records each body it is posted.
async fn receiver(answer: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, answer).await });
    format!("http://{addr}")
}

fn recording(got: Arc<Mutex<Vec<String>>>) -> axum::Router {
    axum::Router::new().fallback(move |body: String| {
        let got = got.clone();
        async move {
            got.lock().unwrap().push(body);
            StatusCode::OK
        }
    })
}

const INTERNAL: [&str; 7] = [
    "http://127.0.0.1:5432/",
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://10.0.0.5:8080/hook",
    "http://192.168.1.10/hook",
    "http://[::1]:6379/",
    "http://[fd12:3456::1]/",
    "http://localhost:9200/",
];

#[tokio::test]
async fn internal_webhooks_are_refused_when_saved() {
    let app = TestApp::new().await;
    let admin = app.admin_key.clone();
    for url in INTERNAL {
        let budget = json!({"name": "Ops", "scope": {"team": "ops"}, "period": "month", "amount": "10",
            "thresholds": [50], "hard_cap": false, "webhook": url});
        let (status, body) = app.json("POST", "/api/v1/budgets", &admin, budget).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}: {body}");
        assert_eq!(body["error"]["field"], "webhook", "{url}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("must not point at") && message.contains("BURSAR_WEBHOOK_ALLOWED_HOSTS"), "{message}");
        let rule = json!({"name": "Long tasks", "key": "workflow", "webhook": url,
            "condition": {"type": "above", "signal": "loops_max", "threshold": "2", "window_days": 1}});
        let (status, body) = app.json("POST", "/api/v1/signals/rules", &admin, rule).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}: {body}");
        assert_eq!(body["error"]["field"], "webhook", "{url}: {body}");
        let (status, body) = app.json("POST", "/api/v1/webhooks/test", &admin, json!({"url": url})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}: {body}");
        assert_eq!(body["error"]["field"], "url", "{url}: {body}");
    }
    // A lead's budget form says the same, naming the field.
    let cookie = app.sign_in_as("lead").await;
    let form = "id=&name=Mine&scope=team%3Dplatform&split_by=&period=month&amount=100&thresholds=50&\
                webhook=http%3A%2F%2F169.254.169.254%2F&owner=&description=&time_zone=";
    let (status, body) = app.server_fn("/api/save_budget", form, Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let errors: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(errors[0]["field"], "webhook", "{errors}");
    assert!(app.store.list_budgets().await.unwrap().is_empty(), "nothing was saved");
}

#[tokio::test]
async fn delivery_checks_the_address_again_and_every_address_a_name_resolves_to() {
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let base = receiver(recording(got.clone())).await;
    let sender = Sender::new(Duration::from_secs(5), Policy::default()).unwrap();
    let alert = Alert::sample(chrono::Utc::now(), "Ops");
    // A URL saved before the rule (or under another policy) is refused at delivery.
    let out = sender.post(&format!("{base}/hook"), &alert, None).await;
    assert_eq!(out.status, None);
    assert!(out.error.as_deref().unwrap().starts_with("webhook must not point at a loopback address"), "{out:?}");
    // A name is resolved where the connection is made, so one that points
    // inside (or rebinds to inside) is refused there: this machine's name.
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap().trim().to_string();
    let resolved: Vec<std::net::SocketAddr> =
        tokio::net::lookup_host((host.as_str(), 0)).await.map(|a| a.collect()).unwrap_or_default();
    assert!(
        resolved.iter().any(|a| domain::budgets::webhook_target::internal(a.ip()).is_some()),
        "this test needs the machine's name ({host}) to resolve to an internal address, as /etc/hosts makes it; got {resolved:?}"
    );
    let port = base.rsplit(':').next().unwrap();
    let by_name = format!("http://{host}:{port}/hook");
    assert!(Policy::default().check(&by_name).is_ok(), "a name passes the save-time check");
    let out = sender.post(&by_name, &alert, None).await;
    let error = out.error.unwrap();
    assert!(error.contains(&format!("{host} resolves to a loopback address")), "{error}");
    assert!(got.lock().unwrap().is_empty(), "nothing reached the internal receiver");
    // An operator's allow-list lets the same name through.
    let allowed = Sender::new(Duration::from_secs(5), Policy::parse(&host).unwrap()).unwrap();
    let out = allowed.post(&by_name, &alert, None).await;
    assert_eq!((out.status, out.error), (Some(200), None));
    assert_eq!(got.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn redirects_are_not_followed_and_answers_are_read_only_so_far() {
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let inner = receiver(recording(got.clone())).await;
    let target = format!("{inner}/stolen");
    let redirecting = axum::Router::new().fallback(move || {
        let to = target.clone();
        async move { (StatusCode::TEMPORARY_REDIRECT, [("location", to)]) }
    });
    let outer = receiver(redirecting).await;
    // An endless answer: the sender reads at most 16 KiB of it and moves on.
    let endless = axum::Router::new().fallback(|| async {
        let chunks =
            futures_util::stream::repeat_with(|| Ok::<_, std::io::Error>(axum::body::Bytes::from(vec![b'x'; 65536])));
        axum::body::Body::from_stream(chunks)
    });
    let flood = receiver(endless).await;
    let sender = Sender::new(Duration::from_secs(5), Policy::parse("127.0.0.1").unwrap()).unwrap();
    let alert = Alert::sample(chrono::Utc::now(), "Ops");
    let out = sender.post(&format!("{outer}/hook"), &alert, None).await;
    assert_eq!(out.status, Some(307));
    assert!(got.lock().unwrap().is_empty(), "the redirect was not followed");
    let started = Instant::now();
    let out = sender.post(&format!("{flood}/hook"), &alert, None).await;
    assert_eq!((out.status, out.error), (Some(200), None));
    assert!(started.elapsed() < Duration::from_secs(2), "reading the answer took {:?}", started.elapsed());
    for scheme in ["ftp://example.com/", "file:///etc/passwd", "gopher://example.com:70/"] {
        let out = sender.post(scheme, &alert, None).await;
        assert_eq!(out.error.as_deref(), Some("webhook must start with https:// or http://"), "{scheme}");
    }
}

#[test]
fn the_allow_list_setting_is_read_and_checked() {
    let c = server::Config::from_lookup(|k| {
        (k == "BURSAR_WEBHOOK_ALLOWED_HOSTS").then(|| "10.1.0.0/16, relay.corp".into())
    })
    .unwrap();
    assert!(c.webhook_policy.check("http://10.1.4.4/hook").is_ok());
    assert!(c.webhook_policy.check("http://10.2.4.4/hook").is_err());
    let bad = server::Config::from_lookup(|k| (k == "BURSAR_WEBHOOK_ALLOWED_HOSTS").then(|| "not a host!".into()));
    assert_eq!(bad.err().unwrap().var, "BURSAR_WEBHOOK_ALLOWED_HOSTS");
    let internal = server::Config::from_lookup(|k| (k == "BURSAR_ALERT_WEBHOOK").then(|| "http://127.0.0.1:9/".into()));
    assert_eq!(internal.err().unwrap().var, "BURSAR_ALERT_WEBHOOK");
}

/// A bill connector's base URL is the operator's, but it still may not
/// point inside (the cloud metadata service, loopback) or go without TLS:
/// start-up refuses it, naming the variable.
#[test]
fn connector_base_urls_stay_outside_and_use_tls() {
    let cfg = |url: &'static str| {
        server::Config::from_lookup(move |k| match k {
            "BURSAR_ANTHROPIC_ADMIN_KEY" => Some("sk-ant-admin-x".into()),
            "BURSAR_ANTHROPIC_BASE_URL" => Some(url.into()),
            _ => None,
        })
    };
    for url in ["https://169.254.169.254", "https://127.0.0.1:5432", "https://localhost", "http://api.anthropic.com"] {
        let e = cfg(url).unwrap_err();
        assert_eq!(e.var, "BURSAR_ANTHROPIC_BASE_URL", "{url}: {e}");
    }
    assert!(cfg("https://api.anthropic.com").is_ok());
}
