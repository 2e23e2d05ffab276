//! LLM call events as the ingest API receives them, and their validation.
//!
//! A body is parsed in two steps: the JSON itself (a syntax error rejects the
//! whole request) and then each event on its own, so that one bad event is
//! reported by index and field while the others are accepted.

use crate::attribution::tags::{check_value, TagKey, TagSet, MAX_TAGS};
use crate::pricing::money::Nanos;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use std::str::FromStr;

/// Longest event id accepted.
pub const MAX_ID_LEN: usize = 128;
/// The longest provider name accepted (`azure_ai`, `vertex_ai-anthropic_models`…).
pub const MAX_PROVIDER_LEN: usize = 64;
/// Most tokens one field may claim (10⁹): far above any real call, and
/// small enough that sums over billions of events cannot overflow.
pub const MAX_TOKENS: i64 = 1_000_000_000;
/// The largest cost one call may report: $100,000. Larger is surely a unit error.
pub const MAX_COST_USD: i64 = 100_000;
/// Earliest accepted timestamp year (inclusive) and latest (exclusive).
pub const YEARS: (i32, i32) = (2000, 2100);
/// Most events one request may carry.
pub const MAX_EVENTS_PER_REQUEST: usize = 5_000;

pub use super::usage::Usage;

/// One validated LLM call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The caller's idempotency key.
    pub id: String,
    pub timestamp: DateTime<Utc>,
    pub model: String,
    pub provider: Option<String>,
    pub usage: Usage,
    /// The cost the caller reported, if any.
    pub cost: Option<Nanos>,
    pub task_id: Option<String>,
    pub tags: TagSet,
    /// How the counts were read when the sender's convention differed from
    /// Bursar's (`openlit/input_excludes_cache`; see [`crate::ingest::conventions`]).
    #[serde(default)]
    pub usage_note: Option<String>,
}

pub use super::field_error::FieldError;

/// Why a whole request body was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("malformed JSON at line {line}, column {column}: {message}")]
    Malformed { line: usize, column: usize, message: String },
    #[error("body: must be a JSON object with an \"events\" array")]
    NotAnObject,
    #[error("events: required")]
    MissingEvents,
    #[error("events: must be an array")]
    EventsNotArray,
    #[error("events: must hold at least one event")]
    Empty,
    #[error("events: at most {max} events per request (got {got})")]
    TooMany { max: usize, got: usize },
    /// More JSON values than [`crate::ingest::request_size::MAX_VALUES_PER_REQUEST`]; counted before parsing.
    #[error("{0}")]
    TooBig(crate::ingest::request_size::TooBig),
}

/// An event that failed validation, with its id when one could be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    pub id: Option<String>,
    pub error: FieldError,
}

/// A parsed request: each event validated on its own, in request order.
pub type IngestBody = Vec<Result<Event, Invalid>>;

/// Parses a request body `{"events":[...]}`.
pub fn parse_body(bytes: &[u8]) -> Result<IngestBody, BodyError> {
    let limits = crate::ingest::request_size::Limits {
        max_values: crate::ingest::request_size::MAX_VALUES_PER_REQUEST,
        under: None,
    };
    crate::ingest::request_size::check_json(bytes, limits).map_err(BodyError::TooBig)?;
    let value: Value = serde_json::from_slice(bytes).map_err(|e| BodyError::Malformed {
        line: e.line(),
        column: e.column(),
        message: e.to_string().split(" at line ").next().unwrap_or("").to_string(),
    })?;
    let Value::Object(mut obj) = value else {
        return Err(BodyError::NotAnObject);
    };
    let events = match obj.remove("events") {
        None => return Err(BodyError::MissingEvents),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(BodyError::EventsNotArray),
    };
    if events.is_empty() {
        return Err(BodyError::Empty);
    }
    if events.len() > MAX_EVENTS_PER_REQUEST {
        return Err(BodyError::TooMany { max: MAX_EVENTS_PER_REQUEST, got: events.len() });
    }
    Ok(events
        .iter()
        .map(|v| match Sent::from_json(v) {
            Ok(sent) => sent.check(),
            Err(error) => Err(Invalid { id: None, error }),
        })
        .collect())
}

/// An event's fields as read from the wire, each either its value or why it
/// could not be read. The JSON reader ([`Sent::from_json`]) and the OTLP
/// reader (`crate::ingest::otlp::Span::to_event`) both produce one, so that
/// [`Sent::check`] holds every rule an event must meet, applied in one order
/// (id, timestamp, model, provider, usage, cost, task id, tags, usage note):
/// the first field that fails is the one reported.
#[derive(Clone, Debug, PartialEq)]
pub struct Sent {
    pub id: Result<String, FieldError>,
    /// The instant, and the text it was sent as (the messages quote it).
    pub timestamp: Result<(DateTime<Utc>, String), FieldError>,
    pub model: Result<String, FieldError>,
    pub provider: Result<Option<String>, FieldError>,
    /// Token counts, each already a non-negative count within [`MAX_TOKENS`].
    pub usage: Result<Usage, FieldError>,
    pub cost: Result<Option<Nanos>, FieldError>,
    pub task_id: Result<Option<String>, FieldError>,
    pub tags: Result<TagSet, FieldError>,
    pub usage_note: Result<Option<String>, FieldError>,
}

impl Sent {
    /// Reads one event object of `POST /api/v1/events`.
    ///
    /// Errors: `event` when the value is not an object (nothing else is read).
    pub fn from_json(v: &Value) -> Result<Sent, FieldError> {
        let Value::Object(o) = v else {
            return Err(FieldError::new("event", "must be a JSON object"));
        };
        let text = |field: &str| optional_str(o, field).map(|t| t.map(str::to_string));
        let usage = (|| {
            Ok(Usage {
                input_tokens: token_count("input_tokens", o.get("input_tokens"), true)?,
                output_tokens: token_count("output_tokens", o.get("output_tokens"), true)?,
                cache_read_tokens: token_count("cache_read_tokens", o.get("cache_read_tokens"), false)?,
                cache_write_tokens: token_count("cache_write_tokens", o.get("cache_write_tokens"), false)?,
                reasoning_tokens: token_count("reasoning_tokens", o.get("reasoning_tokens"), false)?,
            })
        })();
        Ok(Sent {
            id: required_str(o, "id").map(str::to_string),
            timestamp: required_str(o, "timestamp").and_then(|raw| timestamp(raw).map(|t| (t, raw.to_string()))),
            model: required_str(o, "model").map(str::to_string),
            provider: text("provider"),
            usage,
            cost: cost(o),
            task_id: text("task_id"),
            tags: tags(o),
            usage_note: text("usage_note"),
        })
    }

    /// Checks every rule, in field order; an invalid event keeps its id when it has one.
    pub fn check(self) -> Result<Event, Invalid> {
        let id = self.id.as_ref().ok().cloned();
        self.rules().map_err(|error| Invalid { id, error })
    }

    fn rules(self) -> Result<Event, FieldError> {
        let id = self.id?;
        let id_len = id.chars().count();
        if id_len == 0 || id_len > MAX_ID_LEN {
            return Err(FieldError::new("id", format!("must be 1-{MAX_ID_LEN} characters (got {id_len})")));
        }
        no_controls("id", &id)?;
        let (timestamp, ts_raw) = self.timestamp?;
        if !(YEARS.0..YEARS.1).contains(&chrono::Datelike::year(&timestamp)) {
            return Err(FieldError::new(
                "timestamp",
                format!("must be in the years {}-{} (got {ts_raw:?})", YEARS.0, YEARS.1 - 1),
            ));
        }
        let model = self.model?.trim().to_string();
        if model.is_empty() || model.len() > 256 {
            return Err(FieldError::new("model", "must be 1-256 characters"));
        }
        no_controls("model", &model)?;
        let provider = self.provider?.map(|p| p.trim().to_lowercase()).filter(|p| !p.is_empty());
        if let Some(p) = &provider {
            if p.chars().count() > MAX_PROVIDER_LEN {
                return Err(FieldError::new("provider", format!("must be at most {MAX_PROVIDER_LEN} characters")));
            }
            no_controls("provider", p)?;
        }
        let usage = self.usage?;
        if usage.cache_read_tokens > usage.input_tokens {
            return Err(FieldError::new(
                "cache_read_tokens",
                "must be ≤ input_tokens (input_tokens includes cached tokens)",
            ));
        }
        if usage.cache_read_tokens + usage.cache_write_tokens > usage.input_tokens {
            return Err(FieldError::new(
                "cache_write_tokens",
                "cache_read_tokens + cache_write_tokens must be ≤ input_tokens (input_tokens includes cached tokens)",
            ));
        }
        if usage.reasoning_tokens > usage.output_tokens {
            return Err(FieldError::new(
                "reasoning_tokens",
                "must be ≤ output_tokens (output_tokens includes reasoning)",
            ));
        }
        let cost = self.cost?;
        let task_id = self.task_id?;
        if let Some(t) = &task_id {
            if t.is_empty() || t.chars().count() > 256 {
                return Err(FieldError::new("task_id", "must be 1-256 characters"));
            }
            no_controls("task_id", t)?;
        }
        let tags = self.tags?;
        let usage_note = self.usage_note?;
        if let Some(n) = &usage_note {
            crate::ingest::conventions::UsageNote::check(n).map_err(|r| FieldError::new("usage_note", r))?;
        }
        Ok(Event { id, timestamp, model, provider, usage, cost, task_id, tags, usage_note })
    }
}

/// Validates one event object.
pub fn parse_event(v: &Value) -> Result<Event, FieldError> {
    Sent::from_json(v)?.rules()
}

/// Reads an RFC 3339 timestamp with a time zone.
pub(crate) fn timestamp(raw: &str) -> Result<DateTime<Utc>, FieldError> {
    DateTime::parse_from_rfc3339(raw).map(|t| t.with_timezone(&Utc)).map_err(|_| {
        FieldError::new(
            "timestamp",
            format!("must be RFC 3339 with a time zone, e.g. 2026-11-28T09:30:00Z (got {raw:?})"),
        )
    })
}

/// Refuses control characters (a newline, an escape, NUL…) in a text field,
/// as tag values already are: they would break log lines, CSV cells and
/// terminals that show the value.
fn no_controls(field: &str, v: &str) -> Result<(), FieldError> {
    match v.chars().find(|c| c.is_control()) {
        Some(c) => {
            Err(FieldError::new(field, format!("must not contain control characters (found U+{:04X})", c as u32)))
        }
        None => Ok(()),
    }
}

fn required_str<'a>(o: &'a Map<String, Value>, field: &str) -> Result<&'a str, FieldError> {
    match o.get(field) {
        None | Some(Value::Null) => Err(FieldError::new(field, "required")),
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(FieldError::new(field, format!("must be a string (got {})", kind(other)))),
    }
}

fn optional_str<'a>(o: &'a Map<String, Value>, field: &str) -> Result<Option<&'a str>, FieldError> {
    match o.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(FieldError::new(field, format!("must be a string (got {})", kind(other)))),
    }
}

/// A token count as sent (`None`: absent): a non-negative whole number up
/// to [`MAX_TOKENS`]; absent is 0 unless `required`.
pub(crate) fn token_count(field: &str, v: Option<&Value>, required: bool) -> Result<i64, FieldError> {
    let v = match v {
        None | Some(Value::Null) if required => return Err(FieldError::new(field, "required")),
        None | Some(Value::Null) => return Ok(0),
        Some(v) => v,
    };
    let n = match v {
        Value::Number(n) => n.as_i64(),
        _ => None,
    };
    match n {
        Some(n) => count_in_range(field, n),
        None => Err(FieldError::new(field, format!("must be a non-negative integer (got {})", show(v)))),
    }
}

/// A whole token count within `0..=MAX_TOKENS`.
pub(crate) fn count_in_range(field: &str, n: i64) -> Result<i64, FieldError> {
    match n {
        n if (0..=MAX_TOKENS).contains(&n) => Ok(n),
        n if n < 0 => Err(FieldError::new(field, format!("must be a non-negative integer (got {n})"))),
        _ => Err(FieldError::new(field, format!("must be at most {MAX_TOKENS}"))),
    }
}

fn cost(o: &Map<String, Value>) -> Result<Option<Nanos>, FieldError> {
    let raw = match o.get("cost") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s,
        Some(other) => {
            return Err(FieldError::new(
                "cost",
                format!("must be a decimal string in USD, e.g. \"0.0125\" (got {})", kind(other)),
            ))
        }
    };
    let d = Decimal::from_str(raw.trim()).ok().filter(|_| !raw.contains(['e', 'E'])).ok_or_else(|| {
        FieldError::new("cost", format!("must be a decimal string in USD, e.g. \"0.0125\" (got {raw:?})"))
    })?;
    if d.is_sign_negative() && !d.is_zero() {
        return Err(FieldError::new("cost", format!("must not be negative (got {raw:?})")));
    }
    if d > Decimal::from(MAX_COST_USD) {
        return Err(FieldError::new("cost", format!("must be at most {MAX_COST_USD} USD for one call (got {raw:?})")));
    }
    cost_currency(o)?;
    Nanos::from_usd(d).map(Some).map_err(|_| FieldError::new("cost", format!("is out of range (got {raw:?})")))
}

/// A caller's `cost_currency`: absent or `USD` (any case). Another currency
/// is refused, never taken as USD (LiteLLM #35829 books euros as dollars);
/// costs are recorded in USD until conversion by dated rates exists.
fn cost_currency(o: &Map<String, Value>) -> Result<(), FieldError> {
    let Some(raw) = optional_str(o, "cost_currency")? else { return Ok(()) };
    let reason = match crate::pricing::money::currency_code(raw).as_deref() {
        Some("USD") => return Ok(()),
        Some(code) => {
            format!("costs in {code} are not converted: send the cost in USD, or leave it out for the catalog's price")
        }
        None => format!("must be an ISO 4217 code such as USD (got {raw:?})"),
    };
    Err(FieldError::new("cost_currency", reason))
}

fn tags(o: &Map<String, Value>) -> Result<TagSet, FieldError> {
    let map = match o.get("tags") {
        None | Some(Value::Null) => return Ok(TagSet::new()),
        Some(Value::Object(m)) => m,
        Some(other) => {
            return Err(FieldError::new("tags", format!("must be an object of string values (got {})", kind(other))))
        }
    };
    tag_set(map.len(), map.iter().map(|(k, v)| (k.as_str(), v.as_str().ok_or(v))))
}

/// Checks `count` tags, each a key and its text (or, as `Err`, the JSON value
/// sent instead of text), into a tag set: at most [`MAX_TAGS`], each key a
/// valid tag key, each value valid text.
pub(crate) fn tag_set<'a>(
    count: usize,
    pairs: impl Iterator<Item = (&'a str, Result<&'a str, &'a Value>)>,
) -> Result<TagSet, FieldError> {
    if count > MAX_TAGS {
        return Err(FieldError::new("tags", format!("at most {MAX_TAGS} tags (got {count})")));
    }
    let mut set = TagSet::new();
    for (k, v) in pairs {
        let key = TagKey::parse(k).map_err(|r| FieldError::new(format!("tags.{k}"), format!("key {r}")))?;
        let s = v.map_err(|v| FieldError::new(format!("tags.{k}"), format!("must be a string (got {})", kind(v))))?;
        check_value(s).map_err(|r| FieldError::new(format!("tags.{k}"), r))?;
        set.insert(key, s.trim());
    }
    Ok(set)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("{s:?}"),
        other => kind(other).to_string(),
    }
}

#[cfg(test)]
mod tests;
