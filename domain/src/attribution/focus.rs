//! FOCUS 1.2 rows: one per charge period (a UTC day) × model × token class
//! × tag set, with the columns FinOps tools read.
//!
//! Quantities are the day's tokens of that class. `ListCost` is the
//! catalog's list rate in force that day × the quantity (the base rate; a
//! long-context tier is not applied to a day's sum). `EffectiveCost` (=
//! `BilledCost` = `ContractedCost`) is what Bursar recorded for those calls,
//! shared among the token classes in proportion to their list cost (by
//! tokens when there is no list price), to the nano-dollar, so that the
//! classes of a day, model and tag set add up to exactly what was recorded
//! and the file reconciles with the spend API. They differ from `ListCost`
//! when a caller sent its own cost, e.g. a negotiated discount.

use crate::attribution::shares::class_shares;
use crate::ingest::usage::Usage;
use crate::pricing::catalog::Rates;
use crate::pricing::money::Nanos;
use crate::TagSet;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

/// The columns, in file order.
pub const COLUMNS: [&str; 36] = [
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ContractedCost",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "PricingQuantity",
    "PricingUnit",
    "ListUnitPrice",
    "ContractedUnitPrice",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ProviderName",
    "PublisherName",
    "InvoiceIssuerName",
    "ServiceCategory",
    "ServiceSubcategory",
    "ServiceName",
    "BillingAccountId",
    "BillingAccountName",
    "SubAccountId",
    "SubAccountName",
    "SkuId",
    "SkuPriceId",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "RegionId",
    "Tags",
];

/// One day's sums of one model and tag set (a daily rollup row).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DaySum {
    pub day: NaiveDate,
    pub model: String,
    pub provider: String,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cache_read_tokens: i64,
    pub cache_write_tokens: i64,
    /// What was recorded (priced calls only).
    pub cost: Nanos,
}

/// The account the file is billed to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub name: String,
}

fn usd(d: Decimal) -> String {
    d.round_dp(9).normalize().to_string()
}

/// The billing period (the UTC month) a day falls in: its first day and the next month's.
fn billing_period(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let month = NaiveDate::from_ymd_opt(day.year(), day.month(), 1).unwrap_or(day);
    let next = if day.month() == 12 {
        NaiveDate::from_ymd_opt(day.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(day.year(), day.month() + 1, 1)
    };
    (month, next.unwrap_or(day))
}

/// The header line.
pub fn header() -> String {
    COLUMNS.join(",") + "\n"
}

/// The CSV lines for one day sum: one per token class with tokens.
pub fn lines(s: &DaySum, rates: Option<&Rates>, tags: &TagSet, account: &Account) -> String {
    let usage = Usage {
        input_tokens: s.input_tokens,
        output_tokens: s.output_tokens,
        cache_read_tokens: s.cache_read_tokens,
        cache_write_tokens: s.cache_write_tokens,
        reasoning_tokens: 0,
    };
    // (class, tokens, rate per 1M, list cost, effective cost)
    let mut used: Vec<(&str, i64, Option<Decimal>, Decimal, Nanos)> = class_shares(&usage, rates, s.cost)
        .into_iter()
        .map(|c| (c.class.as_str(), c.tokens, rates.map(|r| c.class.rate(r)), c.list, c.share))
        .collect();
    // A day whose calls carry a cost but no tokens (a caller-priced call with
    // zero counts, an image or embedding billed per request) still gets a row,
    // so BilledCost sums to what the spend API reports.
    if used.is_empty() {
        if s.cost.0 == 0 {
            return String::new();
        }
        used.push(("request", 0, None, Decimal::ZERO, s.cost));
    }
    let million = Decimal::from(1_000_000);
    let (month, next_month) = billing_period(s.day);
    let ts = |d: NaiveDate| format!("{d}T00:00:00Z");
    let team = tags.get("team").unwrap_or("").to_string();
    let tags_json = tags.canonical();
    let provider = if s.provider.is_empty() { "unknown".to_string() } else { s.provider.clone() };
    let mut out = String::new();
    for (class, tokens, rate, list, effective) in used {
        let eff = effective.to_usd();
        let quantity = Decimal::from(tokens) / million;
        let fields: [String; 36] = [
            usd(eff),
            usd(eff),
            usd(list),
            usd(eff),
            "USD".into(),
            ts(month),
            ts(next_month),
            ts(s.day),
            ts(s.day + chrono::Duration::days(1)),
            "Usage".into(),
            String::new(),
            format!("{} {} tokens", s.model, class.replace('_', " ")),
            "Usage-Based".into(),
            quantity.normalize().to_string(),
            "1M Tokens".into(),
            rate.map(usd).unwrap_or_default(),
            rate.map(usd).unwrap_or_default(),
            tokens.to_string(),
            "Tokens".into(),
            provider.clone(),
            provider.clone(),
            provider.clone(),
            "AI and Machine Learning".into(),
            "Generative AI".into(),
            format!("{provider} LLM API"),
            account.id.clone(),
            account.name.clone(),
            team.clone(),
            team.clone(),
            format!("{provider}/{}/{class}", s.model),
            format!("{provider}/{}/{class}/{}", s.model, rate.map(usd).unwrap_or_else(|| "unpriced".into())),
            s.model.clone(),
            s.model.clone(),
            "LLM model".into(),
            String::new(),
            tags_json.clone(),
        ];
        out.push_str(&crate::attribution::csv_cell::row(&fields));
    }
    out
}

/// A true-up row (`ChargeCategory` `Adjustment`): `amount` of a provider's
/// bill gap on `day`, allocated to `tags` or, with no tags and
/// `allocated` false, shown as uninstrumented usage. Its `BilledCost` and
/// `EffectiveCost` are the amount; it has no list price or tokens, so the
/// recorded calls' rows stay as they were and the file's `BilledCost` sums
/// to the spend API's invoice basis.
pub fn true_up_line(
    day: NaiveDate,
    provider: &str,
    amount: Nanos,
    tags: &TagSet,
    allocated: bool,
    account: &Account,
) -> String {
    let (month, next_month) = billing_period(day);
    let ts = |d: NaiveDate| format!("{d}T00:00:00Z");
    let team = tags.get("team").unwrap_or("").to_string();
    let what = if allocated { "allocated by recorded spend" } else { "usage with no recorded call (uninstrumented)" };
    let fields: [String; 36] = [
        usd(amount.to_usd()),
        usd(amount.to_usd()),
        "0".into(),
        usd(amount.to_usd()),
        "USD".into(),
        ts(month),
        ts(next_month),
        ts(day),
        ts(day + chrono::Duration::days(1)),
        "Adjustment".into(),
        String::new(),
        format!("Invoice true-up: {provider} bill gap, {what}"),
        "Usage-Based".into(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        provider.into(),
        provider.into(),
        provider.into(),
        "AI and Machine Learning".into(),
        "Generative AI".into(),
        format!("{provider} LLM API"),
        account.id.clone(),
        account.name.clone(),
        team.clone(),
        team,
        format!("{provider}/true-up"),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        tags.canonical(),
    ];
    crate::attribution::csv_cell::row(&fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TagKey;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn sum(cost: i64) -> DaySum {
        DaySum {
            day: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            model: "gpt-4o".into(),
            provider: "openai".into(),
            input_tokens: 1_000_000,
            output_tokens: 100_000,
            cache_read_tokens: 200_000,
            cache_write_tokens: 0,
            cost: Nanos(cost),
        }
    }

    fn rates() -> Rates {
        Rates { input: d("2.50"), output: d("10"), cache_read: d("1.25"), cache_write: d("2.50") }
    }

    fn parse(text: &str) -> Vec<Vec<String>> {
        text.lines().map(|l| l.split(',').map(String::from).collect()).collect()
    }

    #[test]
    fn list_and_effective_costs_per_token_class() {
        let mut tags = TagSet::new();
        tags.insert(TagKey::parse("team").unwrap(), "support");
        let acct = Account { id: "acme".into(), name: "Acme".into() };
        // List: 800,000 × 2.50 = 2.00; 200,000 × 1.25 = 0.25; 100,000 × 10 = 1.00. Total 3.25,
        // recorded at a 20% discount: 2.60, shared 1.60 / 0.20 / 0.80.
        let text = lines(&sum(2_600_000_000), Some(&rates()), &tags, &acct);
        let rows = parse(&text);
        assert_eq!(rows.len(), 3);
        let col = |r: &Vec<String>, name: &str| r[COLUMNS.iter().position(|c| *c == name).unwrap()].clone();
        assert_eq!(rows.iter().map(|r| col(r, "ListCost")).collect::<Vec<_>>(), vec!["2", "0.25", "1"]);
        assert_eq!(rows.iter().map(|r| col(r, "BilledCost")).collect::<Vec<_>>(), vec!["1.6", "0.2", "0.8"]);
        assert_eq!(col(&rows[1], "SkuId"), "openai/gpt-4o/cache_read");
        assert_eq!(col(&rows[1], "ConsumedQuantity"), "200000");
        assert_eq!(col(&rows[1], "PricingQuantity"), "0.2");
        assert_eq!(col(&rows[0], "SubAccountName"), "support");
        assert_eq!(col(&rows[0], "ChargePeriodEnd"), "2027-01-01T00:00:00Z");
        assert_eq!(col(&rows[0], "BillingPeriodStart"), "2026-12-01T00:00:00Z");
        assert_eq!(col(&rows[0], "BillingPeriodEnd"), "2027-01-01T00:00:00Z");
    }

    #[test]
    fn shares_add_up_to_what_was_recorded_to_the_nano_dollar() {
        for cost in [1, 2, 3, 7, 1_000_000_001, 999_999_999_999] {
            let text = lines(&sum(cost), Some(&rates()), &TagSet::new(), &Account { id: "a".into(), name: "a".into() });
            let total: i64 = parse(&text).iter().map(|r| Nanos::from_usd(d(&r[0])).unwrap().0).sum();
            assert_eq!(total, cost);
        }
        // No list price: shared by tokens; still exact.
        let text = lines(&sum(1_000), None, &TagSet::new(), &Account { id: "a".into(), name: "a".into() });
        let total: i64 = parse(&text).iter().map(|r| Nanos::from_usd(d(&r[0])).unwrap().0).sum();
        assert_eq!(total, 1_000);
    }

    #[test]
    fn a_cost_without_tokens_still_gets_its_row() {
        // The case: one call of $0.25 with no tokens beside $0.23 of
        // ordinary calls; BilledCost must sum to $0.48, as the spend API says.
        let acct = Account { id: "a".into(), name: "a".into() };
        let none = DaySum { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, ..sum(250_000_000) };
        let rows = parse(&lines(&none, Some(&rates()), &TagSet::new(), &acct));
        assert_eq!(rows.len(), 1);
        let col = |r: &Vec<String>, name: &str| r[COLUMNS.iter().position(|c| *c == name).unwrap()].clone();
        assert_eq!(col(&rows[0], "BilledCost"), "0.25");
        assert_eq!(col(&rows[0], "ListCost"), "0");
        assert_eq!(col(&rows[0], "ConsumedQuantity"), "0");
        assert_eq!(col(&rows[0], "SkuId"), "openai/gpt-4o/request");
        let ordinary = lines(&sum(230_000_000), Some(&rates()), &TagSet::new(), &acct);
        let billed: i64 = parse(&ordinary)
            .iter()
            .chain(rows.iter())
            .map(|r| Nanos::from_usd(d(&col(r, "BilledCost"))).unwrap().0)
            .sum();
        assert_eq!(Nanos(billed).to_usd(), d("0.48"));
        // Neither tokens nor cost: nothing to bill, no row.
        assert_eq!(lines(&DaySum { cost: Nanos(0), ..none }, None, &TagSet::new(), &acct), "");
    }

    #[test]
    fn fields_with_commas_are_quoted() {
        assert_eq!(crate::attribution::csv_cell::row(&["a,b"]), "\"a,b\"\n");
        assert_eq!(crate::attribution::csv_cell::row(&["say \"hi\""]), "\"say \"\"hi\"\"\"\n");
        assert_eq!(header().split(',').count(), 36);
    }
}
