//! The demo organisation's bills for last month, from all three sources, in
//! each source's own format, imported through the same path as an upload:
//! OpenAI's Costs API pages (dollars, JSON numbers), Anthropic's cost report
//! (cents, decimal strings), and Google Cloud's FOCUS 1.2 export of the
//! Gemini API (CSV). They agree with the demo's recorded calls, class by
//! class (each day and model's recorded cost shared as reconcile shares it),
//! except for what Reconcile should find and explain:
//! - an uninstrumented nightly batch job on OpenAI (`gpt-4.1-nano`);
//! - a 7% negotiated discount on Google's Gemini;
//! - an instrumentation that drops most Claude Sonnet cache writes, so
//!   Anthropic bills 2.5× the cache writes its calls report;
//! - and the fine-tuned model the catalog has no price for, which OpenAI
//!   bills at its fine-tuned rates ($0.80 and $3.20 per 1M tokens).

use chrono::{Datelike, Duration, NaiveDate};
use domain::attribution::shares::{class_shares, ClassShare};
use domain::invoice::{AttributedPart, BillSource, TokenClass};
use domain::pricing::money::usd_string;
use domain::{Catalog, Nanos};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use server::AppState;
use std::str::FromStr;

/// Google's negotiated price: 93% of list.
const GOOGLE_RATE: Decimal = Decimal::from_parts(93, 0, 0, false, 2);
/// Anthropic bills this many times the Sonnet cache writes the calls report.
const SONNET_WRITES: Decimal = Decimal::from_parts(25, 0, 0, false, 1);

/// A day and model's recorded cost shared among its token classes, as reconcile shares it.
fn classes(p: &AttributedPart, catalog: &Catalog) -> Vec<ClassShare> {
    let at = p.day.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc();
    let rates = catalog.version_for(Some(&p.provider), &p.model, at).map(|v| &v.rates);
    class_shares(&p.totals.usage(), rates, p.totals.cost)
}

fn nanos(d: Decimal) -> Nanos {
    Nanos::from_usd(d).unwrap_or_default()
}

/// OpenAI's pages: seven daily buckets a page (the API's default `limit`).
fn openai_pages(parts: &[AttributedPart], catalog: &Catalog, days: &[NaiveDate]) -> Vec<u8> {
    let amount = |n: Nanos| json!({"value": serde_json::Number::from_str(&usd_string(n)).unwrap_or(0.into()), "currency": "usd"});
    let item = |model: &str, class: &str, n: Nanos, project: Option<&str>| json!({"object": "organization.costs.result", "amount": amount(n), "line_item": format!("{model}, {class}"), "project_id": project});
    let mut buckets = Vec::new();
    for d in days {
        let mut results = Vec::new();
        for p in parts.iter().filter(|p| p.provider == "openai" && p.day == *d) {
            if p.model.starts_with("ft:") {
                // Unpriced in Bursar; OpenAI bills fine-tuned gpt-4.1-mini at $0.80 in, $3.20 out per 1M.
                let per = |n: i64, rate: &str| {
                    nanos(Decimal::from(n) * Decimal::from_str(rate).unwrap_or_default() / Decimal::from(1_000_000))
                };
                results.push(item(&p.model, "input", per(p.totals.input_tokens, "0.80"), Some("proj_growth")));
                results.push(item(&p.model, "output", per(p.totals.output_tokens, "3.20"), Some("proj_growth")));
                continue;
            }
            for ClassShare { class, share, .. } in classes(p, catalog) {
                let word = match class {
                    TokenClass::CacheRead => "cached input",
                    TokenClass::Output => "output",
                    _ => "input",
                };
                results.push(item(&p.model, word, share, Some("proj_main")));
            }
        }
        // The nightly batch job nobody instrumented: 40M input and 4M output tokens of gpt-4.1-nano.
        results.push(item("gpt-4.1-nano", "input", nanos(Decimal::from(4)), Some("proj_batch")));
        results.push(item("gpt-4.1-nano", "output", nanos(Decimal::new(160, 2)), Some("proj_batch")));
        let start = d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().timestamp();
        buckets.push(json!({"object": "bucket", "start_time": start, "end_time": start + 86_400, "results": results}));
    }
    paged(buckets, Some("page"))
}

/// Anthropic's cost report: amounts in cents, grouped by description.
fn anthropic_report(parts: &[AttributedPart], catalog: &Catalog, days: &[NaiveDate]) -> Vec<u8> {
    let cents = |n: Nanos| (n.to_usd() * Decimal::from(100)).normalize().to_string();
    let mut buckets = Vec::new();
    for d in days {
        let mut results = Vec::new();
        for p in parts.iter().filter(|p| p.provider == "anthropic" && p.day == *d) {
            for ClassShare { class, share, .. } in classes(p, catalog) {
                let (token_type, word) = match class {
                    TokenClass::Input => ("uncached_input_tokens", "Input Tokens"),
                    TokenClass::CacheRead => ("cache_read_input_tokens", "Cache Read"),
                    TokenClass::CacheWrite => ("cache_creation.ephemeral_5m_input_tokens", "Cache Write (5m)"),
                    TokenClass::Output => ("output_tokens", "Output Tokens"),
                };
                let billed = if class == TokenClass::CacheWrite && p.model == "claude-sonnet-4-5" {
                    nanos(share.to_usd() * SONNET_WRITES)
                } else {
                    share
                };
                results.push(json!({"currency": "USD", "amount": cents(billed), "workspace_id": "wrkspc_demo",
                    "description": format!("{} Usage - {word}", display(&p.model)), "cost_type": "tokens",
                    "context_window": "0-200k", "model": p.model, "service_tier": "standard", "token_type": token_type}));
            }
        }
        buckets.push(json!({"starting_at": format!("{d}T00:00:00Z"), "ending_at": format!("{}T00:00:00Z", *d + Duration::days(1)), "results": results}));
    }
    paged(buckets, None)
}

/// Saved API pages of seven daily buckets each (the APIs' default `limit`),
/// chained by `next_page`; `object` is OpenAI's page marker.
fn paged(buckets: Vec<Value>, object: Option<&str>) -> Vec<u8> {
    let chunks: Vec<&[Value]> = buckets.chunks(7).collect();
    let pages: Vec<Value> = chunks
        .iter()
        .enumerate()
        .map(|(i, data)| {
            let more = i + 1 < chunks.len();
            let mut page =
                json!({"data": data, "has_more": more, "next_page": more.then(|| format!("page_demo_{}", i + 1))});
            if let Some(o) = object {
                page["object"] = json!(o);
            }
            page
        })
        .collect();
    serde_json::to_vec_pretty(&pages).unwrap_or_default()
}

/// `gemini-2.5-flash-lite` → `Gemini 2.5 Flash Lite`.
fn display(model: &str) -> String {
    model
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Google Cloud's FOCUS 1.2 rows for the Gemini API, at the negotiated 93%.
fn google_focus(parts: &[AttributedPart], catalog: &Catalog) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "BilledCost",
        "BillingCurrency",
        "ChargePeriodStart",
        "ChargePeriodEnd",
        "ChargeCategory",
        "ChargeClass",
        "ChargeDescription",
        "ConsumedQuantity",
        "ConsumedUnit",
        "EffectiveCost",
        "ListCost",
        "InvoiceIssuerName",
        "ProviderName",
        "PublisherName",
        "ServiceCategory",
        "ServiceSubcategory",
        "ServiceName",
        "SubAccountId",
    ])?;
    for p in parts.iter().filter(|p| p.provider == "google") {
        for ClassShare { class, tokens, share, .. } in classes(p, catalog) {
            let word = match class {
                TokenClass::CacheRead => "cached input tokens",
                TokenClass::Output => "output tokens",
                _ => "input tokens",
            };
            let billed = usd_string(nanos(share.to_usd() * GOOGLE_RATE));
            let (start, end) = (format!("{}T00:00:00Z", p.day), format!("{}T00:00:00Z", p.day + Duration::days(1)));
            let description = format!("{} {word}", display(&p.model));
            let tokens = tokens.to_string();
            w.write_record([
                billed.as_str(),
                "USD",
                &start,
                &end,
                "Usage",
                "",
                &description,
                &tokens,
                "Tokens",
                &billed,
                &usd_string(share),
                "Google",
                "Google Cloud",
                "Google",
                "AI and Machine Learning",
                "Generative AI",
                "Gemini API",
                "acme-ai-prod",
            ])?;
        }
    }
    Ok(w.into_inner()?)
}

/// Imports last month's bills; a one-line summary.
pub async fn import(state: &AppState, today: NaiveDate) -> anyhow::Result<String> {
    let first = today.with_day(1).unwrap_or(today);
    let from = (first - Duration::days(1)).with_day(1).unwrap_or(first);
    let parts = state.store.spend_by_model_day(from, first).await?;
    let catalog = state.catalog_service.catalog();
    let days: Vec<NaiveDate> = (0..(first - from).num_days()).map(|i| from + Duration::days(i)).collect();
    let files = [
        (BillSource::OpenAi, openai_pages(&parts, &catalog, &days)),
        (BillSource::Anthropic, anthropic_report(&parts, &catalog, &days)),
        (BillSource::Focus, google_focus(&parts, &catalog)?),
    ];
    let mut rows = 0;
    for (source, bytes) in files {
        rows += state.invoices.import(source, &bytes, "upload", "demo").await.map_err(|e| anyhow::anyhow!("{e}"))?.rows;
    }
    Ok(format!("; {rows} bill lines for {} from OpenAI, Anthropic and Google (FOCUS)", from.format("%B %Y")))
}
