//! Who may do what: the authorisation matrix over pages and server
//! functions, sign-in throttling, sign-out, and cross-site request refusal.

use crate::helpers::{session_cookie, TestApp, PASSWORD};
use crate::matrix::{call, matrix, PAGES};
use axum::body::Body;
use axum::http::StatusCode;

async fn overview_fn(app: &TestApp, cookie: Option<&str>) -> StatusCode {
    call(app, "/api/overview", "period=30d", cookie).await
}

#[tokio::test]
async fn authorisation_matrix_on_sqlite() {
    matrix(&TestApp::new().await).await;
}

#[tokio::test]
async fn anonymous_visitors_see_only_the_sign_in_page() {
    let app = TestApp::new().await;
    for page in PAGES {
        let (status, headers, _) = app.send(TestApp::browser("GET", page, None).body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        let location = headers.get("location").unwrap().to_str().unwrap();
        assert!(location.starts_with("/login?next=/"), "{page} → {location}");
    }
    let (status, _, body) = app.send(TestApp::browser("GET", "/login", None).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8(body).unwrap().contains("Sign in"));
    assert_eq!(overview_fn(&app, None).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn wrong_passwords_are_refused_then_throttled() {
    let app = TestApp::new().await;
    let cookie = app.sign_in_as("viewer").await;
    assert!(cookie.starts_with("bursar_session="));
    let email = "target@example.com";
    accounts::create_account(&app.store, accounts::NewAccount { email, password: PASSWORD, role: "viewer", teams: "" })
        .await
        .unwrap();
    for _ in 0..5 {
        let (_, headers, _) = app.login(email, "not the password").await;
        // Whatever cookie a failed attempt leaves, it signs no one in.
        if let Some(cookie) = session_cookie(&headers) {
            let req = TestApp::browser("GET", "/", Some(&cookie)).body(Body::empty()).unwrap();
            assert_eq!(app.send(req).await.0, StatusCode::SEE_OTHER);
        }
    }
    // The right password is refused too until the window passes.
    let failures =
        app.store.count_login_failures(email, chrono::Utc::now() - chrono::Duration::minutes(15)).await.unwrap();
    assert_eq!(failures, 5);
    let result = accounts::sign_in(&app.store, email, PASSWORD, "", chrono::Utc::now()).await;
    assert!(matches!(result, Err(accounts::AccountError::Throttled)), "{result:?}");
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let app = TestApp::new().await;
    let cookie = app.sign_in_as("viewer").await;
    let req = TestApp::browser("POST", "/api/logout", Some(&cookie))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html")
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = app.send(req).await;
    assert!(status.is_redirection(), "{status}");
    assert_eq!(headers.get("location").unwrap(), "/login");
    let (status, _, _) = app.send(TestApp::browser("GET", "/", Some(&cookie)).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the old cookie no longer signs anyone in");
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let app = TestApp::new().await;
    let cookie = app.sign_in_as("admin").await;
    for origin in [None, Some("https://evil.example")] {
        let mut req = axum::http::Request::post("/api/overview")
            .header("host", "localhost")
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        let (status, _, _) = app.send(req.body(Body::from("period=30d")).unwrap()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "origin {origin:?}");
    }
}

#[tokio::test]
async fn session_cookies_are_http_only_and_lax() {
    let app = TestApp::new().await;
    let email = "c@example.com";
    accounts::create_account(&app.store, accounts::NewAccount { email, password: PASSWORD, role: "viewer", teams: "" })
        .await
        .unwrap();
    let (_, headers, _) = app.login(email, PASSWORD).await;
    let set = headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect::<Vec<_>>();
    let session = set.iter().find(|c| c.starts_with("bursar_session=")).expect("session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");
    assert!(!session.contains("Secure"), "plain http in tests: {session}");
}
