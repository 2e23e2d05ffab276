//! Security: the API keys' authorisation matrix over every described
//! endpoint, session fixation, cross-site requests, and hostile text
//! (SQL metacharacters, markup, the longest values allowed) in every tag,
//! filter and form field, which must be stored and shown literally.
//!
//! The submodules hold the kinds an OWASP ASVS L2 review found beyond roles:
//! what one request may cost (`resources`), where the server may be made to
//! connect (`ssrf`), what one team's key or lead may do to another
//! (`trust`), output that attacks its reader (`output`), and headers,
//! sessions and passwords (`sessions`).

mod output;
mod resources;
mod sessions;
mod ssrf;
mod trust;

use crate::helpers::{event, session_cookie, TestApp, PASSWORD};
use app::api_catalog::ENDPOINTS;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{json, Value};

/// Every keyed endpoint: a key without its scope gets 403, a key with it gets past authorisation.
#[tokio::test]
async fn every_endpoint_refuses_keys_without_its_scope() {
    let app = TestApp::new().await;
    let keys = [("ingest", app.ingest_key.clone()), ("read", app.read_key.clone()), ("admin", app.admin_key.clone())];
    let mut checked = 0;
    for e in ENDPOINTS.iter() {
        let Some(scope) = e.scope else { continue };
        let path = e.path.replace("{id}", "x").replace("{model}", "gpt-4o");
        for (name, key) in &keys {
            let method = Method::from_bytes(e.method.to_uppercase().as_bytes()).unwrap();
            let req = Request::builder()
                .method(method)
                .uri(&path)
                .header("content-type", "application/json")
                .header("authorization", format!("Bearer {key}"))
                .body(Body::from("{}"))
                .unwrap();
            let (status, _, body) = app.send(req).await;
            let body = String::from_utf8_lossy(&body);
            // The admin scope grants every other.
            if *name == scope || *name == "admin" {
                assert!(
                    status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                    "{} {path} with a {name} key: {status} {body}",
                    e.method
                );
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{} {path} with a {name} key: {body}", e.method);
            }
        }
        for bad in ["Bearer ", "Bearer bsr_not-a-real-key", "Basic YWRtaW46YWRtaW4=", "bsr_nothing"] {
            let method = Method::from_bytes(e.method.to_uppercase().as_bytes()).unwrap();
            let req = Request::builder().method(method).uri(&path).header("authorization", bad);
            let (status, _, _) = app.send(req.body(Body::empty()).unwrap()).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{} {path} with {bad:?}", e.method);
        }
        checked += 1;
    }
    assert!(checked >= 35, "only {checked} keyed endpoints");
}

/// A session cookie, by itself, never reaches the key-guarded API.
#[tokio::test]
async fn a_browser_session_is_not_an_api_key() {
    let app = TestApp::new().await;
    let cookie = app.sign_in_as("admin").await;
    for path in ["/api/v1/spend?from=2026-11-01&to=2026-11-02", "/api/v1/taxonomy", "/api/v1/budgets"] {
        let req = TestApp::browser("GET", path, Some(&cookie)).body(Body::empty()).unwrap();
        assert_eq!(app.send(req).await.0, StatusCode::UNAUTHORIZED, "{path}");
    }
}

/// A session id chosen before signing in (planted by an attacker, or handed
/// out to an anonymous visitor) is replaced at sign-in and never signs anyone in.
#[tokio::test]
async fn signing_in_replaces_any_session_id_held_before() {
    let app = TestApp::new().await;
    let email = "fixation@example.com";
    accounts::create_account(&app.store, accounts::NewAccount { email, password: PASSWORD, role: "admin", teams: "" })
        .await
        .unwrap();
    // An id the server handed out before sign-in: the cookie a failed attempt leaves, if any.
    let (_, headers, _) = app.login(email, "wrong password").await;
    let handed_out = session_cookie(&headers);
    let planted = "bursar_session=attacker-chosen-session-id".to_string();
    for before in [Some(planted), handed_out].into_iter().flatten() {
        let form = format!("email={}&password={}&next=%2F", email.replace('@', "%40"), PASSWORD.replace(' ', "+"));
        let req = Request::post("/api/login")
            .header("host", "localhost")
            .header("origin", "http://localhost")
            .header("cookie", &before)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "text/html")
            .body(Body::from(form))
            .unwrap();
        let (status, headers, _) = app.send(req).await;
        assert!(status.is_redirection(), "{status}");
        let after = session_cookie(&headers).expect("signing in sets a session cookie");
        assert_ne!(after, before, "the session id must change at sign-in");
        let req = TestApp::browser("GET", "/", Some(&before)).body(Body::empty()).unwrap();
        assert_eq!(app.send(req).await.0, StatusCode::SEE_OTHER, "the id held before signs no one in");
        let req = TestApp::browser("GET", "/", Some(&after)).body(Body::empty()).unwrap();
        assert_eq!(app.send(req).await.0, StatusCode::OK, "the new id does");
        // The clear-login failures need not throttle the next round.
        app.store.clear_login_failures(email).await.unwrap();
    }
}

/// Cross-site requests: sign-in (login CSRF), sign-out and a write are refused
/// without this site's Origin; so are requests whose Referer alone is foreign.
#[tokio::test]
async fn cross_site_forms_are_refused() {
    let app = TestApp::new().await;
    let cookie = app.sign_in_as("admin").await;
    let email = "csrf@example.com";
    accounts::create_account(&app.store, accounts::NewAccount { email, password: PASSWORD, role: "viewer", teams: "" })
        .await
        .unwrap();
    let login = format!("email={}&password={}&next=%2F", email.replace('@', "%40"), PASSWORD.replace(' ', "+"));
    let cases: [(&str, String, Option<&str>); 3] = [
        ("/api/login", login, None),
        ("/api/logout", String::new(), Some(&cookie)),
        ("/api/budget_form", String::new(), Some(&cookie)),
    ];
    for (path, form, with_cookie) in cases {
        for origin in [Some("https://evil.example"), Some("http://localhost.evil.example"), Some("null"), None] {
            let mut req = Request::post(path)
                .header("host", "localhost")
                .header("content-type", "application/x-www-form-urlencoded")
                .header("accept", "text/html");
            if let Some(o) = origin {
                req = req.header("origin", o);
            } else {
                req = req.header("referer", "https://evil.example/page");
            }
            if let Some(c) = with_cookie {
                req = req.header("cookie", c);
            }
            let (status, headers, _) = app.send(req.body(Body::from(form.clone())).unwrap()).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path} from {origin:?}");
            assert!(session_cookie(&headers).is_none(), "{path} from {origin:?} set a session");
        }
    }
    // The admin's session survived the forged sign-out.
    let req = TestApp::browser("GET", "/", Some(&cookie)).body(Body::empty()).unwrap();
    assert_eq!(app.send(req).await.0, StatusCode::OK);
}

const HOSTILE: [&str; 7] = [
    "'; drop table events; --",
    "\" or \"1\"=\"1",
    "x' union select key_hash from api_keys --",
    "100%_off\\",
    "<script>alert('bursar')</script>",
    "Robert'); DELETE FROM budgets;--",
    "ünïcödé 🚀 \u{202e}rtl",
];

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Hostile text in every tag is stored as sent, filtered and grouped on
/// literally, and shown escaped; the longest allowed values fit, longer ones
/// are refused with the field named.
#[tokio::test]
async fn hostile_tag_values_are_stored_and_shown_literally() {
    let app = TestApp::new().await;
    let longest = "z".repeat(domain::attribution::tags::MAX_VALUE_LEN);
    let mut values: Vec<String> = HOSTILE.iter().map(|s| s.to_string()).collect();
    values.push(longest.clone());
    let events: Vec<Value> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut e = event(&format!("hostile-{i}-{v}").chars().take(128).collect::<String>());
            e["tags"] = json!({"team": v, "workflow": v, "user": v, "project": v, "product": v, "task_type": v});
            e["task_id"] = json!(v.chars().take(256).collect::<String>());
            e["cost"] = json!(format!("{}.5", i + 1));
            e
        })
        .collect();
    let (status, r) = app.post_events(json!(events)).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["accepted"], values.len(), "{r}");
    assert_eq!(app.store.count_events().await.unwrap(), values.len() as i64, "the events table is whole");
    assert_eq!(app.store.list_budgets().await.unwrap().len(), 0);

    for (i, v) in values.iter().enumerate() {
        // Filtering on the value selects exactly its one call; grouping shows it as sent.
        for key in ["team", "workflow", "user", "project"] {
            let q =
                format!("from=2026-11-01&to=2026-11-03&group_by={key}&filter={}", url_encode(&format!("{key}:{v}")));
            let (status, r) = app.spend(&q).await;
            assert_eq!(status, StatusCode::OK, "{key}={v:?}: {r}");
            assert_eq!(r["total"]["calls"], 1, "{key}={v:?}: {r}");
            assert_eq!(r["total"]["cost"], format!("{}.50", i + 1), "{key}={v:?}");
            assert_eq!(r["groups"][0]["key"][key], json!(v), "{key}={v:?}");
        }
    }
    // Control characters are refused, naming the tag.
    let mut e = event("nul");
    e["tags"]["team"] = json!("a\u{0}b");
    let (_, r) = app.post_events(json!([e])).await;
    assert_eq!(r["rejected"][0]["error"], "tags.team: must not contain control characters", "{r}");
    // Too long by one: refused, naming the tag.
    let mut e = event("too-long");
    e["tags"]["team"] = json!(format!("{longest}z"));
    let (status, r) = app.post_events(json!([e])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(r["accepted"], 0);
    assert!(r["rejected"][0]["error"].as_str().unwrap().starts_with("tags.team"), "{r}");

    // Explore shows each value escaped, never as markup.
    let cookie = app.sign_in_as("admin").await;
    let req = TestApp::browser("GET", "/explore?period=custom&from=2026-11-01&to=2026-11-03&by=team", Some(&cookie))
        .body(Body::empty())
        .unwrap();
    let (status, _, html) = app.send(req).await;
    let html = String::from_utf8(html).unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("<script>alert('bursar')</script>"), "markup in a tag reached the page unescaped");
    assert!(html.contains("&lt;script&gt;alert("), "the value is shown, escaped");
    assert!(html.contains("drop table events"));
    // A filter on Explore with each value, through the page's own query string.
    for v in HOSTILE {
        let path = format!(
            "/explore?period=custom&from=2026-11-01&to=2026-11-03&by=workflow&filter={}",
            url_encode(&format!("team:{v}"))
        );
        let req = TestApp::browser("GET", &path, Some(&cookie)).body(Body::empty()).unwrap();
        let (status, _, html) = app.send(req).await;
        assert_eq!(status, StatusCode::OK, "{v:?}");
        assert!(!String::from_utf8(html).unwrap().contains("<script>alert"), "{v:?}");
    }
    // The CSV export carries the values as sent (quoted where CSV needs it).
    let req =
        TestApp::browser("GET", "/explore.csv?period=custom&from=2026-11-01&to=2026-11-03&by=team", Some(&cookie))
            .body(Body::empty())
            .unwrap();
    let (_, _, csv) = app.send(req).await;
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.contains("\"'; drop table events; --\"") || csv.contains("'; drop table events; --"), "{csv}");
    assert!(csv.contains(&longest));
}

/// Hostile text in form and API fields (a budget's name, description and
/// scope; a taxonomy rule; a person's email) is kept as written.
#[tokio::test]
async fn hostile_form_fields_are_kept_literally() {
    let app = TestApp::new().await;
    let admin = app.admin_key.clone();
    for (i, v) in HOSTILE.iter().enumerate() {
        let name = format!("{v} #{i}");
        let budget = json!({"name": name, "description": v, "scope": {"team": v}, "period": "month",
                            "amount": "10", "thresholds": [80]});
        let (status, b) = app.json("POST", "/api/v1/budgets", &admin, budget).await;
        assert_eq!(status, StatusCode::CREATED, "{v:?}: {b}");
        let id = b["id"].as_str().unwrap();
        let (status, got) = app.get(&format!("/api/v1/budgets/{}", url_encode(id)), Some(&admin)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(got["name"], json!(name));
        assert_eq!(got["description"], json!(v));
        assert_eq!(got["scope"]["team"], json!(v));
    }
    assert_eq!(app.store.list_budgets().await.unwrap().len(), HOSTILE.len());
    // The budgets page lists every name, escaped.
    let cookie = app.sign_in_as("admin").await;
    let req = TestApp::browser("GET", "/budgets", Some(&cookie)).body(Body::empty()).unwrap();
    let (status, _, html) = app.send(req).await;
    let html = String::from_utf8(html).unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("<script>alert('bursar')</script>"));
    assert!(
        html.contains("Robert&#x27;); DELETE FROM budgets;--") || html.contains("Robert'); DELETE FROM budgets;--")
    );

    // A taxonomy whose allowed values and aliases are hostile text applies literally at ingest.
    let taxonomy = json!({"keys": [{"key": "team", "required": false, "policy": "normalize",
        "allowed": [HOSTILE[0], HOSTILE[3]], "aliases": {"drop": HOSTILE[0]}}]});
    let (status, t) = app.json("PUT", "/api/v1/taxonomy", &admin, taxonomy).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    let (_, t) = app.get("/api/v1/taxonomy", Some(&admin)).await;
    assert_eq!(t["keys"][0]["allowed"][0], HOSTILE[0], "{t}");
    let mut e = event("aliased");
    e["tags"]["team"] = json!("drop");
    let (status, r) = app.post_events(json!([e])).await;
    assert_eq!((status, r["accepted"].clone()), (StatusCode::OK, json!(1)), "{r}");
    let q = format!("from=2026-11-01&to=2026-11-03&filter={}", url_encode(&format!("team:{}", HOSTILE[0])));
    assert_eq!(app.spend(&q).await.1["total"]["calls"], 1);

    // Sign-in with SQL in the email and the password is just a failed sign-in.
    for v in HOSTILE {
        let (status, headers, _) = app.login(v, v).await;
        assert!(status.is_redirection() || status.is_client_error(), "{v:?}: {status}");
        if let Some(c) = session_cookie(&headers) {
            let req = TestApp::browser("GET", "/", Some(&c)).body(Body::empty()).unwrap();
            assert_eq!(app.send(req).await.0, StatusCode::SEE_OTHER, "{v:?} signed someone in");
        }
    }
    assert_eq!(app.store.count_users().await.unwrap(), 1, "only the admin this test made");
}
