//! Resource exhaustion: one request must not cost more than its size allows.
//! Each hostile request below is under the 10 MiB body limit, and each used
//! to ask for far more: gigabytes of decoded spans, a bucket for every
//! group and day, a stalled slot, a core of argon2 per sign-in. Each must
//! now answer a 4xx within a second, the process's resident memory must
//! stay within 64 MiB of where it was, and another client's ingest must keep
//! going meanwhile.

use crate::helpers::{event, post_ingest, TestApp, PASSWORD};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The process's resident memory, in MiB (`/proc/self/statm`, Linux).
fn rss_mib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("Linux /proc");
    let pages: f64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096.0 / (1024.0 * 1024.0)
}

/// Another client ingesting one call at a time, counting what was stored.
struct Steady {
    stop: Arc<AtomicBool>,
    stored: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<Vec<String>>,
}

impl Steady {
    fn start(app: &TestApp) -> Steady {
        let (router, key) = (app.router.clone(), app.ingest_key.clone());
        let (stop, stored) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(0)));
        let (s, n) = (stop.clone(), stored.clone());
        let task = tokio::spawn(async move {
            let mut odd = Vec::new();
            let mut i = 0;
            while !s.load(Ordering::Relaxed) {
                i += 1;
                let body = json!({ "events": [event(&format!("steady-{i}"))] }).to_string();
                let (status, _, bytes) = post_ingest(&router, &key, &body).await;
                match status {
                    StatusCode::OK => {
                        n.fetch_add(1, Ordering::Relaxed);
                    }
                    // A full server may ask it to retry; anything else is a failure.
                    StatusCode::SERVICE_UNAVAILABLE => {}
                    other => odd.push(format!("{other}: {}", String::from_utf8_lossy(&bytes))),
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            odd
        });
        Steady { stop, stored, task }
    }

    fn stored(&self) -> u64 {
        self.stored.load(Ordering::Relaxed)
    }

    async fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let odd = self.task.await.unwrap();
        assert!(odd.is_empty(), "the other client's ingest failed: {odd:?}");
        self.stored.load(Ordering::Relaxed)
    }
}

/// A hostile OTLP body: what it is, its content type, how to make it, and the limit its 413 names.
type Hostile = (&'static str, &'static str, fn() -> Vec<u8>, &'static str);

/// A length-delimited protobuf field: key, length, bytes.
fn field(tag: u32, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 10);
    prost::encoding::encode_varint(u64::from(tag << 3 | 2), &mut out);
    prost::encoding::encode_varint(bytes.len() as u64, &mut out);
    out.extend_from_slice(bytes);
    out
}

/// An OTLP export under 10 MiB: a 1 MiB resource attribute and as many
/// `repeated` entries (each two bytes) as fit, at `tag` of the span list's
/// message: empty spans (`ScopeSpans.spans = 2`) or, inside one span, empty
/// attributes (`Span.attributes = 9`).
fn amplifying_protobuf(attributes_of_one_span: bool) -> Vec<u8> {
    let big = vec![b'x'; 1 << 20];
    let value = field(1, &big); // AnyValue.string_value
    let kv = [field(1, b"big.attribute"), field(2, &value)].concat(); // KeyValue
    let resource = field(1, &kv); // Resource.attributes
    let n = 4_000_000;
    let scope_spans = if attributes_of_one_span {
        let span = [0x4a, 0x00].repeat(n); // Span.attributes, empty KeyValues
        field(2, &span)
    } else {
        [0x12, 0x00].repeat(n) // ScopeSpans.spans, empty spans
    };
    let resource_spans = [field(1, &resource), field(2, &scope_spans)].concat();
    field(1, &resource_spans) // ExportTraceServiceRequest.resource_spans
}

/// The same in OTLP JSON: a 1 MiB attribute, then about 2.9 million `{}` spans.
fn amplifying_json() -> Vec<u8> {
    let big = "x".repeat(1 << 20);
    let spans = format!("{}{{}}", "{},".repeat(2_899_999));
    format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"big","value":{{"stringValue":"{big}"}}}}]}},"scopeSpans":[{{"spans":[{spans}]}}]}}]}}"#
    )
    .into_bytes()
}

fn otlp(app: &TestApp, content_type: &str, body: Vec<u8>) -> Request<Body> {
    Request::post("/api/otlp/v1/traces")
        .header("content-type", content_type)
        .header("authorization", format!("Bearer {}", app.ingest_key))
        .body(Body::from(body))
        .unwrap()
}

/// Sends one hostile request; asserts a 4xx within a second and memory
/// within 64 MiB of the baseline; returns the status and body text.
async fn hostile(app: &TestApp, what: &str, req: Request<Body>, baseline: f64) -> (StatusCode, String) {
    let started = Instant::now();
    let (status, _, body) = app.send(req).await;
    let took = started.elapsed();
    let grew = rss_mib() - baseline;
    let text = String::from_utf8_lossy(&body).into_owned();
    eprintln!("{what}: {status} in {} ms, resident memory +{grew:.1} MiB", took.as_millis());
    assert!(status.is_client_error(), "{what}: {status} {}", &text[..text.len().min(300)]);
    assert!(took < Duration::from_secs(1), "{what} took {took:?}");
    assert!(grew < 64.0, "{what}: resident memory grew {grew:.0} MiB");
    (status, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_request_costs_more_than_its_size_allows() {
    let app = TestApp::with_config(|c| {
        c.body_timeout = Duration::from_millis(500);
        c.client_ip_header = Some(axum::http::HeaderName::from_static("x-forwarded-for"));
    })
    .await;
    // 60 people's calls, for the query that would build a bucket per person per day.
    let now = chrono::Utc::now();
    let calls: Vec<Value> = (0..60)
        .map(|i| {
            let mut e = event(&format!("u-{i}"));
            e["timestamp"] = json!(now.to_rfc3339());
            e["tags"]["user"] = json!(format!("user-{i}"));
            e
        })
        .collect();
    assert_eq!(app.post_events(json!(calls)).await.0, StatusCode::OK);
    // Each body is made just before it is sent and freed once answered, so
    // the baseline holds none of them and any growth is the server's.
    let kinds: [Hostile; 3] = [
        (
            "OTLP protobuf, 4 million empty spans",
            "application/x-protobuf",
            || amplifying_protobuf(false),
            "spans: at most 20000 per request",
        ),
        (
            "OTLP protobuf, one span with 4 million attributes",
            "application/x-protobuf",
            || amplifying_protobuf(true),
            "body: at most 250000 values per request",
        ),
        ("OTLP JSON, 2.9 million empty spans", "application/json", amplifying_json, "spans: at most 20000 per request"),
    ];
    let steady = Steady::start(&app);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = steady.stored();
    let baseline = rss_mib();

    // Decoding is bounded by what was counted on the wire.
    for (what, ctype, make, words) in kinds {
        let body = make();
        assert!(body.len() < 10 << 20, "{what}: under the 10 MiB limit ({} bytes)", body.len());
        let (status, text) = hostile(&app, what, otlp(&app, ctype, body), baseline).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{what}");
        assert!(text.contains(words), "{what}: {text}");
    }
    let events_body = format!("{{\"events\":[{}0]}}", "0,".repeat(4_499_999)).into_bytes();
    let req = Request::post("/api/v1/events")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {}", app.ingest_key))
        .body(Body::from(events_body))
        .unwrap();
    let (status, text) = hostile(&app, "events: 4.5 million values", req, baseline).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["error"]["field"], "body", "{v}");
    assert_eq!(v["error"]["message"], "body: at most 250000 values per request");

    // Slow uploads hold a slot for at most BURSAR_BODY_TIMEOUT_SECS.
    let slow = (0..4).map(|_| {
        let app_router = app.router.clone();
        let key = app.ingest_key.clone();
        tokio::spawn(async move {
            let trickle = futures_util::stream::once(async {
                Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b"{\"events\":["))
            })
            .chain(futures_util::stream::pending());
            let req = Request::post("/api/v1/events")
                .header("content-type", "application/json")
                .header("authorization", format!("Bearer {key}"))
                .body(Body::from_stream(trickle))
                .unwrap();
            let started = Instant::now();
            let resp = tower::ServiceExt::oneshot(app_router, req).await.unwrap();
            (resp.status(), started.elapsed())
        })
    });
    for h in slow.collect::<Vec<_>>() {
        let (status, took) = h.await.unwrap();
        assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
        assert!(took < Duration::from_secs(1), "a slow upload held its slot {took:?}");
    }

    // Queries: the work is bounded before it is done.
    let from = (now - chrono::Duration::days(3_699)).format("%Y-%m-%d");
    let req = Request::get(format!("/api/v1/spend?from={from}&group_by=user,model&granularity=day"))
        .header("authorization", format!("Bearer {}", app.read_key))
        .body(Body::empty())
        .unwrap();
    let (_, text) = hostile(&app, "3,700 days by user × model per day", req, baseline).await;
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["error"]["field"], "group_by", "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("over the limit of 200000"), "{v}");
    let req = Request::get("/api/v1/signals?key=workflow&days=45")
        .header("authorization", format!("Bearer {}", app.read_key))
        .body(Body::empty())
        .unwrap();
    let (_, text) = hostile(&app, "Signals over 45 days", req, baseline).await;
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["error"]["field"], "days", "{v}");
    assert!(v["error"]["message"].as_str().unwrap().starts_with("days: must be 30 or 90"), "{v}");

    // Sign-in: 40 at once get a 4xx at once, the hashing pool never more than full.
    let email = "target@example.com";
    accounts::create_account(&app.store, accounts::NewAccount { email, password: PASSWORD, role: "admin", teams: "" })
        .await
        .unwrap();
    let flood = (0..40).map(|i| {
        let router = app.router.clone();
        tokio::spawn(async move {
            let form = format!("email=target%40example.com&password=guess-{i}&next=%2F");
            let req = sign_in_request(&form, &format!("203.0.113.{i}"));
            let started = Instant::now();
            let resp = tower::ServiceExt::oneshot(router, req).await.unwrap();
            let retry = resp.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
            (resp.status(), retry, started.elapsed())
        })
    });
    let (mut busy, mut slowest) = (0, Duration::ZERO);
    for h in flood.collect::<Vec<_>>() {
        let (status, retry, took) = h.await.unwrap();
        slowest = slowest.max(took);
        assert!(status.is_client_error(), "a sign-in answered {status}");
        assert!(took < Duration::from_secs(1), "a sign-in took {took:?}");
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(retry.as_deref(), Some("1"), "a full pool says when to retry");
            busy += 1;
        }
    }
    assert!(busy > 0, "40 sign-ins at once were all hashed at once");
    eprintln!("40 sign-ins at once: {busy} answered 429, the slowest in {} ms", slowest.as_millis());
    let long = format!("email={}%40example.com&password=x&next=%2F", "a".repeat(300));
    let (status, text) = send_sign_in(&app, &long, "203.0.113.200").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("email: at most 254 characters"), "{text}");
    let long_email = format!("{}@example.com", "a".repeat(300));
    let rows = app.store.count_login_failures(&long_email, now - chrono::Duration::hours(1)).await.unwrap();
    assert_eq!(rows, 0, "an over-long email is never stored");

    let grew = rss_mib() - baseline;
    eprintln!("resident memory after every hostile request: {grew:+.1} MiB from the baseline");
    assert!(grew < 64.0, "resident memory grew {grew:.0} MiB");
    let stored = steady.finish().await;
    assert!(stored > before + 5, "the other client's ingest stalled: {before} then {stored} calls");
    eprintln!("the other client stored {} calls meanwhile", stored - before);
}

fn sign_in_request(form: &str, client: &str) -> Request<Body> {
    Request::post("/api/login")
        .header("host", "localhost")
        .header("origin", "http://localhost")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .header("x-forwarded-for", client)
        .body(Body::from(form.to_string()))
        .unwrap()
}

async fn send_sign_in(app: &TestApp, form: &str, client: &str) -> (StatusCode, String) {
    let (status, _, body) = app.send(sign_in_request(form, client)).await;
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// Parallel guesses from one address get no more than five tries, and the
/// address is what is throttled: the right password from elsewhere still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_are_counted_atomically_and_per_address() {
    let app = TestApp::with_config(|c| {
        c.client_ip_header = Some(axum::http::HeaderName::from_static("x-forwarded-for"));
    })
    .await;
    let email = "admin@example.com";
    accounts::create_account(&app.store, accounts::NewAccount { email, password: PASSWORD, role: "admin", teams: "" })
        .await
        .unwrap();
    let wrong = "the email or password is wrong";
    let mut told_wrong = 0;
    for round in 0..4 {
        let guesses = (0..5).map(|i| {
            let router = app.router.clone();
            tokio::spawn(async move {
                let form = format!("email=admin%40example.com&password=guess-{round}-{i}&next=%2F");
                let resp = tower::ServiceExt::oneshot(router, sign_in_request(&form, "203.0.113.7")).await.unwrap();
                let status = resp.status();
                let body = http_body_util::BodyExt::collect(resp.into_body()).await.unwrap().to_bytes();
                (status, String::from_utf8_lossy(&body).into_owned())
            })
        });
        for h in guesses.collect::<Vec<_>>() {
            let (status, text) = h.await.unwrap();
            assert!(status.is_client_error(), "{status} {text}");
            if text.contains(wrong) {
                told_wrong += 1;
            }
        }
    }
    assert!(told_wrong <= accounts::MAX_FAILURES, "{told_wrong} of 20 parallel guesses were checked");
    // Even the right password is refused from the guessing address…
    let right = format!("email=admin%40example.com&password={}&next=%2F", PASSWORD.replace(' ', "+"));
    let (status, text) = send_sign_in(&app, &right, "203.0.113.7").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{text}");
    assert!(text.contains("too many failed sign-ins from this address"), "{text}");
    // …but not from the admin's own.
    let (status, text) = send_sign_in(&app, &right, "198.51.100.20").await;
    assert!(status.is_success() || status.is_redirection(), "{status} {text}");
    // Rows older than the window are pruned (this guess's, for an email with no account).
    send_sign_in(&app, "email=nobody%40example.com&password=guess&next=%2F", "203.0.113.8").await;
    let later = chrono::Utc::now() + accounts::THROTTLE_WINDOW + chrono::Duration::minutes(1);
    assert!(accounts::prune_login_failures(&app.store, later).await.unwrap() >= 1);
    assert_eq!(app.store.count_login_failures(email, later - chrono::Duration::days(1)).await.unwrap(), 0);
}

/// A bill upload is bounded (64 MB, admins only): one byte more is 413
/// before anything is parsed or stored.
#[tokio::test]
async fn a_bill_upload_is_bounded() {
    let app = TestApp::new().await;
    let limit = catalog::invoice::MAX_BILL_BYTES;
    let req = Request::post("/api/v1/bills/import?source=focus")
        .header("authorization", format!("Bearer {}", app.admin_key))
        .body(Body::from(vec![b'a'; limit + 1]))
        .unwrap();
    let (status, _, _) = app.send(req).await;
    assert_eq!(status, axum::http::StatusCode::PAYLOAD_TOO_LARGE);
    let (_, runs) = app.get("/api/v1/bills/imports", Some(&app.admin_key)).await;
    assert_eq!(runs["imports"].as_array().unwrap().len(), 0, "nothing was recorded");
}
