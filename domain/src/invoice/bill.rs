//! What a provider billed: one line of a bill as Bursar keeps it, whatever
//! the source (a FOCUS file, OpenAI's Costs API, Anthropic's cost report),
//! and what an import read.

use crate::ingest::event::FieldError;
use crate::pricing::money::Nanos;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::str::FromStr;

/// Where bill lines come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BillSource {
    /// A FOCUS 1.0–1.3 CSV export (AWS Data Exports, Azure Cost Management, Google Cloud).
    Focus,
    /// OpenAI's Costs API, `GET /v1/organization/costs`.
    OpenAi,
    /// Anthropic's cost report, `GET /v1/organizations/cost_report`.
    Anthropic,
}

impl BillSource {
    /// All sources, in the order pages list them.
    pub const ALL: [BillSource; 3] = [BillSource::Focus, BillSource::OpenAi, BillSource::Anthropic];

    /// `focus`, `openai` or `anthropic`.
    pub fn as_str(self) -> &'static str {
        match self {
            BillSource::Focus => "focus",
            BillSource::OpenAi => "openai",
            BillSource::Anthropic => "anthropic",
        }
    }

    /// Reads `focus`, `openai` or `anthropic`; the error names `source`.
    pub fn parse(s: &str) -> Result<BillSource, FieldError> {
        BillSource::ALL.into_iter().find(|b| b.as_str() == s.trim()).ok_or_else(|| FieldError {
            field: "source".into(),
            reason: format!("{s:?} is not a bill source: use focus, openai or anthropic"),
        })
    }
}

/// The token classes Bursar prices (the catalog's rates): uncached input,
/// cache reads, cache writes and output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenClass {
    Input,
    CacheRead,
    CacheWrite,
    Output,
}

impl TokenClass {
    /// Every class, in the catalog's order.
    pub const ALL: [TokenClass; 4] =
        [TokenClass::Input, TokenClass::CacheRead, TokenClass::CacheWrite, TokenClass::Output];

    /// `input`, `cache_read`, `cache_write` or `output`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenClass::Input => "input",
            TokenClass::CacheRead => "cache_read",
            TokenClass::CacheWrite => "cache_write",
            TokenClass::Output => "output",
        }
    }

    /// This class's rate in a price version's rates (USD per 1M tokens).
    pub fn rate(self, r: &crate::pricing::catalog::Rates) -> Decimal {
        match self {
            TokenClass::Input => r.input,
            TokenClass::CacheRead => r.cache_read,
            TokenClass::CacheWrite => r.cache_write,
            TokenClass::Output => r.output,
        }
    }

    /// Reads [`TokenClass::as_str`]'s spelling.
    pub fn parse(s: &str) -> Option<TokenClass> {
        TokenClass::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }

    /// The class a free-text description names (an OpenAI line item, an AWS
    /// usage type, an Azure meter, a FOCUS `ChargeDescription`), if exactly
    /// one reading fits: cache reads and writes before plain input, since
    /// "cached input" is input too.
    pub fn in_text(text: &str) -> Option<TokenClass> {
        let t = format!(" {} ", text.to_lowercase().replace(['-', '_', '.', ','], " "));
        let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
        if has(&["cache read", "cached input", "cache hit", "cacheread", "cached"]) {
            Some(TokenClass::CacheRead)
        } else if has(&["cache write", "cache creation", "cachewrite", "cache storage"]) {
            Some(TokenClass::CacheWrite)
        } else if has(&["output", "completion", " outp"]) {
            Some(TokenClass::Output)
        } else if has(&["input", "prompt", " inp"]) {
            Some(TokenClass::Input)
        } else {
            None
        }
    }
}

/// One line of a bill: what a provider charged on one UTC day for one thing.
///
/// `billed` is in nano-units (10⁻⁹) of `currency` (ISO 4217, upper case),
/// exact. The optional fields are filled where the source carries them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillLine {
    pub day: NaiveDate,
    /// Bursar's spelling of the provider the charge is from (`openai`,
    /// `anthropic`, `bedrock`, `azure`, `vertex_ai`, …).
    pub provider: String,
    pub billed: Nanos,
    pub currency: String,
    /// The model as the source names it.
    pub model: Option<String>,
    pub token_class: Option<TokenClass>,
    /// The provider's service tier (`standard`, `batch`, `flex`, `priority`).
    pub service_tier: Option<String>,
    /// The project, workspace or sub-account the charge is booked to.
    pub account: Option<String>,
    /// The source line's own description (line item, usage type, meter).
    pub description: String,
    /// Tokens, where the source counts them (FOCUS `ConsumedQuantity` in a token unit).
    pub tokens: Option<i64>,
    /// The billing period (its first day) the line was invoiced in, where the
    /// source says (FOCUS `BillingPeriodStart`): a correction of an earlier
    /// month arrives in a later period's file, dated on the day it corrects.
    #[serde(default)]
    pub period: Option<NaiveDate>,
}

/// A source row an import could not read or left out, and why. `row` counts
/// from 1: a CSV file's data row, or a JSON result in file order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedRow {
    pub row: usize,
    pub reason: String,
}

/// What one file held: its lines, what it restates, and the rows left out.
///
/// A file restates its feeds: an API poll the UTC days it covers (a day with
/// no lines left is covered too, so its old lines go), a FOCUS file the
/// billing periods it covers (every row's `BillingPeriodStart`, AI or not,
/// so a period whose AI rows all went is cleared too).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Imported {
    /// `source:issuer` (`focus:issuer:billing account` for FOCUS): re-importing
    /// a feed replaces its lines on those days or periods and nothing else
    /// (an Azure file does not restate AWS's, nor one payer account another's).
    pub feeds: BTreeSet<String>,
    pub lines: Vec<(String, BillLine)>,
    /// The days it restates (API sources).
    pub days: BTreeSet<NaiveDate>,
    /// The billing periods it restates (FOCUS), by first day.
    pub periods: BTreeSet<NaiveDate>,
    pub skipped: Vec<SkippedRow>,
}

/// Most lines one file may hold (a month of a large organisation's AI rows
/// is far fewer; a whole cloud's export should be filtered to them first).
pub const MAX_LINES: usize = 1_000_000;

/// Reads an amount written as a decimal (`"0.06"`, `"-1.5"`, `"1.2E-5"`).
pub fn parse_amount(s: &str) -> Option<Decimal> {
    let s = s.trim();
    Decimal::from_str(s).ok().or_else(|| Decimal::from_scientific(s).ok())
}

/// One page of a provider's cost API (OpenAI's Costs API and Anthropic's
/// cost report page alike): its time buckets, whether more follow, and the
/// cursor of the next page.
#[derive(Clone, Debug, Deserialize)]
pub struct ApiPage<B> {
    pub data: Vec<B>,
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub next_page: Option<String>,
}

/// Parses a saved file of API pages: one page, or a JSON array of them (the
/// pages a poll fetched, in order).
///
/// Errors (naming `body`): not JSON of that shape, saying what was expected
/// (`what`) with serde's line and column.
pub fn api_pages<B: DeserializeOwned>(text: &[u8], what: &str) -> Result<Vec<ApiPage<B>>, FieldError> {
    let err = |e: serde_json::Error| FieldError {
        field: "body".into(),
        reason: format!("not {what} (an object with data: [bucket]) or an array of them: {e}"),
    };
    // The first byte says which shape, so the file is read once, without a buffered copy.
    match text.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => serde_json::from_slice(text).map_err(err),
        _ => serde_json::from_slice(text).map(|p| vec![p]).map_err(err),
    }
}

/// The last bucket each day has, in day order: a file of several saved
/// polls whose days overlap counts each day once, as the latest poll says.
pub fn last_per_day<B>(buckets: impl Iterator<Item = (NaiveDate, B)>) -> Vec<(NaiveDate, B)> {
    let mut by_day: std::collections::BTreeMap<NaiveDate, B> = std::collections::BTreeMap::new();
    for (d, b) in buckets {
        by_day.insert(d, b);
    }
    by_day.into_iter().collect()
}
