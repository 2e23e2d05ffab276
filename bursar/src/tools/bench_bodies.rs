//! The bench's request bodies: calls of eight teams on eight models, each
//! with the tags a real caller sends, made in the last few minutes.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

const TEAMS: [&str; 8] = ["platform", "support", "search", "data", "growth", "security", "mobile", "finance"];
const MODELS: [(&str, &str); 8] = [
    ("gpt-4o", "openai"),
    ("gpt-4o-mini", "openai"),
    ("gpt-5", "openai"),
    ("claude-sonnet-4-5", "anthropic"),
    ("claude-haiku-4-5", "anthropic"),
    ("gemini-2.5-pro", "google"),
    ("gemini-2.5-flash", "google"),
    ("deepseek-chat", "deepseek"),
];

/// Request bodies for events `start..start + n`, made in the last `spread_secs` seconds.
pub(crate) fn bodies(start: usize, n: usize, batch: usize, spread_secs: i64) -> Vec<Vec<u8>> {
    let mut rng = StdRng::seed_from_u64(start as u64);
    let now = chrono::Utc::now();
    let mut out = Vec::new();
    let mut events = Vec::with_capacity(batch);
    for i in start..start + n {
        let team = TEAMS[rng.gen_range(0..TEAMS.len())];
        let wf = rng.gen_range(0..3);
        let (model, provider) = MODELS[rng.gen_range(0..MODELS.len())];
        let input: i64 = rng.gen_range(200..20_000);
        let at = now - chrono::Duration::seconds(rng.gen_range(0..spread_secs.max(1)));
        events.push(json!({
            "id": format!("bench-{i}"),
            "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "model": model, "provider": provider,
            "input_tokens": input, "cache_read_tokens": input / 3, "output_tokens": rng.gen_range(20..2_000),
            "task_id": format!("task-{}", i / 8),
            "tags": {"team": team, "workflow": format!("{team}-wf{wf}"), "user": format!("user{}", rng.gen_range(0..200)),
                     "product": format!("{team}-app"), "task_type": if wf == 0 { "agent" } else { "chat" }},
        }));
        if events.len() == batch {
            out.push(serde_json::to_vec(&json!({ "events": events })).unwrap_or_default());
            events.clear();
        }
    }
    if !events.is_empty() {
        out.push(serde_json::to_vec(&json!({ "events": events })).unwrap_or_default());
    }
    out
}
