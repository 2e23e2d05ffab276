//! API-key authentication: `Authorization: Bearer <key>`, looked up by hash
//! and checked for the scope the route needs. The scope comes from the
//! endpoint table (`app::api_catalog::ENDPOINTS`), once, in [`require_scope`],
//! a layer on every `/api/v1` route; handlers take the checked key with the
//! [`ApiKey`] extractor. A key found valid is trusted
//! for [`super::key_cache::KEY_CACHE_TTL`] without asking the database again, so a revoked key
//! stops working on every process within that second; hot paths such as the
//! pre-call check then cost no key lookup.

use super::error::ApiError;
use crate::keys::{grants, hash_key, Scope};
use crate::state::AppState;
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::{header, request::Parts, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use std::collections::HashMap;
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
    let hash = hash_key(text);
    let key = match state.api_keys.get(&hash) {
        Some(k) => k,
        None => {
            let k = state
                .store
                .find_api_key(&hash)
                .await?
                .filter(|k| k.revoked.is_none())
                .ok_or_else(|| ApiError::Unauthorized("unknown or revoked API key".into()))?;
            state.api_keys.put(hash.clone(), k.clone());
            k
        }
    };
    if !grants(&key.scopes, needed) {
        return Err(ApiError::Forbidden(format!(
            "this key has scopes [{}]; this call needs {}",
            key.scopes.join(", "),
            needed.as_str()
        )));
    }
    let now = Utc::now();
    if key.last_used.is_none_or(|t| now - t > TOUCH_EVERY) {
        // The cached copy learns of the use too, so the next requests do not write it again.
        state.api_keys.used(&hash, now);
        let (store, id) = (state.store.clone(), key.id.clone());
        tokio::spawn(async move {
            if let Err(e) = store.touch_api_key(&id, now).await {
                tracing::debug!(error = %e, "could not record key use");
            }
        });
    }
    Ok(key)
}

/// The scope the endpoint table gives `method path` (a route pattern such as
/// `/api/v1/budgets/{id}`): `Ok(None)` for an endpoint that takes no key,
/// `Err` for a route the table does not describe.
pub fn endpoint_scope(method: &Method, path: &str) -> Result<Option<Scope>, ApiError> {
    // HEAD is served by the GET route.
    let method = if method == Method::HEAD { &Method::GET } else { method };
    SCOPES
        .get(path)
        .and_then(|by_method| by_method.iter().find(|(m, _)| m == method))
        .map(|(_, scope)| scope.clone())
        .unwrap_or_else(|| Err(format!("{method} {path} is routed but not in the endpoint table")))
        .map_err(ApiError::Internal)
}

/// An endpoint's scope as the table gives it (`Err`: a scope name the table misspells).
type EndpointScope = Result<Option<Scope>, String>;

/// The endpoint table's scopes, by path, then method: read once, so a
/// request's check is a lookup, not a walk of the table.
static SCOPES: std::sync::LazyLock<HashMap<&'static str, Vec<(Method, EndpointScope)>>> =
    std::sync::LazyLock::new(|| {
        let mut by_path: HashMap<&'static str, Vec<_>> = HashMap::new();
        for e in app::api_catalog::ENDPOINTS.iter() {
            let method = Method::from_bytes(e.method.to_ascii_uppercase().as_bytes()).unwrap_or(Method::GET);
            by_path.entry(e.path).or_default().push((method, e.scope.map(Scope::parse).transpose()));
        }
        by_path
    });

/// Middleware on the scoped API routes: checks the request's key for the
/// scope its endpoint needs, from the endpoint table, and hands the key to
/// the handler (see [`ApiKey`]). A route missing from the table answers 500:
/// it cannot be served unchecked.
pub async fn require_scope(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let Some(path) = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()) else {
        return ApiError::Internal("the scope layer must be a route layer".into()).into_response();
    };
    match endpoint_scope(req.method(), &path) {
        Err(e) => e.into_response(),
        Ok(None) => next.run(req).await,
        Ok(Some(scope)) => match authorize(&state, req.headers(), scope).await {
            Ok(key) => {
                req.extensions_mut().insert(key);
                next.run(req).await
            }
            Err(e) => e.into_response(),
        },
    }
}

/// The request's API key, already checked by [`require_scope`] for the
/// endpoint's scope. Only for endpoints that need a key.
pub struct ApiKey(pub ApiKeyRecord);

impl<S: Send + Sync> FromRequestParts<S> for ApiKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .remove::<ApiKeyRecord>()
            .map(ApiKey)
            .ok_or_else(|| ApiError::Internal("this endpoint takes no key, so it has none to give".into()))
    }
}

/// For a handler that checks its own key (OTLP, whose errors have their own
/// shape): the key, checked for the scope the endpoint table gives `method path`.
pub async fn authorize_endpoint(
    state: &AppState,
    headers: &HeaderMap,
    method: &Method,
    path: &str,
) -> Result<ApiKeyRecord, ApiError> {
    let scope = endpoint_scope(method, path)?.ok_or_else(|| ApiError::Internal(format!("{path} takes no key")))?;
    authorize(state, headers, scope).await
}
