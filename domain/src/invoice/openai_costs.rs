//! Reading OpenAI's Costs API answers (`GET /v1/organization/costs`,
//! API reference "Costs") into bill lines.
//!
//! Shape: a page `{"object": "page", "data": [bucket], "has_more", "next_page"}`;
//! a bucket `{"start_time", "end_time", "results": [result]}` with times in
//! Unix seconds (daily buckets, `bucket_width=1d`); a result
//! `{"amount": {"value": number, "currency": "usd"}, "line_item", "project_id"}`.
//! `amount.value` is in the currency's main unit (dollars, not cents), as a
//! JSON number. It is read through its shortest round-trip decimal spelling
//! (`0.06` stays 0.06), never through binary arithmetic. With
//! `group_by=line_item` a line item reads `"<model>, <class>"`, e.g.
//! `"gpt-4o-2024-08-06, input"` or `"gpt-4o-mini-2024-07-18, cached input"`.
//!
//! A file holds one page or a JSON array of pages (the pages a poll fetched,
//! saved in order).

use super::bill::{api_pages, last_per_day, parse_amount, ApiPage, BillLine, Imported, SkippedRow, TokenClass};
use crate::ingest::event::FieldError;
use crate::pricing::money::{currency_code, Nanos};
use chrono::DateTime;
use serde::Deserialize;

/// The feed OpenAI's lines restate.
pub const FEED: &str = "openai:openai";

/// One page of the Costs API.
pub type Page = ApiPage<Bucket>;

/// One time bucket.
#[derive(Clone, Debug, Deserialize)]
pub struct Bucket {
    pub start_time: i64,
    #[serde(default)]
    pub results: Vec<CostResult>,
}

/// One grouped cost of a bucket.
#[derive(Clone, Debug, Deserialize)]
pub struct CostResult {
    pub amount: Option<Amount>,
    #[serde(default)]
    pub line_item: Option<String>,
    #[serde(default)]
    pub project_id: Option<String>,
}

/// An amount: `value` in main units, `currency` lower-case ISO 4217.
#[derive(Clone, Debug, Deserialize)]
pub struct Amount {
    pub value: serde_json::Number,
    pub currency: String,
}

/// Parses a saved file: one page or an array of pages.
///
/// Errors (naming `body`): not JSON of that shape, with serde's line and column.
pub fn pages(text: &[u8]) -> Result<Vec<Page>, FieldError> {
    api_pages(text, "an OpenAI costs page")
}

/// The model and class a line item names: `"gpt-4o, cached input"` →
/// (`gpt-4o`, cache read). A line item without a comma is all model.
pub fn split_line_item(item: &str) -> (Option<String>, Option<TokenClass>) {
    match item.rsplit_once(',') {
        Some((model, class)) => (Some(model.trim().to_string()).filter(|m| !m.is_empty()), TokenClass::in_text(class)),
        None => (Some(item.trim().to_string()).filter(|m| !m.is_empty()), None),
    }
}

/// Turns pages into bill lines; every bucket's day is covered, empty or not,
/// and a day two buckets share (overlapping saved polls) counts once, as the
/// later one says.
pub fn read_pages(pages: &[Page]) -> Imported {
    let mut out = Imported::default();
    out.feeds.insert(FEED.into());
    let mut dated = Vec::new();
    for (i, bucket) in pages.iter().flat_map(|p| &p.data).enumerate() {
        match DateTime::from_timestamp(bucket.start_time, 0) {
            Some(d) => dated.push((d.date_naive(), bucket)),
            None => out.skipped.push(SkippedRow {
                row: i + 1,
                reason: format!("bucket {}: start_time {} is out of range", i + 1, bucket.start_time),
            }),
        }
    }
    let mut row = 0;
    for (day, bucket) in last_per_day(dated.into_iter()) {
        out.days.insert(day);
        for r in &bucket.results {
            row += 1;
            let Some(amount) = &r.amount else {
                out.skipped.push(SkippedRow { row, reason: "the result has no amount".into() });
                continue;
            };
            let value = amount.value.to_string();
            let Some(billed) = parse_amount(&value).and_then(|d| Nanos::from_usd(d).ok()) else {
                out.skipped.push(SkippedRow { row, reason: format!("amount.value {value} is not an amount") });
                continue;
            };
            let Some(currency) = currency_code(&amount.currency) else {
                out.skipped
                    .push(SkippedRow { row, reason: format!("amount.currency {:?} is not ISO 4217", amount.currency) });
                continue;
            };
            let item = r.line_item.clone().unwrap_or_default();
            let (model, token_class) = split_line_item(&item);
            let line = BillLine {
                day,
                provider: "openai".into(),
                billed,
                currency,
                model,
                token_class,
                service_tier: None,
                account: r.project_id.clone(),
                description: item,
                tokens: None,
                period: None,
            };
            out.lines.push((FEED.into(), line));
        }
    }
    out
}

/// Most daily buckets one page may hold (the API's `limit` ceiling).
pub const PAGE_LIMIT: u32 = 180;

/// The path and query of one request for the days `[from, to)`: daily
/// buckets grouped by line item and project, `page` the previous answer's
/// `next_page`. Times are Unix seconds (API reference, "Costs").
pub fn request_path(from: chrono::NaiveDate, to: chrono::NaiveDate, page: Option<&str>) -> String {
    let unix = |d: chrono::NaiveDate| d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp();
    let mut p = format!(
        "/v1/organization/costs?start_time={}&end_time={}&bucket_width=1d&group_by=line_item&group_by=project_id&limit={PAGE_LIMIT}",
        unix(from),
        unix(to)
    );
    if let Some(page) = page {
        p.push_str("&page=");
        p.push_str(&url::form_urlencoded::byte_serialize(page.as_bytes()).collect::<String>());
    }
    p
}

/// Reads a saved file (see [`pages`]).
pub fn read(text: &[u8]) -> Result<Imported, FieldError> {
    Ok(read_pages(&pages(text)?))
}
