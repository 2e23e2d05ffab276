//! The authorisation matrix: every page and server function for anonymous,
//! viewer, lead and admin. Shared by the SQLite run (in the `it` binary) and
//! the Postgres run (in its own binary, `pg_matrix`).

use crate::helpers::TestApp;
use axum::body::Body;
use axum::http::StatusCode;

pub const PAGES: [&str; 13] = [
    "/",
    "/developers",
    "/focus.csv?from=2026-11-01&to=2026-11-02",
    "/signals?key=workflow&days=30",
    "/model",
    "/budgets",
    "/alerts?status=open",
    "/?period=last-month",
    "/explore?period=90d&by=workflow",
    "/untagged",
    "/tasks/t-1",
    "/explore.csv?by=team",
    "/no/such/page",
];
/// Every server function with a body that is valid for it.
pub const SERVER_FNS: [(&str, &str); 10] = [
    ("/api/signals", "key=workflow&days=30"),
    ("/api/modeller", ""),
    ("/api/workflow_actual", "workflow=bug-triage&days=7"),
    ("/api/overview", "period=30d"),
    ("/api/budgets", ""),
    ("/api/alerts", "status=open&kind=&budget="),
    ("/api/explore", "query=by%3Dteam"),
    ("/api/untagged", "period=7d"),
    ("/api/task", "id=t-1"),
    ("/api/me", ""),
];
pub const ROLES: [&str; 3] = ["viewer", "lead", "admin"];
/// Pages and server functions for leads and admins only: a viewer is refused.
pub const LEAD_PAGES: [&str; 1] = ["/budgets/new"];
pub const LEAD_FNS: [(&str, &str); 1] = [("/api/budget_form", "")];
/// Server functions for admins only.
pub const ADMIN_FNS: [(&str, &str); 7] = [
    ("/api/otlp_mapping", ""),
    ("/api/keys", ""),
    ("/api/users", ""),
    ("/api/taxonomy", ""),
    ("/api/prices", ""),
    ("/api/audit", "actor=&kind=&target=&from=&to="),
    ("/api/reprice_jobs", ""),
];

pub async fn call(app: &TestApp, path: &str, body: &str, cookie: Option<&str>) -> StatusCode {
    app.server_fn(path, body, cookie).await.0
}

/// The matrix: every page and server function for anonymous, viewer, lead and admin.
pub async fn matrix(app: &TestApp) {
    for page in PAGES {
        let (status, headers, _) = app.send(TestApp::browser("GET", page, None).body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "anonymous {page}");
        assert!(headers.get("location").unwrap().to_str().unwrap().starts_with("/login?next="), "anonymous {page}");
    }
    for (path, body) in SERVER_FNS {
        assert_eq!(call(app, path, body, None).await, StatusCode::UNAUTHORIZED, "anonymous {path}");
    }
    for role in ROLES {
        let cookie = app.sign_in_as(role).await;
        for page in PAGES {
            let req = TestApp::browser("GET", page, Some(&cookie)).body(Body::empty()).unwrap();
            let want = if page == "/no/such/page" { StatusCode::NOT_FOUND } else { StatusCode::OK };
            assert_eq!(app.send(req).await.0, want, "{role} {page}");
        }
        for (path, body) in SERVER_FNS {
            assert_eq!(call(app, path, body, Some(&cookie)).await, StatusCode::OK, "{role} {path}");
        }
        let lead_or_admin = if role == "viewer" { StatusCode::FORBIDDEN } else { StatusCode::OK };
        // A page may stream before its data is read, so its status carries the refusal only
        // sometimes (200 or 403); its text always does.
        for page in LEAD_PAGES {
            let req = TestApp::browser("GET", page, Some(&cookie)).body(Body::empty()).unwrap();
            let (status, _, body) = app.send(req).await;
            let body = String::from_utf8_lossy(&body);
            let want = if role == "viewer" { "Your role does not allow this." } else { "Save budget" };
            let status_ok = status == StatusCode::OK || (role == "viewer" && status == StatusCode::FORBIDDEN);
            assert!(status_ok && body.contains(want), "{role} {page}: {status}, no {want:?}");
        }
        for (path, body) in LEAD_FNS {
            assert_eq!(call(app, path, body, Some(&cookie)).await, lead_or_admin, "{role} {path}");
        }
        let admin_only = if role == "admin" { StatusCode::OK } else { StatusCode::FORBIDDEN };
        for (path, body) in ADMIN_FNS {
            assert_eq!(call(app, path, body, Some(&cookie)).await, admin_only, "{role} {path}");
        }
    }
}
