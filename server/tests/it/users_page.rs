//! The users page's functions: an admin adds a person, changes their role
//! and teams, and deactivates them, which signs them out at once.

use crate::helpers::{TestApp, PASSWORD};
use axum::http::StatusCode;

async fn call(app: &TestApp, cookie: &str, path: &str, form: &str) -> (StatusCode, String) {
    app.server_fn(path, form, Some(cookie)).await
}

#[tokio::test]
async fn an_admin_adds_changes_and_deactivates_people() {
    let app = TestApp::new().await;
    let viewer = app.sign_in_as("viewer").await;
    assert_eq!(call(&app, &viewer, "/api/users", "").await.0, StatusCode::FORBIDDEN);
    let admin = app.sign_in_as("admin").await;

    let form = format!("email=dara%40example.com&password={}&role=lead&teams=", PASSWORD.replace(' ', "+"));
    let (_, body) = call(&app, &admin, "/api/add_user", &form).await;
    assert!(body.contains("teams: a lead needs at least one team"), "{body}");
    let form = format!("email=dara%40example.com&password={}&role=lead&teams=platform", PASSWORD.replace(' ', "+"));
    assert_eq!(call(&app, &admin, "/api/add_user", &form).await.0, StatusCode::OK);
    let (_, body) = call(&app, &admin, "/api/add_user", &form).await;
    assert!(body.contains("already exists"), "{body}");

    let dara = app.store.find_user_by_email("dara@example.com").await.unwrap().unwrap();
    let (status, headers, _) = app.login("dara@example.com", PASSWORD).await;
    assert!(status.is_redirection());
    let dara_cookie = crate::helpers::session_cookie(&headers).unwrap();

    let change = format!("id={}&role=viewer&teams=platform&active=on", dara.id);
    assert_eq!(call(&app, &admin, "/api/change_user", &change).await.0, StatusCode::OK);
    let now = app.store.find_user(&dara.id).await.unwrap().unwrap();
    assert_eq!((now.role.as_str(), now.teams.len()), ("viewer", 0), "a viewer keeps no teams");

    // Deactivated: their session stops working on the next request.
    let change = format!("id={}&role=viewer&teams=", dara.id);
    assert_eq!(call(&app, &admin, "/api/change_user", &change).await.0, StatusCode::OK);
    assert_eq!(call(&app, &dara_cookie, "/api/overview", "period=30d").await.0, StatusCode::UNAUTHORIZED);
    let again = accounts::sign_in(&app.store, "dara@example.com", PASSWORD, "", chrono::Utc::now()).await;
    assert!(matches!(again, Err(accounts::AccountError::BadCredentials)), "a deactivated person cannot sign in");

    // An admin cannot lock themselves out.
    let me = app.store.list_users().await.unwrap().into_iter().find(|u| u.role == "admin").unwrap();
    let (_, body) = call(&app, &admin, "/api/change_user", &format!("id={}&role=viewer&teams=&active=on", me.id)).await;
    assert!(body.contains("cannot demote or deactivate yourself"), "{body}");
}
