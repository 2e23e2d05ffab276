//! `/api/openapi.json` against the real router: every described endpoint
//! is routed with its method (routes are built from the same table, and this
//! checks that each one answers rather than falling through to 404 or 405),
//! and the document lists them all.

use crate::helpers::TestApp;
use app::api_catalog::ENDPOINTS;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};

#[tokio::test]
async fn every_described_endpoint_is_routed_and_documented() {
    let app = TestApp::new().await;
    for e in ENDPOINTS.iter() {
        let path = e.path.replace("{id}", "x").replace("{model}", "gpt-4o");
        let method = Method::from_bytes(e.method.to_uppercase().as_bytes()).unwrap();
        let req = Request::builder().method(method).uri(&path).header("content-type", "application/json");
        let (status, _, body) = app.send(req.body(Body::empty()).unwrap()).await;
        let text = String::from_utf8_lossy(&body);
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{} {path} is not routed for its method", e.method);
        assert!(!text.contains("no such API route"), "{} {path} falls through to the API's 404", e.method);
        if e.scope.is_some() && e.path.starts_with("/api/v1/") {
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{} {path} must want a key", e.method);
        }
    }
    let (status, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    let described: usize = doc["paths"].as_object().unwrap().values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(described, ENDPOINTS.len());
    assert_eq!(doc["paths"]["/api/otlp/v1/traces"]["post"]["security"][0]["bearer"][0], "ingest");
    // An undescribed route is not routed.
    let (status, _) = app.get("/api/v1/not-described", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
