//! A test app: a fresh store, the real router, and keys of each scope.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::Value;
use server::keys::{self, Scope};
use server::{AppState, Config};
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery";

fn rand_suffix() -> u32 {
    rand::random::<u32>()
}

pub use server::http::web::session_cookie;

/// Lets webhooks reach receivers on this machine (the tests' local receivers).
pub fn allow_local_webhooks(c: &mut Config) {
    c.webhook_policy = domain::budgets::webhook_target::Policy::parse("127.0.0.1, ::1, localhost").unwrap();
}

pub struct TestApp {
    pub router: Router,
    pub store: std::sync::Arc<dyn store::Store>,
    /// (admin URL, database) of a per-test Postgres database.
    pub pg_database: Option<(String, String)>,
    pub ingest_key: String,
    pub read_key: String,
    pub admin_key: String,
    pub state: AppState,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn new() -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("t.db").display());
        TestApp::on(url, dir).await
    }

    /// A test app on a fresh Postgres database, or `None` (after saying so)
    /// when Postgres is unreachable and neither CI nor BURSAR_REQUIRE_POSTGRES is set.
    pub async fn postgres(case: &str) -> Option<TestApp> {
        let (admin, name, url) = fresh_postgres_database(case).await?;
        let mut app = TestApp::on(url, tempfile::tempdir().unwrap()).await;
        app.pg_database = Some((admin, name));
        Some(app)
    }

    /// Drops the test's Postgres database, if it has one.
    pub async fn finish(self) {
        if let Some((admin, name)) = &self.pg_database {
            drop_postgres_database(admin, name).await;
        }
    }

    /// A test app whose webhooks may reach receivers on this machine, as an
    /// operator allows with `BURSAR_WEBHOOK_ALLOWED_HOSTS=127.0.0.1,localhost`.
    pub async fn local() -> TestApp {
        TestApp::with_config(allow_local_webhooks).await
    }

    /// [`TestApp::postgres`], with webhooks allowed to reach this machine.
    pub async fn postgres_local(case: &str) -> Option<TestApp> {
        TestApp::postgres_with(case, allow_local_webhooks).await
    }

    /// [`TestApp::postgres`], with settings changed by `edit`.
    pub async fn postgres_with(case: &str, edit: impl FnOnce(&mut Config)) -> Option<TestApp> {
        let (admin, name, url) = fresh_postgres_database(case).await?;
        let mut config = Config::from_lookup(|_| None).unwrap();
        config.database_url = url;
        edit(&mut config);
        let mut app = TestApp::on_config(config, tempfile::tempdir().unwrap()).await;
        app.pg_database = Some((admin, name));
        Some(app)
    }

    /// A test app on a fresh SQLite store, with settings changed by `edit`.
    pub async fn with_config(edit: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::from_lookup(|_| None).unwrap();
        config.database_url = format!("sqlite:{}", dir.path().join("t.db").display());
        edit(&mut config);
        TestApp::on_config(config, dir).await
    }

    async fn on(url: String, dir: tempfile::TempDir) -> TestApp {
        let mut config = Config::from_lookup(|_| None).unwrap();
        config.database_url = url;
        TestApp::on_config(config, dir).await
    }

    async fn on_config(config: Config, dir: tempfile::TempDir) -> TestApp {
        let store = store::connect(&config.database_url).await.unwrap();
        store.migrate().await.unwrap();
        let options = leptos::prelude::get_configuration(None).unwrap().leptos_options;
        let state = AppState::new(options, store.clone(), config).await.unwrap();
        let mk = |name: &str, scopes: &[Scope]| {
            let (rec, secret) = keys::generate(name, scopes);
            (rec, secret.expose().to_string())
        };
        let (ing, ingest_key) = mk("ingest", &[Scope::Ingest]);
        let (rd, read_key) = mk("read", &[Scope::Read]);
        let (adm, admin_key) = mk("admin", &[Scope::Admin]);
        for k in [&ing, &rd, &adm] {
            store.create_api_key(k).await.unwrap();
        }
        TestApp {
            router: server::http::router(state.clone()),
            state,
            store,
            pg_database: None,
            ingest_key,
            read_key,
            admin_key,
            _dir: dir,
        }
    }

    /// Sends a request and reads the whole answer; a request that does not
    /// finish within a minute fails the test, naming itself.
    pub async fn send(&self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let what = format!("{} {}", req.method(), req.uri());
        let router = self.router.clone();
        let exchange = async move {
            let resp = router.oneshot(req).await.unwrap();
            let status = resp.status();
            let headers = resp.headers().clone();
            let body = resp.into_body().collect().await.unwrap().to_bytes().to_vec();
            (status, headers, body)
        };
        tokio::time::timeout(std::time::Duration::from_secs(60), exchange)
            .await
            .unwrap_or_else(|_| panic!("{what} did not finish within 60 s"))
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

    /// Sends JSON with a key.
    pub async fn json(&self, method: &str, path: &str, key: &str, body: Value) -> (StatusCode, Value) {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {key}"))
            .body(Body::from(body.to_string()))
            .unwrap();
        let (status, _, body) = self.send(req).await;
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, key: Option<&str>) -> (StatusCode, Value) {
        let mut req = Request::get(path);
        if let Some(k) = key {
            req = req.header("authorization", format!("Bearer {k}"));
        }
        let (status, _, body) = self.send(req.body(Body::empty()).unwrap()).await;
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    /// Creates a person with a role and signs them in; returns their session cookie.
    pub async fn sign_in_as(&self, role: &str) -> String {
        let email = format!("{role}-{}@example.com", rand_suffix());
        let teams = if role == "lead" { "platform" } else { "" };
        let new = accounts::NewAccount { email: &email, password: PASSWORD, role, teams };
        accounts::create_account(&self.store, new).await.unwrap();
        let (status, headers, body) = self.login(&email, PASSWORD).await;
        assert!(status.is_redirection(), "sign-in answered {status}: {}", String::from_utf8_lossy(&body));
        session_cookie(&headers).expect("a session cookie")
    }

    /// Posts the sign-in form as a browser without JavaScript would.
    pub async fn login(&self, email: &str, password: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        self.login_to(email, password, "%2F").await
    }

    /// [`TestApp::login`], asking to go to `next` (already percent-encoded) after.
    pub async fn login_to(
        &self,
        email: &str,
        password: &str,
        next: &str,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let form = format!("email={}&password={}&next={next}", email.replace('@', "%40"), password.replace(' ', "+"));
        let req = Request::post("/api/login")
            .header("host", "localhost")
            .header("origin", "http://localhost")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "text/html")
            .body(Body::from(form))
            .unwrap();
        self.send(req).await
    }

    /// A request as a signed-in browser on this site sends it.
    pub fn browser(method: &str, path: &str, cookie: Option<&str>) -> axum::http::request::Builder {
        let mut b = Request::builder().method(method).uri(path).header("host", "localhost");
        if method != "GET" {
            b = b.header("origin", "http://localhost");
        }
        if let Some(c) = cookie {
            b = b.header("cookie", c);
        }
        b
    }

    /// Calls a server function as a signed-in browser posts a form (asking for JSON back).
    pub async fn server_fn(&self, path: &str, form: &str, cookie: Option<&str>) -> (StatusCode, String) {
        let req = TestApp::browser("POST", path, cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(Body::from(form.to_string()))
            .unwrap();
        let (status, _, body) = self.send(req).await;
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// The FOCUS export for `from..=to` (dates) with the read key: status, headers and text.
    pub async fn focus_csv(&self, from: &str, to: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        let read = self.read_key.clone();
        let (status, headers, bytes) = self
            .send(
                Request::get(format!("/api/v1/export/focus.csv?from={from}&to={to}"))
                    .header("authorization", format!("Bearer {read}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        (status, headers, String::from_utf8(bytes).unwrap())
    }

    pub async fn spend(&self, query: &str) -> (StatusCode, Value) {
        let key = self.read_key.clone();
        self.get(&format!("/api/v1/spend?{query}"), Some(&key)).await
    }
}

/// Posts an ingest body through a router from a client task of its own:
/// the status, headers and body of the answer.
pub async fn post_ingest(router: &Router, key: &str, body: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let req = Request::post("/api/v1/events")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {key}"))
        .body(Body::from(body.to_string()))
        .unwrap();
    let resp = router.clone().oneshot(req).await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    (status, headers, resp.into_body().collect().await.unwrap().to_bytes().to_vec())
}

/// A new, empty Postgres database: (admin URL, its name, its URL); `None`
/// (after saying SKIPPED) when Postgres is unreachable and neither CI nor
/// BURSAR_REQUIRE_POSTGRES is set. Postgres comes from BURSAR_TEST_POSTGRES_URL.
pub async fn fresh_postgres_database(case: &str) -> Option<(String, String, String)> {
    use std::io::Write;
    let admin =
        std::env::var("BURSAR_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let required = ["CI", "BURSAR_REQUIRE_POSTGRES"]
        .iter()
        .any(|k| std::env::var(k).is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false")));
    let mut conn = match <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await {
        Ok(c) => c,
        Err(e) if !required => {
            let _ = writeln!(std::io::stderr(), "SKIPPED {case} on Postgres: {admin} is unreachable ({e})");
            return None;
        }
        Err(e) => panic!("Postgres at {admin} is unreachable ({e}) and CI/BURSAR_REQUIRE_POSTGRES requires it"),
    };
    let name = format!("bursar_it_{}", rand::random::<u32>());
    sqlx::query(&format!("create database {name}")).execute(&mut conn).await.unwrap();
    let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin.clone());
    let url = format!("{base}/{name}");
    Some((admin, name, url))
}

/// Drops a test's Postgres database.
pub async fn drop_postgres_database(admin: &str, name: &str) {
    if let Ok(mut c) = <sqlx::PgConnection as sqlx::Connection>::connect(admin).await {
        let _ = sqlx::query(&format!("drop database if exists {name} with (force)")).execute(&mut c).await;
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
