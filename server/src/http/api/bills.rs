//! `/api/v1/bills`: importing what providers billed (scope `admin`), the
//! import runs and mapping rules, and `GET /api/v1/reconcile` (scope
//! `read`): billed against attributed.

use super::auth::ApiKey;
use super::error::ApiError;
use super::params::{invalid, json_body, number};
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use catalog::invoice::{ImportAnswer, MAX_BILL_BYTES};
use domain::invoice::{BillSource, MappingRule, ReconcileQuery, Reconciliation};
use domain::FieldError;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Imports a bill file (the body) of `source` (`focus`, `openai` or
/// `anthropic`); answers with what was read.
pub async fn import_bill(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Query(params): Query<HashMap<String, String>>,
    body: Body,
) -> Result<Json<ImportAnswer>, ApiError> {
    let source = params.get("source").ok_or_else(|| invalid("source", "required: focus, openai or anthropic"))?;
    let source = BillSource::parse(source).map_err(ApiError::Invalid)?;
    let bytes =
        axum::body::to_bytes(body, MAX_BILL_BYTES).await.map_err(|_| ApiError::TooLarge { limit: MAX_BILL_BYTES })?;
    let actor = format!("key:{}", key.name);
    Ok(Json(state.invoices.import(source, &bytes, "upload", &actor).await?))
}

/// The latest import and connector runs, newest first (`limit`, 1-500, default 50).
pub async fn get_imports(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let limit = number(&params, "limit", 50, 500)?;
    let runs = state.invoices.runs(i64::from(limit)).await?;
    let runs: Vec<Value> = runs
        .into_iter()
        .map(|r| {
            json!({
                "id": r.id,
                "source": r.run.source,
                "trigger": r.run.trigger,
                "actor": r.run.actor,
                "started": r.run.started,
                "finished": r.run.finished,
                "ok": r.run.ok,
                "lines": r.run.lines,
                "first_day": r.run.first_day,
                "last_day": r.run.last_day,
                "detail": serde_json::from_str::<Value>(&r.run.detail).unwrap_or(Value::Null),
            })
        })
        .collect();
    Ok(Json(json!({ "imports": runs })))
}

/// Admins' mapping rules, in the order they apply.
pub async fn get_rules(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "rules": state.invoices.rules().await? })))
}

/// Adds a mapping rule: `{source?, pattern, provider?, model?, token_class?}`.
pub async fn add_rule(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    body: Bytes,
) -> Result<Json<MappingRule>, ApiError> {
    let v = json_body(&body)?;
    let rule: MappingRule =
        serde_json::from_value(v).map_err(|e| invalid("body", format!("is not a mapping rule: {e}")))?;
    Ok(Json(state.invoices.add_rule(&format!("key:{}", key.name), rule).await?))
}

/// Deletes a mapping rule.
pub async fn delete_rule(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id: i64 = id.parse().map_err(|_| invalid("id", format!("must be a rule's number (got {id:?})")))?;
    state.invoices.delete_rule(&format!("key:{}", key.name), id).await?;
    Ok(Json(json!({ "deleted": id })))
}

/// Billed against attributed: `from`, `to` (dates, inclusive; default this
/// month), `group_by` (`provider[,model][,day]`).
pub async fn get_reconcile(
    State(state): State<AppState>,
    params: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Reconciliation>, ApiError> {
    let Query(params) =
        params.map_err(|e| ApiError::Invalid(FieldError { field: "query".into(), reason: e.body_text() }))?;
    let q = ReconcileQuery::from_params(&params, chrono::Utc::now().date_naive()).map_err(ApiError::Invalid)?;
    Ok(Json(state.invoices.reconcile(&q).await?))
}

/// Every true-up choice: `{"true_ups": [{provider, month, mode}]}`.
pub async fn get_true_ups(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "true_ups": state.invoices.true_ups().await? })))
}

/// Sets how a provider-month's gap is shown:
/// `{"provider": "openai", "month": "2026-11", "mode": "allocated" | "uninstrumented" | null}`.
pub async fn put_true_up(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let v = json_body(&body)?;
    let provider =
        v.get("provider").and_then(Value::as_str).ok_or_else(|| invalid("provider", "required: a provider name"))?;
    let month = v.get("month").and_then(Value::as_str).ok_or_else(|| invalid("month", "required: YYYY-MM"))?;
    let month = domain::invoice::true_up::parse_month(month).map_err(ApiError::Invalid)?;
    let mode = match v.get("mode") {
        None | Some(Value::Null) => None,
        Some(Value::String(m)) => Some(domain::invoice::true_up::Mode::parse(m).map_err(ApiError::Invalid)?),
        Some(_) => return Err(invalid("mode", "must be uninstrumented, allocated or null")),
    };
    state.invoices.set_true_up(&format!("key:{}", key.name), provider, month, mode).await?;
    Ok(Json(json!({ "true_ups": state.invoices.true_ups().await? })))
}

/// This resource's routes (the scope each needs is in the endpoint table).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/bills/import", post(import_bill))
        .route("/api/v1/bills/imports", get(get_imports))
        .route("/api/v1/bills/rules", get(get_rules).post(add_rule))
        .route("/api/v1/bills/rules/{id}", delete(delete_rule))
        .route("/api/v1/bills/true-ups", get(get_true_ups).put(put_true_up))
        .route("/api/v1/reconcile", get(get_reconcile))
}
