//! Alerts reach HTTPS webhooks (every Slack incoming webhook is one): a local
//! HTTPS receiver with a certificate from a CA this test makes, trusted through
//! `SSL_CERT_FILE` as a company's private CA would be. A receiver whose
//! certificate is not trusted gets nothing, and the attempt says why.

use super::helpers::TestApp;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use tokio_rustls::rustls;

/// A CA, and a server certificate for 127.0.0.1 and localhost signed by it.
pub struct Pki {
    pub ca_pem: String,
    pub server: rustls::ServerConfig,
}

pub fn pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(rcgen::DnType::CommonName, "Bursar test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let mut leaf = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    leaf.distinguished_name.push(rcgen::DnType::CommonName, "localhost");
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf_cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )
        .unwrap();
    Pki { ca_pem: ca_cert.pem(), server }
}

/// Starts an HTTPS receiver; answers 200 and keeps every JSON body it gets.
async fn https_receiver(config: rustls::ServerConfig) -> (String, Arc<Mutex<Vec<Value>>>) {
    let got: Arc<Mutex<Vec<Value>>> = Arc::default();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { return };
            let acceptor = acceptor.clone();
            let seen = seen.clone();
            tokio::spawn(async move {
                // A client that refuses our certificate ends the handshake here.
                let Ok(tls) = acceptor.accept(tcp).await else { return };
                let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let seen = seen.clone();
                    async move {
                        let bytes = req.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                        seen.lock().unwrap().push(serde_json::from_slice(&bytes).unwrap_or(Value::Null));
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(http_body_util::Full::new(
                            hyper::body::Bytes::from_static(b"ok"),
                        )))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (format!("https://127.0.0.1:{}/services/T000/B000/secret", addr.port()), got)
}

/// Runs `f` with `SSL_CERT_FILE` naming a file that holds `pem` (the tests
/// run one at a time, so no other thread reads the variable meanwhile).
pub async fn trusting<T>(pem: &str, f: impl std::future::Future<Output = T>) -> T {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ca.pem");
    std::fs::write(&file, pem).unwrap();
    std::env::set_var("SSL_CERT_FILE", &file);
    let out = f.await;
    std::env::remove_var("SSL_CERT_FILE");
    out
}

#[tokio::test]
async fn a_budget_alert_reaches_an_https_webhook_signed_by_a_private_ca() {
    let pki = pki();
    let (url, got) = https_receiver(pki.server).await;
    // The client is built at start-up, reading SSL_CERT_FILE then.
    let app = trusting(&pki.ca_pem, TestApp::local()).await;
    delivered_over_https(&app, &url, &got).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_alert_reaches_an_https_webhook_on_postgres() {
    let pki = pki();
    let (url, got) = https_receiver(pki.server).await;
    let Some(app) = trusting(&pki.ca_pem, TestApp::postgres_local("webhooks_tls")).await else { return };
    delivered_over_https(&app, &url, &got).await;
    app.finish().await;
}

/// A budget alert, then Send test alert, both delivered to the HTTPS receiver.
async fn delivered_over_https(app: &TestApp, url: &str, got: &Mutex<Vec<Value>>) {
    let admin = app.admin_key.clone();
    let budget = json!({"name": "Platform monthly", "scope": {"team": "platform"}, "period": "month",
        "amount": "100", "thresholds": [50], "hard_cap": false, "webhook": url});
    let (status, _) = app.json("POST", "/api/v1/budgets", &admin, budget).await;
    assert_eq!(status, StatusCode::CREATED);
    let call = json!({"id": "tls-1", "timestamp": Utc::now().to_rfc3339(), "model": "gpt-4o", "provider": "openai",
        "input_tokens": 1000, "output_tokens": 10, "cost": "55", "tags": {"team": "platform"}});
    let (status, _) = app.post_events(json!([call])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(server::jobs::alerts::deliver_due(&app.state, Utc::now() + Duration::seconds(1)).await.unwrap(), 1);
    let bodies = got.lock().unwrap().clone();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    assert_eq!(bodies[0]["text"], "Bursar: Platform monthly crossed 50%: $55.00 of $100.00");
    assert_eq!(bodies[0]["blocks"][0]["type"], "section");
    let (_, alerts) = app.get("/api/v1/alerts", Some(&admin)).await;
    assert_eq!((alerts[0]["delivery"].as_str(), alerts[0]["attempts"].as_i64()), (Some("delivered"), Some(1)));

    // Send test alert, through the API, to the same receiver.
    let (status, out) = app.json("POST", "/api/v1/webhooks/test", &admin, json!({"url": url})).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!((out["delivered"].as_bool(), out["status"].as_i64()), (Some(true), Some(200)), "{out}");
    let bodies = got.lock().unwrap().clone();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[1]["text"], "Bursar: Bursar test alert crossed 80%: $80.00 of $100.00");
}

#[tokio::test]
async fn an_untrusted_certificate_gets_nothing_and_the_attempt_says_why() {
    let pki = pki();
    let (url, got) = https_receiver(pki.server).await;
    // No SSL_CERT_FILE: the system's roots, which do not know this CA.
    let app = TestApp::local().await;
    let admin = app.admin_key.clone();
    let (status, out) = app.json("POST", "/api/v1/webhooks/test", &admin, json!({"url": url})).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["delivered"], false);
    assert_eq!(out["status"], Value::Null);
    let error = out["error"].as_str().unwrap();
    assert!(error.starts_with("the receiver's TLS certificate was not trusted"), "{error}");
    assert!(error.contains("UnknownIssuer"), "{error}");
    assert!(!error.contains("secret"), "the URL's secret path is never echoed: {error}");
    assert!(got.lock().unwrap().is_empty(), "nothing is sent insecurely");

    // The same through a real alert: a failed attempt, recorded with the reason.
    let budget = json!({"name": "Search", "scope": {"team": "search"}, "period": "month",
        "amount": "10", "thresholds": [50], "hard_cap": false, "webhook": url});
    app.json("POST", "/api/v1/budgets", &admin, budget).await;
    let call = json!({"id": "tls-2", "timestamp": Utc::now().to_rfc3339(), "model": "gpt-4o",
        "input_tokens": 1000, "output_tokens": 10, "cost": "6", "tags": {"team": "search"}});
    app.post_events(json!([call])).await;
    server::jobs::alerts::deliver_due(&app.state, Utc::now() + Duration::seconds(1)).await.unwrap();
    let (_, alerts) = app.get("/api/v1/alerts", Some(&admin)).await;
    let (_, detail) = app.get(&format!("/api/v1/alerts/{}", alerts[0]["id"]), Some(&admin)).await;
    let attempt = &detail["delivery_attempts"][0];
    assert!(attempt["error"].as_str().unwrap().contains("TLS certificate was not trusted"), "{attempt}");
    assert!(got.lock().unwrap().is_empty());
}

#[tokio::test]
async fn the_test_endpoint_is_for_admins_and_names_a_bad_url() {
    let app = TestApp::local().await;
    let admin = app.admin_key.clone();
    let (status, body) = app.json("POST", "/api/v1/webhooks/test", &admin, json!({"url": "ftp://example.com/x"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["field"], "url", "{body}");
    let read = app.read_key.clone();
    let (status, _) = app.json("POST", "/api/v1/webhooks/test", &read, json!({"url": "https://example.com/x"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
