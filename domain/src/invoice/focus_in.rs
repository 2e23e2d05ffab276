//! Reading a FOCUS CSV export (FOCUS 1.0, 1.1, 1.2 and 1.3, as AWS Data
//! Exports, Azure Cost Management and Google Cloud write them) into bill
//! lines: its AI rows only.
//!
//! A file restates its feed (issuer and `BillingAccountId`) for each billing
//! period (`BillingPeriodStart`) any of its rows names: a correction of an
//! earlier month arrives in a later period, dated on the day it corrects,
//! and re-importing a period never touches another's lines.
//!
//! Columns read (FOCUS spec, "Columns"): `ChargePeriodStart` (the UTC day),
//! `BilledCost` and `BillingCurrency` (what was billed), `ServiceCategory`
//! (`AI and Machine Learning` selects the rows), `ChargeCategory` (`Tax` is
//! left out: no call carries it), `ProviderName` (1.0–1.2) or
//! `ServiceProviderName` (1.3, which deprecates `ProviderName`),
//! `InvoiceIssuerName`, `ServiceName`, `ChargeDescription`, `SubAccountId`,
//! and `ConsumedQuantity` with `ConsumedUnit` (tokens, where the unit is a
//! count of tokens: `Tokens`, `1K Tokens`, `1M Tokens`). FOCUS has no model
//! column, so the model is read later, by matching, from the line's
//! description: `ServiceName`, `ChargeDescription` and the providers' own
//! documented columns `x_UsageType` (AWS) and `x_SkuMeterName` (Azure).

use super::bill::{parse_amount, BillLine, Imported, SkippedRow, TokenClass, MAX_LINES};
use crate::ingest::event::FieldError;
use crate::pricing::model_id::canonical_provider;
use crate::pricing::money::{currency_code, Nanos};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

/// The `ServiceCategory` value of AI rows (FOCUS 1.0+ allowed values).
pub const AI_CATEGORY: &str = "AI and Machine Learning";
/// Columns that must be present.
const REQUIRED: [&str; 5] = ["BilledCost", "BillingCurrency", "ChargePeriodStart", "ServiceCategory", "ServiceName"];
/// Columns whose text describes the line, in the order they are joined.
const DESCRIBING: [&str; 4] = ["ServiceName", "ChargeDescription", "x_UsageType", "x_SkuMeterName"];

/// Bursar's provider for a FOCUS row: the AI service a cloud resells
/// (Bedrock, Azure OpenAI, Vertex AI, the Gemini API) when `ServiceName`
/// names one, else the row's provider.
pub fn provider_of(service: &str, provider_name: &str) -> String {
    let s = service.to_lowercase();
    if s.contains("bedrock") {
        "bedrock".into()
    } else if s.contains("azure openai")
        || s.contains("foundry")
        || s.contains("cognitive services")
        || s.contains("azure ai")
    {
        "azure".into()
    } else if s.contains("vertex") {
        "vertex_ai".into()
    } else if s.contains("gemini") {
        "google".into()
    } else {
        canonical_provider(provider_name)
    }
}

/// Tokens in a `ConsumedQuantity` of `unit`, if the unit counts tokens.
pub fn tokens_of(quantity: &str, unit: &str) -> Option<i64> {
    let u = unit.to_lowercase();
    if !u.contains("token") {
        return None;
    }
    let per = if u.contains("1m") || u.contains("million") || u.contains("1,000,000") {
        1_000_000
    } else if u.contains("1k") || u.contains("thousand") || u.contains("1000") || u.contains("1,000") {
        1_000
    } else {
        1
    };
    let q = parse_amount(quantity)? * Decimal::from(per);
    i64::try_from(q.round()).ok()
}

/// The UTC day a `ChargePeriodStart` falls on (ISO 8601 with an offset, or
/// without one meaning UTC, or a bare date).
fn day_of(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.naive_utc().date())
        .ok()
        .or_else(|| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").ok().map(|d| d.date()))
        .or_else(|| {
            NaiveDateTime::parse_from_str(s.trim_end_matches(" UTC"), "%Y-%m-%d %H:%M:%S").ok().map(|d| d.date())
        })
        .or_else(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
}

/// Reads a FOCUS CSV file's AI rows.
///
/// Errors (naming `body`): not CSV, or a required column is missing. A row
/// whose day, amount or currency cannot be read is skipped with its reason;
/// rows of other services and tax rows are left out silently (a whole
/// cloud's export holds millions of them), and counted in `skipped` only
/// when they are AI rows.
pub fn read(text: &[u8]) -> Result<Imported, FieldError> {
    let body = |reason: String| FieldError { field: "body".into(), reason };
    let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(text);
    let headers = rdr.headers().map_err(|e| body(format!("not a CSV file: {e}")))?.clone();
    let col = |name: &str| headers.iter().position(|h| h.trim_start_matches('\u{feff}') == name);
    for name in REQUIRED {
        if col(name).is_none() {
            return Err(body(format!("not a FOCUS file: the column {name} is missing")));
        }
    }
    if col("ProviderName").is_none() && col("ServiceProviderName").is_none() {
        return Err(body("not a FOCUS file: neither ProviderName nor ServiceProviderName is present".into()));
    }
    let describing: Vec<usize> = DESCRIBING.iter().filter_map(|c| col(c)).collect();
    let mut out = Imported::default();
    for (i, rec) in rdr.records().enumerate() {
        let row = i + 1;
        let rec = rec.map_err(|e| body(format!("row {row}: {e}")))?;
        let get = |name: &str| col(name).and_then(|c| rec.get(c)).unwrap_or("").trim();
        let provider_name =
            if get("ServiceProviderName").is_empty() { get("ProviderName") } else { get("ServiceProviderName") };
        let issuer = if get("InvoiceIssuerName").is_empty() { provider_name } else { get("InvoiceIssuerName") };
        let feed = format!("focus:{}:{}", issuer.to_lowercase(), get("BillingAccountId"));
        // Every row's billing period is restated, AI or not, so a period whose AI rows went is cleared.
        let period =
            day_of(get("BillingPeriodStart")).or_else(|| day_of(get("ChargePeriodStart"))).and_then(|d| d.with_day(1));
        if let Some(p) = period {
            out.periods.insert(p);
            out.feeds.insert(feed.clone());
        }
        if get("ServiceCategory") != AI_CATEGORY || get("ChargeCategory").eq_ignore_ascii_case("tax") {
            continue;
        }
        let mut skip = |reason: String| out.skipped.push(SkippedRow { row, reason });
        let Some(day) = day_of(get("ChargePeriodStart")) else {
            skip(format!("ChargePeriodStart {:?} is not a date and time", get("ChargePeriodStart")));
            continue;
        };
        let Some(billed) = parse_amount(get("BilledCost")).and_then(|d| Nanos::from_usd(d).ok()) else {
            skip(format!("BilledCost {:?} is not an amount", get("BilledCost")));
            continue;
        };
        let Some(currency) = currency_code(get("BillingCurrency")) else {
            skip(format!("BillingCurrency {:?} is not an ISO 4217 code", get("BillingCurrency")));
            continue;
        };
        let mut description: Vec<&str> = describing.iter().filter_map(|&c| rec.get(c)).map(str::trim).collect();
        description.retain(|d| !d.is_empty());
        let description = description.join(" | ");
        let line = BillLine {
            day,
            provider: provider_of(get("ServiceName"), provider_name),
            billed,
            currency,
            model: None,
            token_class: TokenClass::in_text(&description),
            service_tier: None,
            account: Some(get("SubAccountId").to_string()).filter(|a| !a.is_empty()),
            tokens: tokens_of(get("ConsumedQuantity"), get("ConsumedUnit")),
            description,
            period,
        };
        if out.lines.len() == MAX_LINES {
            return Err(body(format!("a file may hold at most {MAX_LINES} AI rows; split it by billing period")));
        }
        out.feeds.insert(feed.clone());
        out.lines.push((feed, line));
    }
    Ok(out)
}
