//! `/api/v1/webhooks/test`: posts a sample alert to a URL at once (scope `admin`).

use super::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use domain::FieldError;

/// What `POST /api/v1/webhooks/test` takes.
#[derive(serde::Deserialize)]
pub struct TestWebhook {
    pub url: String,
}

/// Posts a sample alert to `url` at once and answers how it went:
/// `{"delivered": bool, "status": 200|null, "error": "…"|null, "duration_ms"}`.
/// A URL that is not http(s) is a 400 naming `url`.
pub async fn test_webhook(
    State(state): State<AppState>,
    body: Result<Json<TestWebhook>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body.map_err(|e| ApiError::Invalid(FieldError { field: "body".into(), reason: e.body_text() }))?;
    let link = crate::jobs::alerts::history_link(&state);
    let out = state
        .webhooks
        .send_test(&body.url, link.as_deref())
        .await
        .map_err(|reason| ApiError::Invalid(FieldError { field: "url".into(), reason }))?;
    Ok(Json(serde_json::json!({
        "delivered": out.error.is_none(),
        "status": out.status,
        "error": out.error,
        "duration_ms": out.duration_ms,
    })))
}

/// This resource's routes (the scope each needs is in the endpoint table).
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/webhooks/test", post(test_webhook))
}
