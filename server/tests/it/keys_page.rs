//! The API keys page's functions: an admin creates a key (shown once), it
//! works, they revoke it, and within a second ingest with it gets 401.

use crate::helpers::{event, TestApp};
use axum::http::StatusCode;
use serde_json::json;

async fn call(app: &TestApp, cookie: &str, path: &str, form: &str) -> (StatusCode, String) {
    app.server_fn(path, form, Some(cookie)).await
}

#[tokio::test]
async fn an_admin_creates_and_revokes_a_key_and_it_stops_working_within_a_second() {
    let app = TestApp::new().await;
    let viewer = app.sign_in_as("viewer").await;
    let (status, _) = call(&app, &viewer, "/api/create_key", "name=x&ingest=on").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let admin = app.sign_in_as("admin").await;
    let (status, body) = call(&app, &admin, "/api/create_key", "name=&ingest=on").await;
    assert!(status.is_server_error() || status.is_client_error(), "{status}");
    assert!(body.contains("name: must be 1-80 characters"), "{body}");
    let (_, body) = call(&app, &admin, "/api/create_key", "name=nightly").await;
    assert!(body.contains("scopes: choose at least one"), "{body}");

    let (status, body) = call(&app, &admin, "/api/create_key", "name=nightly&ingest=on").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let secret: String = serde_json::from_str(&body).unwrap();
    let listed = app.store.list_api_keys().await.unwrap();
    let key = listed.iter().find(|k| k.name == "nightly").unwrap();
    assert!(secret.starts_with(&key.prefix));
    assert_eq!((key.scopes.clone(), key.created_by.ends_with("@example.com")), (vec!["ingest".to_string()], true));

    let (status, _) = app.post_raw(Some(&secret), json!({"events": [event("k1")]}).to_string()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(&app, &admin, "/api/revoke_key", &format!("id={}", key.id)).await;
    assert_eq!(status, StatusCode::OK);
    tokio::time::sleep(server::http::api::KEY_CACHE_TTL + std::time::Duration::from_millis(100)).await;
    let (status, body) = app.post_raw(Some(&secret), json!({"events": [event("k2")]}).to_string()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (_, body) = call(&app, &admin, "/api/revoke_key", &format!("id={}", key.id)).await;
    assert!(body.contains("already revoked"), "{body}");
}
