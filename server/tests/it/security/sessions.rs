//! Headers, sessions and passwords: what the browser is told to enforce,
//! how long a session lasts, changing and resetting passwords, and errors
//! that say what is wrong without the database's own words.

use crate::helpers::{TestApp, PASSWORD};
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};

fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or_else(|| panic!("no {name} header in {h:?}"))
}

#[tokio::test]
async fn pages_carry_the_browser_security_headers() {
    let app = TestApp::new().await;
    let cookie = app.sign_in_as("admin").await;
    for path in ["/", "/explore", "/budgets", "/alerts", "/prices", "/no-such-page"] {
        let req = TestApp::browser("GET", path, Some(&cookie)).body(Body::empty()).unwrap();
        let (_, h, body) = app.send(req).await;
        let csp = header(&h, "content-security-policy");
        let nonce = csp.split("'nonce-").nth(1).and_then(|r| r.split('\'').next()).expect("a nonce");
        assert!(nonce.len() >= 16, "{path}: {csp}");
        for part in ["default-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "'wasm-unsafe-eval'"] {
            assert!(csp.contains(part), "{path}: {csp}");
        }
        let script_src = csp.split(';').find(|d| d.trim().starts_with("script-src")).unwrap_or("");
        assert!(!script_src.contains("'unsafe-inline'") && !script_src.contains("'unsafe-eval'"), "{csp}");
        assert_eq!(header(&h, "x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header(&h, "referrer-policy"), "same-origin", "{path}");
        assert_eq!(header(&h, "cache-control"), "no-store", "{path}");
        assert!(h.get("strict-transport-security").is_none(), "no HSTS over plain http");
        // Every inline script carries this response's nonce.
        let html = String::from_utf8_lossy(&body);
        for tag in html.split("<script").skip(1).map(|t| t.split('>').next().unwrap_or("")) {
            assert!(tag.contains(" src=") || tag.contains(&format!("nonce=\"{nonce}\"")), "{path}: <script{tag}>");
        }
    }
    // Static files may be cached; API answers may not.
    let (_, h, _) = app.send(TestApp::browser("GET", "/favicon.svg", None).body(Body::empty()).unwrap()).await;
    assert!(h.get("cache-control").is_none_or(|v| v != "no-store"));
    assert_eq!(header(&h, "x-content-type-options"), "nosniff");
    let read = app.read_key.clone();
    let req = axum::http::Request::get("/api/v1/budgets").header("authorization", format!("Bearer {read}"));
    let (_, h, _) = app.send(req.body(Body::empty()).unwrap()).await;
    assert_eq!(header(&h, "cache-control"), "no-store");
    assert!(header(&h, "content-security-policy").starts_with("default-src 'none'"));
    // HSTS once the public address is https.
    let https = TestApp::with_config(|c| c.public_url = Some("https://bursar.example.com".into())).await;
    let (_, h, _) = https.send(TestApp::browser("GET", "/login", None).body(Body::empty()).unwrap()).await;
    assert_eq!(header(&h, "strict-transport-security"), "max-age=31536000");
}

async fn signed_in(app: &TestApp, cookie: &str) -> bool {
    let req = TestApp::browser("GET", "/", Some(cookie)).body(Body::empty()).unwrap();
    app.send(req).await.0 == StatusCode::OK
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> String {
    let (status, headers, body) = app.login(email, password).await;
    assert!(status.is_redirection(), "{status}: {}", String::from_utf8_lossy(&body));
    crate::helpers::session_cookie(&headers).unwrap()
}

#[tokio::test]
async fn changing_a_password_signs_out_the_other_sessions_and_a_reset_signs_out_all() {
    let app = TestApp::new().await;
    let email = "ana@example.com";
    accounts::create_account(
        &app.store,
        accounts::NewAccount { email, password: PASSWORD, role: "lead", teams: "search" },
    )
    .await
    .unwrap();
    let laptop = sign_in(&app, email, PASSWORD).await;
    let phone = sign_in(&app, email, PASSWORD).await;
    assert!(signed_in(&app, &laptop).await && signed_in(&app, &phone).await);
    // A wrong current password changes nothing.
    let (status, body) = app
        .server_fn(
            "/api/change_password",
            "current=wrong&password=a+new+secret+1&confirm=a+new+secret+1",
            Some(&laptop),
        )
        .await;
    assert!(status.is_server_error() || status.is_client_error(), "{status}");
    assert!(body.contains("current: is not your current password"), "{body}");
    let form = format!("current={}&password=a+new+secret+1&confirm=a+new+secret+1", PASSWORD.replace(' ', "+"));
    let (status, body) = app.server_fn("/api/change_password", &form, Some(&laptop)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(signed_in(&app, &laptop).await, "the session that changed it stays");
    assert!(!signed_in(&app, &phone).await, "every other session ends");
    assert!(matches!(
        accounts::sign_in(&app.store, email, PASSWORD, "", chrono::Utc::now()).await,
        Err(accounts::AccountError::BadCredentials)
    ));
    let tablet = sign_in(&app, email, "a new secret 1").await;

    // An admin's reset signs the person out everywhere.
    let admin = app.sign_in_as("admin").await;
    let id = app.store.find_user_by_email(email).await.unwrap().unwrap().id;
    let (status, body) =
        app.server_fn("/api/reset_password", &format!("id={id}&password=reset+by+admin+2"), Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!signed_in(&app, &laptop).await && !signed_in(&app, &tablet).await);
    sign_in(&app, email, "reset by admin 2").await;
    // A lead may not reset anyone; an admin resets their own only with the current one.
    let (status, _) =
        app.server_fn("/api/reset_password", &format!("id={id}&password=by+a+lead+333"), Some(&laptop)).await;
    assert!(status.is_client_error(), "{status}");
    let audit = app.store.list_audit(&domain::people::audit::Query { limit: 100, ..Default::default() }).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"user.password_change") && actions.contains(&"user.password_reset"), "{actions:?}");
    assert!(!format!("{audit:?}").contains("argon2"), "no hash in the audit log");
}

#[tokio::test]
async fn a_session_ends_after_its_absolute_lifetime_however_active() {
    let app = TestApp::with_config(|c| c.session_max = chrono::Duration::seconds(2)).await;
    let cookie = app.sign_in_as("viewer").await;
    // Active all along: a request every half second.
    for _ in 0..3 {
        assert!(signed_in(&app, &cookie).await);
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert!(!signed_in(&app, &cookie).await, "the session outlived its absolute lifetime");
}

#[tokio::test]
async fn a_setup_token_expires() {
    let app = TestApp::new().await;
    // A token printed 25 hours ago (only its hash is stored) no longer works.
    let old = "0123456789abcdef0123456789abcdef0123456789abcdef";
    let hash = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(old.as_bytes()))
    };
    app.store.create_setup_token(&hash, chrono::Utc::now() - chrono::Duration::hours(25)).await.unwrap();
    let err = accounts::redeem_setup_token(&app.store, old, "first@example.com", PASSWORD).await.unwrap_err();
    assert!(matches!(err, accounts::AccountError::BadSetupToken), "{err}");
    assert!(err.to_string().contains("it works for 24 hours"), "{err}");
    let fresh = accounts::issue_setup_token(&app.store).await.unwrap();
    let p = accounts::redeem_setup_token(&app.store, &fresh, "first@example.com", PASSWORD).await.unwrap();
    assert_eq!(p.email, "first@example.com");
}

#[tokio::test]
async fn readiness_says_what_is_wrong_without_the_databases_words() {
    let app = TestApp::new().await;
    let (status, v) = app.get("/readyz", None).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    // Break the store: the migrations table is gone.
    let url = app.state.config.database_url.clone();
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("drop table _sqlx_migrations").execute(&pool).await.unwrap();
    let (status, v) = app.get("/readyz", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    let reason = v["reason"].as_str().unwrap();
    assert_eq!(reason, "the database does not answer or is not migrated; the server log has the details");
    assert!(!v.to_string().contains("no such table"), "{v}");
}
