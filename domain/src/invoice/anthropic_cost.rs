//! Reading Anthropic's cost report (`GET /v1/organizations/cost_report`,
//! Admin API reference "Get Cost Report") into bill lines.
//!
//! Shape: `{"data": [bucket], "has_more", "next_page"}`; a bucket
//! `{"starting_at", "ending_at", "results": [result]}` with RFC 3339 times;
//! a result `{"amount", "currency", "model", "token_type", "service_tier",
//! "workspace_id", "description", "cost_type", "context_window"}`, the last
//! ones `null` unless grouped by `description` (and `workspace_id`).
//!
//! Units: `amount` is a decimal string in the currency's **lowest** unit
//! (cents for USD): `"123.45"` is 123.45 cents, $1.2345 (the reference's
//! own example calls it $1.23, rounded). Bursar divides by 100 exactly. Token types map to classes:
//! `uncached_input_tokens` → input, `cache_read_input_tokens` → cache read,
//! `cache_creation.ephemeral_5m_input_tokens` and `…_1h_…` → cache write,
//! `output_tokens` → output. Web search and code execution costs have no
//! class.

use super::bill::{api_pages, last_per_day, parse_amount, ApiPage, BillLine, Imported, SkippedRow, TokenClass};
use crate::ingest::event::FieldError;
use crate::pricing::money::{currency_code, Nanos};
use chrono::DateTime;
use rust_decimal::Decimal;
use serde::Deserialize;

/// The feed Anthropic's lines restate.
pub const FEED: &str = "anthropic:anthropic";

/// One page of the cost report.
pub type Report = ApiPage<Bucket>;

/// One time bucket.
#[derive(Clone, Debug, Deserialize)]
pub struct Bucket {
    pub starting_at: String,
    #[serde(default)]
    pub results: Vec<CostItem>,
}

/// One cost item.
#[derive(Clone, Debug, Deserialize)]
pub struct CostItem {
    pub amount: String,
    pub currency: String,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub token_type: Option<String>,
    #[serde(default)]
    pub service_tier: Option<String>,
    #[serde(default)]
    pub workspace_id: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub cost_type: Option<String>,
}

/// The class of a `token_type`.
pub fn class_of(token_type: &str) -> Option<TokenClass> {
    match token_type {
        "uncached_input_tokens" => Some(TokenClass::Input),
        "output_tokens" => Some(TokenClass::Output),
        "cache_read_input_tokens" => Some(TokenClass::CacheRead),
        t if t.starts_with("cache_creation") => Some(TokenClass::CacheWrite),
        _ => None,
    }
}

/// Parses a saved file: one page or an array of pages.
///
/// Errors (naming `body`): not JSON of that shape, with serde's line and column.
pub fn reports(text: &[u8]) -> Result<Vec<Report>, FieldError> {
    api_pages(text, "an Anthropic cost report")
}

/// Turns pages into bill lines; every bucket's day is covered, empty or not,
/// and a day two buckets share (overlapping saved polls) counts once, as the
/// later one says.
pub fn read_reports(reports: &[Report]) -> Imported {
    let mut out = Imported::default();
    out.feeds.insert(FEED.into());
    let mut dated = Vec::new();
    for (i, bucket) in reports.iter().flat_map(|p| &p.data).enumerate() {
        match DateTime::parse_from_rfc3339(&bucket.starting_at) {
            Ok(start) => dated.push((start.naive_utc().date(), bucket)),
            Err(_) => out.skipped.push(SkippedRow {
                row: i + 1,
                reason: format!("bucket {}: starting_at {:?} is not RFC 3339", i + 1, bucket.starting_at),
            }),
        }
    }
    let mut row = 0;
    for (day, bucket) in last_per_day(dated.into_iter()) {
        out.days.insert(day);
        for r in &bucket.results {
            row += 1;
            let Some(billed) =
                parse_amount(&r.amount).and_then(|cents| Nanos::from_usd(cents / Decimal::from(100)).ok())
            else {
                out.skipped.push(SkippedRow { row, reason: format!("amount {:?} is not a decimal string", r.amount) });
                continue;
            };
            let Some(currency) = currency_code(&r.currency) else {
                out.skipped.push(SkippedRow { row, reason: format!("currency {:?} is not ISO 4217", r.currency) });
                continue;
            };
            let class = r.token_type.as_deref().and_then(class_of);
            let description =
                r.description.clone().or_else(|| r.cost_type.clone()).unwrap_or_else(|| "Anthropic usage".to_string());
            let line = BillLine {
                day,
                provider: "anthropic".into(),
                billed,
                currency,
                model: r.model.clone(),
                token_class: class,
                service_tier: r.service_tier.clone(),
                account: r.workspace_id.clone(),
                description,
                tokens: None,
                period: None,
            };
            out.lines.push((FEED.into(), line));
        }
    }
    out
}

/// Most daily buckets one page may hold (the API's `limit` ceiling for `1d`).
pub const PAGE_LIMIT: u32 = 31;

/// The path and query of one request for the days `[from, to)`: daily
/// buckets grouped by workspace and description (which adds model, token
/// type and service tier), `page` the previous answer's `next_page`.
pub fn request_path(from: chrono::NaiveDate, to: chrono::NaiveDate, page: Option<&str>) -> String {
    let at = |d: chrono::NaiveDate| d.format("%Y-%m-%dT00:00:00Z").to_string();
    let mut p = format!(
        "/v1/organizations/cost_report?starting_at={}&ending_at={}&bucket_width=1d&group_by%5B%5D=workspace_id&group_by%5B%5D=description&limit={PAGE_LIMIT}",
        at(from),
        at(to)
    );
    if let Some(page) = page {
        p.push_str("&page=");
        p.push_str(&url::form_urlencoded::byte_serialize(page.as_bytes()).collect::<String>());
    }
    p
}

/// Reads a saved file (see [`reports`]).
pub fn read(text: &[u8]) -> Result<Imported, FieldError> {
    Ok(read_reports(&reports(text)?))
}
