//! `POST /api/v1/check` (scope `ingest`): may this call go ahead? Answers
//! from the hard caps' committed spend and live reservations, before the
//! caller spends more. With `"reserve": true`, the call's `id` and its
//! `estimated_cost`, an allowed call's estimate is held against every cap
//! it matches until the call with that id is ingested, or the hold expires
//! (`BURSAR_RESERVATION_TTL_SECS`, default 600).

use super::auth::ApiKey;
use super::error::ApiError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use budgets::caps::{BlockedBy, CheckRequest, Hold};
use domain::attribution::tags::{check_value, TagKey, TagSet};
use domain::{FieldError, Nanos};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use std::str::FromStr;

/// The answer: allowed, or the caps that refuse the call; with the hold
/// taken when the request reserved and the call is allowed (else `null`).
#[derive(Debug, Serialize)]
pub struct CheckAnswer {
    pub allowed: bool,
    pub blocked_by: Vec<BlockedBy>,
    pub reservation: Option<Hold>,
}

/// Checks a call against every hard cap it would count towards.
pub async fn post_check(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    body: Bytes,
) -> Result<Json<CheckAnswer>, ApiError> {
    let started = std::time::Instant::now();
    let mut req = parse(&body).map_err(ApiError::Invalid)?;
    // Tags as ingest will store them, so the check names the counters ingest writes.
    state.catalog_service.taxonomy().apply(&mut req.tags).map_err(ApiError::Invalid)?;
    // A key bound to tag values checks only calls it could write.
    if let Some(limits) = &key.tag_limits {
        limits.check(&req.tags).map_err(|e| ApiError::Forbidden(e.to_string()))?;
    }
    let checked = state.budgets.caps.check(&req, chrono::Utc::now()).await?;
    state.metrics.check_latency.observe(started.elapsed());
    Ok(Json(CheckAnswer {
        allowed: checked.blocked_by.is_empty(),
        blocked_by: checked.blocked_by,
        reservation: checked.hold,
    }))
}

/// The fields a check may carry.
const FIELDS: [&str; 6] = ["tags", "task_id", "model", "estimated_cost", "reserve", "id"];

/// Reads `{"tags":{…},"task_id":"…","model":"…","estimated_cost":"0.05"}`,
/// with `"reserve":true,"id":"<the call's id>"` to hold the estimate.
/// Errors name the field: a reservation needs `id` and a positive `estimated_cost`.
pub fn parse(body: &[u8]) -> Result<CheckRequest, FieldError> {
    let err = |f: &str, r: String| FieldError { field: f.into(), reason: r };
    let v: Value = serde_json::from_slice(body).map_err(|e| err("body", format!("is not valid JSON: {e}")))?;
    let obj = v.as_object().ok_or_else(|| err("body", "must be a JSON object".into()))?;
    if let Some(extra) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(err(extra, format!("is not a check field; send {}", FIELDS.join(", "))));
    }
    let mut tags = TagSet::new();
    match obj.get("tags") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let field = format!("tags.{k}");
                let key = TagKey::parse(k).map_err(|r| err(&field, r))?;
                let value = v.as_str().ok_or_else(|| err(&field, "must be a string".into()))?;
                check_value(value).map_err(|r| err(&field, r))?;
                // Trimmed as ingest trims it, so the check names the counter ingest wrote.
                tags.insert(key, value.trim());
            }
        }
        Some(_) => return Err(err("tags", "must be an object of tag values".into())),
    }
    let text = |f: &str| -> Result<Option<String>, FieldError> {
        match obj.get(f) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Err(err(f, "must not be empty".into())),
            Some(Value::String(s)) if s.len() > 256 => Err(err(f, "must be at most 256 characters".into())),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(err(f, "must be a string".into())),
        }
    };
    let estimated_cost = match obj.get("estimated_cost") {
        None | Some(Value::Null) => None,
        Some(v @ (Value::String(_) | Value::Number(_))) => {
            let raw = v.as_str().map(String::from).unwrap_or_else(|| v.to_string());
            let d = Decimal::from_str(raw.trim())
                .map_err(|_| err("estimated_cost", format!("must be a decimal amount of USD (got {raw:?})")))?;
            if d < Decimal::ZERO {
                return Err(err("estimated_cost", "must not be negative".into()));
            }
            Some(Nanos::from_usd(d).map_err(|_| err("estimated_cost", "is out of range".into()))?)
        }
        Some(_) => return Err(err("estimated_cost", "must be a decimal string such as \"0.05\"".into())),
    };
    let reserve = match obj.get("reserve") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::Bool(true)) => true,
        Some(_) => return Err(err("reserve", "must be true or false".into())),
    };
    let id = text("id")?;
    let reserve = match (reserve, id) {
        (false, None) => None,
        (false, Some(_)) => return Err(err("id", "is read only with \"reserve\": true".into())),
        (true, None) => {
            return Err(err("id", "is required to reserve: send the id the call will be ingested with".into()))
        }
        (true, Some(id)) => match estimated_cost {
            Some(c) if c.0 > 0 => Some(id),
            _ => return Err(err("estimated_cost", "is required to reserve, and must be above zero".into())),
        },
    };
    Ok(CheckRequest { tags, task_id: text("task_id")?, model: text("model")?, estimated_cost, reserve })
}

/// This resource's routes (the scope each needs is in the endpoint table).
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/check", post(post_check))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_checks_name_the_field() {
        let e = |s: &str| parse(s.as_bytes()).unwrap_err().field;
        assert_eq!(e("[]"), "body");
        assert_eq!(e(r#"{"tags":{"Team":"x"}}"#), "tags.Team");
        assert_eq!(e(r#"{"tags":{"team":3}}"#), "tags.team");
        assert_eq!(e(r#"{"estimated_cost":"-1"}"#), "estimated_cost");
        assert_eq!(e(r#"{"estimated_cost":true}"#), "estimated_cost");
        assert_eq!(e(r#"{"task_id":""}"#), "task_id");
        assert_eq!(e(r#"{"user":"x"}"#), "user");
        let ok = parse(br#"{"tags":{"team":"a"},"task_id":"t","model":"gpt-4o","estimated_cost":0.05}"#).unwrap();
        assert_eq!(ok.estimated_cost, Some(Nanos(50_000_000)));
        assert_eq!(e(r#"{"reserve":"yes"}"#), "reserve");
        assert_eq!(e(r#"{"reserve":true,"estimated_cost":"1"}"#), "id");
        assert_eq!(e(r#"{"reserve":true,"id":"c1"}"#), "estimated_cost");
        assert_eq!(e(r#"{"reserve":true,"id":"c1","estimated_cost":"0"}"#), "estimated_cost");
        assert_eq!(e(r#"{"id":"c1","estimated_cost":"1"}"#), "id");
        let held = parse(br#"{"reserve":true,"id":"c1","estimated_cost":"1.25"}"#).unwrap();
        assert_eq!((held.reserve.as_deref(), held.estimated_cost), (Some("c1"), Some(Nanos(1_250_000_000))));
        let padded = parse(br#"{"tags":{"user":"alice "}}"#).unwrap();
        assert_eq!(padded.tags.get("user"), Some("alice"));
    }
}
