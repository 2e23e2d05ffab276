//! OpenTelemetry GenAI spans as Bursar events. The HTTP layer decodes OTLP
//! (protobuf or JSON) into [`Span`]s; this module decides which spans are
//! LLM calls and turns each into a typed ingest event, checked by the same
//! rules as `POST /api/v1/events` (`crate::ingest::event::Sent`), so bad token
//! counts are refused with the same words.
//!
//! Attribute names follow the OpenTelemetry GenAI semantic conventions, new
//! spellings first and the older ones as fallbacks:
//!
//! | event field | span attributes |
//! |---|---|
//! | model | `gen_ai.response.model`, else `gen_ai.request.model` |
//! | provider | `gen_ai.provider.name`, else `gen_ai.system` |
//! | input tokens | `gen_ai.usage.input_tokens`, else `gen_ai.usage.prompt_tokens` |
//! | output tokens | `gen_ai.usage.output_tokens`, else `gen_ai.usage.completion_tokens` |
//! | cache read | `gen_ai.usage.cache_read.input_tokens`, `gen_ai.usage.cache_read_input_tokens`, `gen_ai.usage.input_tokens.cached` |
//! | cache write | `gen_ai.usage.cache_creation.input_tokens`, `gen_ai.usage.cache_creation_input_tokens` |
//! | task id | the trace id, or a configured attribute (e.g. `gen_ai.conversation.id`) |
//! | id | trace id + span id, so an exporter's retry is counted once |
//!
//! Tags come from span and resource attributes: `service.name` → product,
//! `gen_ai.agent.name` or `gen_ai.workflow.name` → workflow, any
//! `bursar.<key>` → tag `<key>`, plus the mapping an admin configures.

use crate::ingest::event::{count_in_range, tag_set, token_count, Event, Invalid, Sent, Usage};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// An attribute value as OTLP carries it.
#[derive(Clone, Debug, PartialEq)]
pub enum AttrValue {
    Str(String),
    Int(i64),
    Double(f64),
    Bool(bool),
    /// Arrays, maps and bytes: never a field Bursar reads.
    Other,
}

impl AttrValue {
    fn as_text(&self) -> Option<String> {
        match self {
            AttrValue::Str(s) => Some(s.clone()),
            AttrValue::Int(i) => Some(i.to_string()),
            AttrValue::Bool(b) => Some(b.to_string()),
            AttrValue::Double(d) => Some(d.to_string()),
            AttrValue::Other => None,
        }
    }

    /// A whole number, as OTLP may carry one (an integer, an integral
    /// double, or decimal digits in a string); `None` for anything else.
    fn as_whole(&self) -> Option<i64> {
        match self {
            AttrValue::Int(i) => Some(*i),
            AttrValue::Double(d) if d.fract() == 0.0 && d.abs() < 9.0e15 => Some(*d as i64),
            AttrValue::Str(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        }
    }

    /// A token count as JSON: integers as they are; anything else is passed
    /// on as sent, so validation names the field and the value.
    fn as_count(&self) -> Value {
        match self {
            AttrValue::Int(i) => json!(i),
            AttrValue::Double(d) if d.fract() == 0.0 && d.abs() < 9.0e15 => json!(*d as i64),
            AttrValue::Double(d) => json!(d),
            AttrValue::Str(s) => match s.trim().parse::<i64>() {
                Ok(i) => json!(i),
                Err(_) => json!(s),
            },
            AttrValue::Bool(b) => json!(b),
            AttrValue::Other => json!("(not a number)"),
        }
    }
}

/// One span, decoded.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    /// Lower-case hex, as OTLP JSON spells it.
    pub trace_id: String,
    pub span_id: String,
    pub name: String,
    pub end_unix_nano: u64,
    pub attributes: Vec<(String, AttrValue)>,
    /// The resource's attributes (`service.name`, …), shared by every span
    /// of the resource rather than copied into each.
    pub resource: std::sync::Arc<[(String, AttrValue)]>,
}

/// Where tags and the task id come from, beyond the defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Mapping {
    /// Attribute → tag key (span attributes first, then resource ones).
    pub tags: Vec<(String, String)>,
    /// The attribute that names a task (`None`: the trace id).
    pub task_attribute: Option<String>,
}

impl Mapping {
    /// Reads `attribute => tag` lines (blank lines ignored), naming the bad line.
    pub fn parse(lines: &str, task_attribute: &str) -> Result<Mapping, crate::FieldError> {
        let mut tags = Vec::new();
        for (i, line) in lines.lines().map(str::trim).enumerate().filter(|(_, l)| !l.is_empty()) {
            let err = |r: String| crate::FieldError { field: format!("tags[{i}]"), reason: r };
            let (attr, key) = line.split_once("=>").ok_or_else(|| err(format!("{line:?} must be attribute => tag")))?;
            let attr = attr.trim();
            if attr.is_empty() || attr.len() > 256 {
                return Err(err(format!("{line:?} names no attribute")));
            }
            let key = crate::TagKey::parse(key.trim()).map_err(err)?;
            tags.push((attr.to_string(), key.as_str().to_string()));
        }
        let task = task_attribute.trim();
        Ok(Mapping { tags, task_attribute: (!task.is_empty()).then(|| task.to_string()) })
    }

    /// The tag lines as an admin writes them.
    pub fn lines(&self) -> String {
        self.tags.iter().map(|(a, k)| format!("{a} => {k}")).collect::<Vec<_>>().join("\n")
    }

    /// This mapping, then `fallback`'s entries for attributes it does not name.
    pub fn then(mut self, fallback: &Mapping) -> Mapping {
        for (a, k) in &fallback.tags {
            if !self.tags.iter().any(|(x, _)| x == a) {
                self.tags.push((a.clone(), k.clone()));
            }
        }
        if self.task_attribute.is_none() {
            self.task_attribute = fallback.task_attribute.clone();
        }
        self
    }
}

/// The span attributes read for one event field (see [`crate::ingest::conventions::FIELDS`]).
fn names(field: &str) -> &'static [&'static str] {
    crate::ingest::conventions::FIELDS.iter().find(|f| f.field == field).map(|f| f.attributes).unwrap_or(&[])
}

/// The token fields, in event order.
const COUNTS: [&str; 5] =
    ["input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens"];

/// Default tag sources: (attribute, tag key), span attributes before resource ones.
pub const DEFAULT_TAGS: [(&str, &str); 3] =
    [("service.name", "product"), ("gen_ai.agent.name", "workflow"), ("gen_ai.workflow.name", "workflow")];

impl Span {
    fn get(&self, name: &str) -> Option<&AttrValue> {
        self.attributes.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    fn first(&self, names: &[&str]) -> Option<&AttrValue> {
        names.iter().find_map(|n| self.get(n))
    }

    fn text(&self, names: &[&str]) -> Option<String> {
        self.first(names).and_then(AttrValue::as_text).filter(|s| !s.trim().is_empty())
    }

    /// Whether the span describes an LLM call: it names a model or carries token usage.
    pub fn is_genai(&self) -> bool {
        ["model", "input_tokens", "output_tokens"].iter().any(|f| self.first(names(f)).is_some())
    }

    /// The event id of this span's call. One LLM call can arrive as two spans:
    /// the Anthropic Python SDK traces its own calls, and an instrumentation
    /// library wrapping the same SDK adds a span of its own. Both carry the
    /// provider's response id (`gen_ai.response.id`, or the `id` of
    /// OpenInference's JSON `output.value`), which names the call once, so the
    /// second is stored as a duplicate. Without one, the trace and span ids.
    pub fn call_id(&self) -> String {
        let from_output = || {
            let json = self.text(&["output.mime_type"]).is_some_and(|m| m.contains("json"));
            let out = self.text(&["output.value"]).filter(|v| json && v.len() <= 1 << 20)?;
            serde_json::from_str::<Value>(&out).ok()?.get("id")?.as_str().map(str::to_string)
        };
        let response = self.text(&["gen_ai.response.id"]).or_else(from_output);
        match response.map(|r| r.trim().to_string()).filter(|r| !r.is_empty() && r.len() <= 100) {
            Some(r) => format!("otlp-response-{r}"),
            None => format!("otlp-{}-{}", self.trace_id, self.span_id),
        }
    }

    /// The instrumentation library that made this span.
    pub fn instrumentation(&self) -> &'static crate::ingest::conventions::Instrumentation {
        fn text(v: &AttrValue) -> Option<&str> {
            match v {
                AttrValue::Str(s) => Some(s.as_str()),
                _ => None,
            }
        }
        crate::ingest::conventions::identify(
            self.attributes.iter().chain(self.resource.iter()).map(|(k, v)| (k.as_str(), text(v))),
        )
    }

    /// The ingest event for a GenAI span (`None` for any other span), checked
    /// by the same rules as `POST /api/v1/events` ([`Sent::check`]), so a bad
    /// token count is refused with the same words, naming the field.
    pub fn to_event(&self, mapping: &Mapping) -> Option<Result<Event, Invalid>> {
        if !self.is_genai() {
            return None;
        }
        Some(self.sent(mapping).check())
    }

    /// The span's call as sent: typed fields, each its value or why it cannot be read.
    fn sent(&self, mapping: &Mapping) -> Sent {
        let secs = (self.end_unix_nano / 1_000_000_000) as i64;
        let nanos = (self.end_unix_nano % 1_000_000_000) as u32;
        let timestamp = match chrono::DateTime::from_timestamp(secs, nanos) {
            Some(t) => Ok((t, t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))),
            None => crate::ingest::event::timestamp("").map(|t| (t, String::new())),
        };
        // A span without a model still goes to validation, which names the missing field.
        let model = self.text(names("model"));
        let provider = self.text(names("provider"));
        let attrs: Vec<Option<&AttrValue>> = COUNTS.iter().map(|f| self.first(names(f))).collect();
        // Whole non-negative counts (absent: 0); only a span with another value is read as JSON, for the message.
        let ints: Option<Vec<i64>> =
            attrs.iter().map(|a| a.map_or(Some(0), |v| v.as_whole().filter(|n| *n >= 0))).collect();
        let (usage, note) = match ints {
            // Well-formed counts are read by the library's convention, losing no token.
            Some(n) => {
                let raw = Usage {
                    input_tokens: n[0],
                    output_tokens: n[1],
                    cache_read_tokens: n[2],
                    cache_write_tokens: n[3],
                    reasoning_tokens: n[4],
                };
                let anthropic =
                    crate::ingest::conventions::anthropic_style(provider.as_deref(), model.as_deref().unwrap_or(""));
                let (u, note) = crate::ingest::conventions::normalise(self.instrumentation(), anthropic, raw);
                let values =
                    [u.input_tokens, u.output_tokens, u.cache_read_tokens, u.cache_write_tokens, u.reasoning_tokens];
                // Normalising adds counts, so the sums meet the same bound as counts sent.
                let checked = COUNTS.iter().zip(values).try_for_each(|(f, v)| count_in_range(f, v).map(drop));
                (checked.map(|()| u), note)
            }
            // Anything else is refused by the rule for counts, naming the field and the value.
            None => {
                let read =
                    |i: usize| token_count(COUNTS[i], Some(&attrs[i].map_or(json!(0), AttrValue::as_count)), false);
                let usage = (|| {
                    Ok(Usage {
                        input_tokens: read(0)?,
                        output_tokens: read(1)?,
                        cache_read_tokens: read(2)?,
                        cache_write_tokens: read(3)?,
                        reasoning_tokens: read(4)?,
                    })
                })();
                (usage, None)
            }
        };
        let task = match &mapping.task_attribute {
            Some(a) => self.text(&[a.as_str()]).unwrap_or_else(|| self.trace_id.clone()),
            None => self.trace_id.clone(),
        };
        let tags = self.tags(mapping);
        Sent {
            id: Ok(self.call_id()),
            timestamp,
            model: model.ok_or_else(|| crate::FieldError { field: "model".into(), reason: "required".into() }),
            provider: Ok(provider),
            usage,
            cost: Ok(None),
            task_id: Ok(Some(task)),
            tags: tag_set(tags.len(), tags.iter().map(|(k, v)| (k.as_str(), Ok(v.as_str())))),
            usage_note: Ok(note),
        }
    }

    /// The span's tags, by key: the configured mapping, then the defaults,
    /// then any `bursar.<key>` attribute (which wins over both).
    fn tags(&self, mapping: &Mapping) -> BTreeMap<String, String> {
        let mut tags = BTreeMap::new();
        let lookup = |name: &str| -> Option<String> {
            self.get(name)
                .or_else(|| self.resource.iter().find(|(k, _)| k == name).map(|(_, v)| v))
                .and_then(AttrValue::as_text)
                .filter(|s| !s.trim().is_empty())
        };
        // Configured mappings win over the defaults; `bursar.<key>` wins over both.
        let pairs = mapping.tags.iter().map(|(a, k)| (a.as_str(), k.as_str())).chain(DEFAULT_TAGS.iter().copied());
        for (attr, key) in pairs {
            if tags.contains_key(key) {
                continue;
            }
            if let Some(v) = lookup(attr) {
                tags.insert(key.to_string(), v);
            }
        }
        for (k, v) in self.resource.iter().chain(self.attributes.iter()) {
            if let (Some(key), Some(value)) = (k.strip_prefix("bursar."), v.as_text()) {
                if !key.is_empty() {
                    tags.insert(key.to_string(), value);
                }
            }
        }
        tags
    }
}

#[cfg(test)]
mod tests;
