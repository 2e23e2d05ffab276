//! API-key authentication: `Authorization: Bearer <key>`, looked up by hash
//! on every request (so a revoked key stops working on every process at once),
//! then checked for the scope the route needs.

use super::ApiError;
use crate::keys::{grants, hash_key, Scope};
use crate::AppState;
use axum::http::{header, HeaderMap};
use chrono::{Duration, Utc};
use store::ApiKeyRecord;

/// How stale a key's "last used" may get before it is written again.
const TOUCH_EVERY: Duration = Duration::seconds(60);

/// Checks the request's key and that it grants `needed`.
pub async fn authorize(state: &AppState, headers: &HeaderMap, needed: Scope) -> Result<ApiKeyRecord, ApiError> {
    let raw = headers.get(header::AUTHORIZATION).ok_or_else(|| {
        ApiError::Unauthorized("missing Authorization header; send `Authorization: Bearer <key>`".into())
    })?;
    let text = raw
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| ApiError::Unauthorized("Authorization must be `Bearer <key>`".into()))?;
    let key = state
        .store
        .find_api_key(&hash_key(text))
        .await?
        .filter(|k| k.revoked.is_none())
        .ok_or_else(|| ApiError::Unauthorized("unknown or revoked API key".into()))?;
    if !grants(&key.scopes, needed) {
        return Err(ApiError::Forbidden(format!(
            "this key has scopes [{}]; this call needs {}",
            key.scopes.join(", "),
            needed.as_str()
        )));
    }
    let now = Utc::now();
    if key.last_used.is_none_or(|t| now - t > TOUCH_EVERY) {
        let (store, id) = (state.store.clone(), key.id.clone());
        tokio::spawn(async move {
            if let Err(e) = store.touch_api_key(&id, now).await {
                tracing::debug!(error = %e, "could not record key use");
            }
        });
    }
    Ok(key)
}
