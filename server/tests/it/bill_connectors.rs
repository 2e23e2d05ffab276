//! The bill connectors against local HTTPS servers that speak OpenAI's Costs
//! API and Anthropic's cost report as their references document them:
//! daily buckets, `has_more` and `next_page` pagination, the admin key's
//! header, dollars (OpenAI) and cents (Anthropic). The server's certificate
//! comes from a private CA trusted through `SSL_CERT_FILE`.

use crate::helpers::{allow_local_webhooks, TestApp};
use crate::webhooks_tls::{pki, trusting};
use chrono::{DateTime, NaiveDate};
use http_body_util::Full;
use hyper::body::Bytes;
use serde_json::{json, Value};
use server::config_bills::{AdminKey, BillConnector, BillConnectors};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio_rustls::rustls;

type Seen = Arc<Mutex<Vec<(String, HashMap<String, String>)>>>;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

fn query(uri: &str) -> Vec<(String, String)> {
    let q = uri.split_once('?').map(|(_, q)| q).unwrap_or("");
    url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

/// OpenAI: three daily buckets (the 1st, 2nd, 3rd), two per page, whatever `limit` asks.
fn openai(uri: &str, headers: &HashMap<String, String>) -> (u16, Value) {
    if headers.get("authorization").map(String::as_str) != Some("Bearer sk-admin-test") {
        return (401, json!({"error": {"message": "Invalid admin key", "type": "invalid_request_error"}}));
    }
    let q = query(uri);
    let get = |k: &str| q.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
    assert!(uri.starts_with("/v1/organization/costs?"), "{uri}");
    let groups: Vec<&String> = q.iter().filter(|(k, _)| k == "group_by").map(|(_, v)| v).collect();
    assert_eq!(groups, vec!["line_item", "project_id"]);
    let (start, end) =
        (get("start_time").unwrap().parse::<i64>().unwrap(), get("end_time").unwrap().parse::<i64>().unwrap());
    let bucket = |d: u32, results: Value| {
        let t = day(d).and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp();
        json!({"object": "bucket", "start_time": t, "end_time": t + 86_400, "results": results})
    };
    let all = vec![
        bucket(
            1,
            json!([{"object": "organization.costs.result", "amount": {"value": 1.25, "currency": "usd"}, "line_item": "gpt-4o-mini-2024-07-18, input", "project_id": "proj_a"},
                         {"object": "organization.costs.result", "amount": {"value": 0.3, "currency": "usd"}, "line_item": "gpt-4o-mini-2024-07-18, output", "project_id": "proj_a"}]),
        ),
        bucket(2, json!([])),
        bucket(
            3,
            json!([{"object": "organization.costs.result", "amount": {"value": 0.000000001, "currency": "usd"}, "line_item": "gpt-4o-mini-2024-07-18, cached input", "project_id": null}]),
        ),
    ];
    let inside: Vec<Value> =
        all.into_iter().filter(|b| (start..end).contains(&b["start_time"].as_i64().unwrap())).collect();
    let from: usize = get("page").map(|p| p.trim_start_matches("page_").parse().unwrap()).unwrap_or(0);
    let slice: Vec<Value> = inside.iter().skip(from).take(2).cloned().collect();
    let more = from + 2 < inside.len();
    (
        200,
        json!({"object": "page", "data": slice, "has_more": more, "next_page": more.then(|| format!("page_{}", from + 2))}),
    )
}

/// Anthropic: two daily buckets, one per page, amounts in cents.
fn anthropic(uri: &str, headers: &HashMap<String, String>) -> (u16, Value) {
    if headers.get("x-api-key").map(String::as_str) != Some("sk-ant-admin-test") {
        return (
            401,
            json!({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}),
        );
    }
    assert_eq!(headers.get("anthropic-version").map(String::as_str), Some("2023-06-01"));
    let q = query(uri);
    let get = |k: &str| q.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
    let groups: Vec<&String> = q.iter().filter(|(k, _)| k == "group_by[]").map(|(_, v)| v).collect();
    assert_eq!(groups, vec!["workspace_id", "description"]);
    let start = DateTime::parse_from_rfc3339(&get("starting_at").unwrap()).unwrap().date_naive();
    let item = |amount: &str, token_type: &str| {
        json!({"currency": "USD", "amount": amount, "workspace_id": "wrkspc_1",
        "description": format!("Claude Haiku 4.5 Usage - {token_type}"), "cost_type": "tokens", "context_window": "0-200k",
        "model": "claude-haiku-4-5-20251001", "service_tier": "standard", "token_type": token_type})
    };
    let all = [
        (day(1), json!([item("250", "uncached_input_tokens"), item("1000.5", "output_tokens")])),
        (day(2), json!([item("12.345", "cache_read_input_tokens")])),
    ];
    let inside: Vec<_> = all.iter().filter(|(d, _)| *d >= start).collect();
    let from: usize = get("page").map(|p| p.parse().unwrap()).unwrap_or(0);
    let data: Vec<Value> = inside.iter().skip(from).take(1).map(|(d, r)| json!({
        "starting_at": format!("{d}T00:00:00Z"), "ending_at": format!("{}T00:00:00Z", d.succ_opt().unwrap()), "results": r})).collect();
    let more = from + 1 < inside.len();
    (200, json!({"data": data, "has_more": more, "next_page": more.then(|| (from + 1).to_string())}))
}

/// Starts an HTTPS server answering with `answer`; its base URL and what it was asked.
async fn provider(
    config: rustls::ServerConfig,
    answer: fn(&str, &HashMap<String, String>) -> (u16, Value),
) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { return };
            let (acceptor, log) = (acceptor.clone(), log.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else { return };
                let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let uri = req.uri().to_string();
                    let headers: HashMap<String, String> = req
                        .headers()
                        .iter()
                        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
                        .collect();
                    log.lock().unwrap().push((uri.clone(), headers.clone()));
                    let (status, body) = answer(&uri, &headers);
                    let mut resp = hyper::Response::new(Full::new(Bytes::from(body.to_string())));
                    *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                    async move { Ok::<_, std::convert::Infallible>(resp) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (format!("https://127.0.0.1:{port}"), seen)
}

fn connector(source: domain::invoice::BillSource, base: &str, key: &str) -> BillConnector {
    BillConnector { source, base_url: base.into(), key: AdminKey::from(key) }
}

async fn connectors_poll_paginate_restate_and_record(
    app: TestApp,
    openai_url: &str,
    anthropic_url: &str,
    seen: (&Seen, &Seen),
) {
    use domain::invoice::BillSource::{Anthropic, OpenAi};
    let oa = connector(OpenAi, openai_url, "sk-admin-test");
    let answer = server::jobs::bills::poll(&app.state, &oa, day(1), day(4)).await.unwrap();
    assert_eq!((answer.rows, answer.days), (3, 3), "both pages read; the empty day covered");
    assert_eq!(seen.0.lock().unwrap().len(), 2, "two pages");
    assert_eq!(serde_json::to_value(&answer.totals).unwrap(), json!([{"currency": "USD", "billed": "1.550000001"}]));
    let an = connector(Anthropic, anthropic_url, "sk-ant-admin-test");
    let answer = server::jobs::bills::poll(&app.state, &an, day(1), day(4)).await.unwrap();
    assert_eq!(
        serde_json::to_value(&answer.totals).unwrap(),
        json!([{"currency": "USD", "billed": "12.62845"}]),
        "cents: 250 + 1000.5 + 12.345"
    );
    assert_eq!(seen.1.lock().unwrap().len(), 2);
    // A second poll restates the same days: nothing doubles.
    server::jobs::bills::poll(&app.state, &oa, day(1), day(4)).await.unwrap();
    let (_, r) = app.get("/api/v1/reconcile?from=2026-11-01&to=2026-11-03", Some(&app.read_key)).await;
    assert_eq!(r["totals"][0]["billed"], "14.178450001");
    // A refused key: a failed run is recorded with the reason, and no line changes.
    let bad = connector(OpenAi, openai_url, "sk-wrong");
    let e = server::jobs::bills::poll(&app.state, &bad, day(1), day(4)).await.unwrap_err();
    assert!(e.contains("HTTP 401") && e.contains("refused"), "{e}");
    assert!(!e.contains("sk-wrong"), "the key is never in the error");
    let (_, runs) = app.get("/api/v1/bills/imports", Some(&app.admin_key)).await;
    let last = &runs["imports"][0];
    assert_eq!((last["ok"].as_bool(), last["trigger"].as_str()), (Some(false), Some("connector")));
    assert!(last["detail"]["error"].as_str().unwrap().contains("401"));
    let (_, r) = app.get("/api/v1/reconcile?from=2026-11-01&to=2026-11-03", Some(&app.read_key)).await;
    assert_eq!(r["totals"][0]["billed"], "14.178450001");
    app.finish().await;
}

#[tokio::test]
async fn connectors_poll_openai_and_anthropic_over_https() {
    let (p1, p2) = (pki(), pki());
    let (ca1, ca2) = (p1.ca_pem.clone(), p2.ca_pem.clone());
    let (oa, seen_oa) = provider(p1.server, openai).await;
    let (an, seen_an) = provider(p2.server, anthropic).await;
    let app = trusting(&format!("{ca1}{ca2}"), TestApp::with_config(allow_local_webhooks)).await;
    connectors_poll_paginate_restate_and_record(app, &oa, &an, (&seen_oa, &seen_an)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connectors_poll_on_postgres() {
    let (p1, p2) = (pki(), pki());
    let (ca1, ca2) = (p1.ca_pem.clone(), p2.ca_pem.clone());
    let (oa, seen_oa) = provider(p1.server, openai).await;
    let (an, seen_an) = provider(p2.server, anthropic).await;
    let Some(app) =
        trusting(&format!("{ca1}{ca2}"), TestApp::postgres_with("bill_connectors", allow_local_webhooks)).await
    else {
        return;
    };
    connectors_poll_paginate_restate_and_record(app, &oa, &an, (&seen_oa, &seen_an)).await;
}

#[test]
fn settings_read_connectors() {
    let c: BillConnectors =
        server::Config::from_lookup(|k| (k == "BURSAR_ANTHROPIC_ADMIN_KEY").then(|| "k".into())).unwrap().bills;
    assert_eq!(c.connectors[0].base_url, "https://api.anthropic.com");
}
