//! A test app: a fresh store, the real router, and keys of each scope.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::Value;
use server::keys::{self, Scope};
use server::{AppState, Config};
use tower::ServiceExt;

pub struct TestApp {
    pub router: Router,
    pub ingest_key: String,
    pub read_key: String,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn new() -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::from_lookup(|_| None).unwrap();
        config.database_url = format!("sqlite:{}", dir.path().join("t.db").display());
        let store = store::connect(&config.database_url).await.unwrap();
        store.migrate().await.unwrap();
        let options = leptos::prelude::get_configuration(None).unwrap().leptos_options;
        let state = AppState::new(options, store.clone(), config).unwrap();
        let mk = |name: &str, scopes: &[Scope]| {
            let (rec, secret) = keys::generate(name, scopes);
            (rec, secret.expose().to_string())
        };
        let (ing, ingest_key) = mk("ingest", &[Scope::Ingest]);
        let (rd, read_key) = mk("read", &[Scope::Read]);
        store.create_api_key(&ing).await.unwrap();
        store.create_api_key(&rd).await.unwrap();
        TestApp { router: server::routes::router(state), ingest_key, read_key, _dir: dir }
    }

    pub async fn send(&self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await.unwrap().to_bytes().to_vec();
        (status, headers, body)
    }

    pub async fn post_raw(&self, key: Option<&str>, body: impl Into<Body>) -> (StatusCode, Value) {
        let mut req = Request::post("/api/v1/events").header("content-type", "application/json");
        if let Some(k) = key {
            req = req.header("authorization", format!("Bearer {k}"));
        }
        let (status, _, body) = self.send(req.body(body.into()).unwrap()).await;
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    pub async fn post_events(&self, events: Value) -> (StatusCode, Value) {
        let key = self.ingest_key.clone();
        self.post_raw(Some(&key), serde_json::json!({ "events": events }).to_string()).await
    }

    pub async fn get(&self, path: &str, key: Option<&str>) -> (StatusCode, Value) {
        let mut req = Request::get(path);
        if let Some(k) = key {
            req = req.header("authorization", format!("Bearer {k}"));
        }
        let (status, _, body) = self.send(req.body(Body::empty()).unwrap()).await;
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    pub async fn spend(&self, query: &str) -> (StatusCode, Value) {
        let key = self.read_key.clone();
        self.get(&format!("/api/v1/spend?{query}"), Some(&key)).await
    }
}

/// A valid event at a fixed time in November 2026.
pub fn event(id: &str) -> Value {
    serde_json::json!({
        "id": id,
        "timestamp": "2026-11-02T10:00:00Z",
        "model": "gpt-4o",
        "input_tokens": 1000,
        "output_tokens": 200,
        "tags": {"team": "core", "workflow": "bug-triage"}
    })
}

/// `event(id)` with one field replaced.
pub fn event_with(id: &str, field: &str, value: Value) -> Value {
    let mut e = event(id);
    e.as_object_mut().unwrap().insert(field.into(), value);
    e
}
