//! A list of calls as Explore and the task view show them: one row per call,
//! the model with its provider, and input tokens marked where Bursar read the
//! sender's counts its own way.

use crate::components::format;
use chrono::{DateTime, Utc};
use domain::Nanos;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One call in the calls list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallRow {
    pub id: String,
    pub at: DateTime<Utc>,
    pub model: String,
    /// The provider the call went through (`bedrock`, `anthropic`, …).
    pub provider: Option<String>,
    pub input_tokens: i64,
    pub cached_tokens: i64,
    pub output_tokens: i64,
    pub cost: Option<Nanos>,
    pub task_id: Option<String>,
    pub tags: Vec<(String, String)>,
    /// How the counts were read when the sender's convention differed.
    pub usage_note: Option<String>,
}

/// The model cell of a call list: the model, its provider beside it.
pub fn model_cell(c: &CallRow) -> impl IntoView {
    let provider = c.provider.clone().map(|p| view! { <span class="subtle provider">{format!(" via {p}")}</span> });
    view! { <td>{c.model.clone()}{provider}</td> }
}

/// The input-tokens text, marked when Bursar read the sender's counts its own way.
pub fn input_text(c: &CallRow) -> (String, Option<String>) {
    let n = format::count(c.input_tokens);
    match &c.usage_note {
        Some(note) => (format!("{n}*"), Some(format!("Read as {note}: see README, Instrumentations"))),
        None => (n, None),
    }
}

/// A stored call as the lists show it.
#[cfg(feature = "ssr")]
pub fn call_row(e: store::StoredEvent) -> CallRow {
    let store::StoredEvent(domain::PricedEvent { event: e, cost, .. }) = e;
    CallRow {
        id: e.id,
        at: e.timestamp,
        model: e.model,
        provider: e.provider,
        input_tokens: e.usage.input_tokens,
        cached_tokens: e.usage.cache_read_tokens,
        output_tokens: e.usage.output_tokens,
        cost,
        task_id: e.task_id,
        tags: e.tags.0.iter().map(|(k, v)| (k.as_str().to_string(), v.clone())).collect(),
        usage_note: e.usage_note,
    }
}
