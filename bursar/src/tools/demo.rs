//! The demo organisation: 90 days of realistic LLM traffic for seven teams
//! and thirteen workflows, with agent loops, cache hits, escalation to
//! expensive models, growth, weekends, a few untagged calls, an unpriced
//! fine-tune, and one runaway agent loop. Every event is sent through the
//! same parse-price-store path as the ingest API. Event ids are derived from
//! the date, workflow and position, so loading again on the same day with the
//! same options adds nothing.

use crate::tools::demo_agents::Sent;
use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use server::AppState;

struct Workflow {
    name: &'static str,
    team: &'static str,
    product: &'static str,
    task_type: &'static str,
    tasks_per_day: f64,
    /// Mean calls per task (1.0 for single-shot work).
    loop_mean: f64,
    loop_max: u32,
    routine: &'static str,
    escalation: &'static str,
    escalation_rate: f64,
    system_tokens: i64,
    turn_tokens: i64,
    /// Context carried into each next turn.
    growth: i64,
    output_tokens: i64,
    cache_hit: f64,
}

/// Builds a workflow from (name, team, product, task type), (tasks a day,
/// mean loops, max loops), (routine model, escalation model, escalation
/// rate), (system, per-turn, carried-over and output tokens) and cache hit rate.
const fn wf(
    labels: (&'static str, &'static str, &'static str, &'static str),
    volume: (f64, f64, u32),
    models: (&'static str, &'static str, f64),
    tokens: (i64, i64, i64, i64),
    cache_hit: f64,
) -> Workflow {
    Workflow {
        name: labels.0,
        team: labels.1,
        product: labels.2,
        task_type: labels.3,
        tasks_per_day: volume.0,
        loop_mean: volume.1,
        loop_max: volume.2,
        routine: models.0,
        escalation: models.1,
        escalation_rate: models.2,
        system_tokens: tokens.0,
        turn_tokens: tokens.1,
        growth: tokens.2,
        output_tokens: tokens.3,
        cache_hit,
    }
}

const WORKFLOWS: [Workflow; 13] = [
    wf(
        ("bug-triage", "platform", "dev-tools", "agent"),
        (30.0, 9.0, 40),
        ("claude-sonnet-4-5", "claude-opus-4-1", 0.08),
        (14_000, 3_000, 9_000, 900),
        0.7,
    ),
    wf(
        ("code-review", "platform", "dev-tools", "agent"),
        (40.0, 5.0, 20),
        ("gpt-5-mini", "gpt-5", 0.15),
        (9_000, 6_000, 5_000, 1_200),
        0.5,
    ),
    wf(
        ("test-gen", "platform", "dev-tools", "agent"),
        (20.0, 7.0, 25),
        ("claude-sonnet-4-5", "claude-opus-4-1", 0.05),
        (12_000, 4_000, 7_000, 2_000),
        0.6,
    ),
    wf(
        ("support-chat", "support", "support-bot", "chat"),
        (250.0, 2.5, 12),
        ("gpt-4o-mini", "gpt-4o", 0.10),
        (3_500, 400, 900, 350),
        0.55,
    ),
    wf(
        ("ticket-summary", "support", "support-bot", "summarize"),
        (150.0, 1.0, 1),
        ("gpt-4.1-mini", "gpt-4.1-mini", 0.0),
        (800, 2_500, 0, 300),
        0.3,
    ),
    wf(
        ("refund-agent", "support", "support-bot", "agent"),
        (25.0, 6.0, 20),
        ("gpt-4o", "o3", 0.10),
        (8_000, 1_200, 4_000, 600),
        0.5,
    ),
    wf(
        ("semantic-rerank", "search", "search", "rerank"),
        (300.0, 1.0, 1),
        ("gemini-2.5-flash-lite", "gemini-2.5-flash-lite", 0.0),
        (500, 3_000, 0, 50),
        0.2,
    ),
    wf(
        ("query-rewrite", "search", "search", "rewrite"),
        (200.0, 1.0, 1),
        ("gemini-2.5-flash", "gemini-2.5-pro", 0.03),
        (900, 150, 0, 80),
        0.6,
    ),
    wf(
        ("sql-copilot", "data", "analytics", "agent"),
        (30.0, 6.0, 25),
        ("gemini-2.5-pro", "claude-sonnet-4-5", 0.10),
        (16_000, 2_000, 6_000, 900),
        0.5,
    ),
    wf(
        ("dashboard-narratives", "data", "analytics", "summarize"),
        (60.0, 1.0, 1),
        ("deepseek-chat", "deepseek-chat", 0.0),
        (1_200, 4_000, 0, 600),
        0.4,
    ),
    wf(
        ("onboarding-email", "growth", "lifecycle", "generate"),
        (50.0, 1.0, 1),
        ("ft:gpt-4.1-mini:acme:onboarding-v3", "gpt-4.1", 0.05),
        (600, 400, 0, 350),
        0.0,
    ),
    wf(
        ("threat-explain", "security", "secops", "agent"),
        (12.0, 8.0, 30),
        ("claude-haiku-4-5", "claude-sonnet-4-5", 0.20),
        (10_000, 3_000, 5_000, 800),
        0.6,
    ),
    wf(
        ("release-notes", "mobile", "mobile-app", "generate"),
        (5.0, 1.0, 1),
        ("gpt-5", "gpt-5", 0.0),
        (2_000, 6_000, 0, 1_500),
        0.2,
    ),
];

const USERS: [(&str, &[&str]); 7] = [
    ("platform", &["ana.silva", "ben.okafor", "chen.wei", "dara.kim", "eli.novak"]),
    ("support", &["fatima.haddad", "gus.berg", "hana.sato", "ivan.petrov", "jo.malik", "kai.lund"]),
    ("search", &["lena.roth", "mo.ali", "nina.costa"]),
    ("data", &["omar.diaz", "pia.meyer", "quinn.obi"]),
    ("growth", &["rosa.lima", "sam.fox"]),
    ("security", &["tara.ng", "uma.rao"]),
    ("mobile", &["vic.hale", "wen.zhou"]),
];

fn users(team: &str) -> &'static [&'static str] {
    USERS.iter().find(|(t, _)| *t == team).map(|(_, u)| *u).unwrap_or(&["someone"])
}

fn provider(model: &str) -> &'static str {
    match model {
        m if m.starts_with("claude") => "anthropic",
        m if m.starts_with("gemini") => "google",
        m if m.starts_with("deepseek") => "deepseek",
        _ => "openai",
    }
}

/// Business-hours weighted second of the day.
fn second_of_day(rng: &mut StdRng) -> i64 {
    let hour = loop {
        let h = rng.gen_range(0..24);
        let w = if (8..19).contains(&h) { 1.0 } else { 0.25 };
        if rng.gen_bool(w) {
            break h;
        }
    };
    hour * 3600 + rng.gen_range(0..3600)
}

fn event(
    id: String,
    at: chrono::DateTime<Utc>,
    model: &str,
    usage: (i64, i64, i64, i64, i64),
    task: &str,
    tags: Value,
) -> Value {
    let (input, output, cache_read, cache_write, reasoning) = usage;
    json!({
        "id": id,
        "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "model": model,
        "provider": provider(model),
        "input_tokens": input,
        "output_tokens": output,
        "cache_read_tokens": cache_read,
        "cache_write_tokens": cache_write,
        "reasoning_tokens": reasoning,
        "task_id": task,
        "tags": tags,
    })
}

/// The workflow name a task reports: an old support client spells
/// support-chat its own ways, which the taxonomy page shows and an alias fixes.
fn legacy_spelling(name: &'static str, task: u32) -> &'static str {
    match (name, task % 17) {
        ("support-chat", 3) => "Support-Chat",
        ("support-chat", 9) => "support_chat",
        _ => name,
    }
}

/// Every event of one workflow on one day.
fn day_events(w: &Workflow, wi: usize, date: NaiveDate, days_ago: i64, days: i64, seed: u64, scale: f64) -> Vec<Value> {
    let mut rng =
        StdRng::seed_from_u64(seed ^ (date.num_days_from_ce() as u64).wrapping_mul(0x9E37_79B9) ^ (wi as u64) << 48);
    let progress = 1.0 - days_ago as f64 / days.max(1) as f64;
    let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
    let volume = w.tasks_per_day * scale * (0.7 + 0.6 * progress) * if weekend { 0.45 } else { 1.0 };
    let tasks = (volume * rng.gen_range(0.85..1.15)).round() as u32;
    // Early warnings to find later: bug-triage escalates more in the last three
    // weeks, and its cache stops hitting in the last week.
    let drift = w.name == "bug-triage";
    let esc_rate = if drift && days_ago < 21 { 0.28 } else { w.escalation_rate };
    let cache_hit = if drift && days_ago < 7 { 0.2 } else { w.cache_hit };
    let midnight = Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default());
    let project = format!("{}-{}", w.product, if rng.gen_bool(0.5) { "core" } else { "next" });
    let mut out = Vec::new();
    for t in 0..tasks {
        let calls = if w.loop_max <= 1 {
            1
        } else {
            let u: f64 = rng.gen_range(0.0..1.0);
            ((-w.loop_mean * (1.0 - u).ln()).ceil() as u32).clamp(1, w.loop_max)
        };
        let task = format!("{}-{}-{t:04}", w.name, date.format("%Y%m%d"));
        let user = users(w.team)[rng.gen_range(0..users(w.team).len())];
        let tags = match rng.gen_range(0..100) {
            0..=2 => json!({}),
            3..=4 => json!({"workflow": w.name, "user": user}),
            _ => json!({"team": w.team, "product": w.product, "workflow": legacy_spelling(w.name, t), "user": user,
                        "project": project, "task_type": w.task_type}),
        };
        let mut at = midnight + Duration::seconds(second_of_day(&mut rng));
        for c in 0..calls {
            let model = if rng.gen_bool(esc_rate) { w.escalation } else { w.routine };
            let input = w.system_tokens + w.turn_tokens + w.growth * i64::from(c);
            let cached = if w.cache_hit > 0.0 && rng.gen_bool(cache_hit) {
                (w.system_tokens + w.growth * i64::from(c) * 8 / 10).min(input)
            } else {
                0
            };
            let write = if c == 0 && provider(model) == "anthropic" && cached == 0 { w.system_tokens } else { 0 };
            let output = (w.output_tokens as f64 * rng.gen_range(0.6..1.4)) as i64;
            let reasoning = if model.starts_with('o') || model.starts_with("gpt-5") { output * 4 / 10 } else { 0 };
            let id = format!("demo-{}-{}-{t:04}-{c:03}", date.format("%Y%m%d"), w.name);
            out.push(event(id, at, model, (input, output, cached, write, reasoning), &task, tags.clone()));
            at += Duration::seconds(rng.gen_range(2..25));
        }
    }
    out
}

/// The runaway incident: one bug-triage task that looped 1,200 times with a
/// context that kept growing and a cache that kept missing, over four hours,
/// 19 days ago.
fn runaway(today: NaiveDate) -> Vec<Value> {
    let date = today - Duration::days(19);
    let start = Utc.from_utc_datetime(&date.and_hms_opt(14, 5, 0).unwrap_or_default());
    let tags = json!({"team": "platform", "product": "dev-tools", "workflow": "bug-triage", "user": "dara.kim",
                      "project": "dev-tools-core", "task_type": "agent"});
    (0..1_200)
        .map(|c: i64| {
            let input = (20_000 + c * 400).min(190_000);
            let usage = (input, 800, input / 5, 0, 0);
            let id = format!("demo-runaway-{}-{c:03}", date.format("%Y%m%d"));
            event(
                id,
                start + Duration::seconds(c * 12),
                "claude-sonnet-4-5",
                usage,
                "bug-triage-runaway-7f3a",
                tags.clone(),
            )
        })
        .collect()
}

/// How many days before today the demo's budgets are created.
const BUDGETS_DAYS_AGO: i64 = 30;

/// Loads `days` of demo traffic ending today, in batches of 1,000 through
/// the ingest path. Returns a one-paragraph summary.
pub async fn load(state: &AppState, days: u32, seed: u64, scale: f64) -> anyhow::Result<String> {
    let today = Utc::now().date_naive();
    let days = i64::from(days.max(1));
    let mut counts = Sent::default();
    let mut batch: Vec<Value> = Vec::with_capacity(2_000);
    let mut budgets = 0;
    let mut stopped = crate::tools::demo_agents::Stopped::default();
    crate::tools::demo_taxonomy::install(state).await?;
    for days_ago in (0..days).rev() {
        let date = today - Duration::days(days_ago);
        // A month before today the organisation sets budgets; the last month's traffic then runs into them.
        if days_ago == BUDGETS_DAYS_AGO && days > BUDGETS_DAYS_AGO + 30 && state.store.list_budgets().await?.is_empty()
        {
            if !batch.is_empty() {
                counts.send(state, &mut batch).await?;
            }
            let until = Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default());
            budgets = crate::tools::demo_budgets::create(state, Utc::now(), until).await?;
        }
        let mut day: Vec<Value> = Vec::new();
        for (wi, w) in WORKFLOWS.iter().enumerate() {
            day.extend(day_events(w, wi, date, days_ago, days, seed, scale));
        }
        if days_ago == 19 {
            day.extend(runaway(today));
        }
        if budgets > 0 {
            // Budgets exist: agents ask the check before each call. Earlier traffic goes first.
            if !batch.is_empty() {
                counts.send(state, &mut batch).await?;
            }
            crate::tools::demo_agents::run(state, &mut counts, day, &mut stopped).await?;
        } else {
            batch.extend(day);
        }
        while batch.len() >= 1_000 {
            let mut rest = batch.split_off(1_000);
            counts.send(state, &mut batch).await?;
            std::mem::swap(&mut batch, &mut rest);
        }
    }
    if !batch.is_empty() {
        counts.send(state, &mut batch).await?;
    }
    let Sent { sent, accepted, unpriced, rejected } = counts;
    anyhow::ensure!(rejected == 0, "the demo generator produced {rejected} invalid events");
    let rules_made = Utc::now() - Duration::days(BUDGETS_DAYS_AGO.min(days));
    let (rules, signal_alerts) = crate::tools::demo_signals::setup(state, rules_made).await?;
    let stopped = stopped.summary();
    let bills = if days > 40 { crate::tools::demo_bills::import(state, today).await? } else { String::new() };
    Ok(format!(
        "demo organisation: {sent} events over {days} days sent through ingest, {accepted} new \
         ({} already stored), {unpriced} unpriced (a fine-tuned model with no list price); {budgets} budgets; \
         {rules} signal rules, which fired {signal_alerts} alerts{stopped}{bills}",
        sent - accepted
    ))
}

#[cfg(test)]
mod tests;
