//! The three sources read from fixtures written from their documentation,
//! matching, and a reconcile worked by hand.

use super::reconcile::{ledger, AttributedPart, BillPart, ReconcileQuery};
use super::*;
use crate::attribution::report::Totals;
use crate::pricing::money::Nanos;
use crate::Catalog;
use chrono::NaiveDate;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

fn catalog() -> Catalog {
    Catalog::from_json(include_str!("../../../catalog/prices.json")).unwrap()
}

fn usd(s: &str) -> Nanos {
    Nanos::from_usd(s.parse().unwrap()).unwrap()
}

#[test]
fn openai_pages_read_exactly_in_dollars() {
    let got = read(BillSource::OpenAi, include_bytes!("../../tests/fixtures/bills/openai_costs.json")).unwrap();
    assert_eq!(
        got.days.iter().copied().collect::<Vec<_>>(),
        vec![day(1), day(2), day(3)],
        "the empty bucket's day is covered"
    );
    assert_eq!(got.lines.len(), 6);
    let l = |i: usize| &got.lines[i].1;
    assert_eq!(l(0).billed, Nanos(1_234_500_000));
    assert_eq!(l(0).model.as_deref(), Some("gpt-4o-2024-08-06"));
    assert_eq!(l(0).token_class, Some(TokenClass::Input));
    assert_eq!(l(0).account.as_deref(), Some("proj_abc"));
    assert_eq!(l(1).token_class, Some(TokenClass::CacheRead), "cached input is a cache read");
    assert_eq!(l(1).billed, Nanos(60_000_000), "0.06 is read as written, not as the nearest double");
    assert_eq!(l(2).token_class, Some(TokenClass::Output));
    assert_eq!(l(3).billed, Nanos(12_345_679), "ten places round half to even at nine");
    assert_eq!(l(4).token_class, None);
    assert_eq!(l(4).day, day(3));
    assert!(got.lines.iter().all(|(f, l)| f == "openai:openai" && l.currency == "USD" && l.provider == "openai"));
    let total: i64 = got.lines.iter().map(|(_, l)| l.billed.0).sum();
    assert_eq!(Nanos(total), usd("8.5068456790"));
}

#[test]
fn anthropic_amounts_are_cents() {
    let got =
        read(BillSource::Anthropic, include_bytes!("../../tests/fixtures/bills/anthropic_cost_report.json")).unwrap();
    assert_eq!(got.days.len(), 2);
    let billed: Vec<Nanos> = got.lines.iter().map(|(_, l)| l.billed).collect();
    assert_eq!(billed, vec![usd("1.2345"), usd("6"), usd("0.375"), usd("0.03"), usd("0.01")]);
    let classes: Vec<Option<TokenClass>> = got.lines.iter().map(|(_, l)| l.token_class).collect();
    use TokenClass::*;
    assert_eq!(classes, vec![Some(Input), Some(Output), Some(CacheWrite), Some(CacheRead), None]);
    assert_eq!(got.lines[3].1.service_tier.as_deref(), Some("batch"));
    assert_eq!(got.lines[0].1.account.as_deref(), Some("wrkspc_01"));
}

#[test]
fn focus_keeps_ai_usage_rows_and_says_why_it_skips() {
    let got = read(BillSource::Focus, include_bytes!("../../tests/fixtures/bills/focus_aws_1_2.csv")).unwrap();
    assert_eq!(got.lines.len(), 3, "compute and tax rows are left out");
    assert_eq!(
        got.feeds.iter().collect::<Vec<_>>(),
        vec!["focus:aws:111122223333"],
        "the issuer and the billing account"
    );
    assert_eq!(got.periods.iter().copied().collect::<Vec<_>>(), vec![day(1)], "the billing period, named by every row");
    let (input, output) = (&got.lines[0].1, &got.lines[1].1);
    assert_eq!(
        (input.provider.as_str(), input.tokens, input.token_class),
        ("bedrock", Some(110_000), Some(TokenClass::Input))
    );
    assert_eq!((output.tokens, output.token_class), (Some(100_000), Some(TokenClass::Output)), "1K Tokens × 100");
    assert_eq!(output.billed, usd("1.5"));
    assert_eq!(got.skipped.len(), 1);
    assert_eq!(got.skipped[0].row, 6);
    assert!(got.skipped[0].reason.contains("BilledCost \"n/a\""), "{:?}", got.skipped);
}

#[test]
fn focus_1_3_reads_service_provider_and_utc_days() {
    let got = read(BillSource::Focus, include_bytes!("../../tests/fixtures/bills/focus_azure_1_3.csv")).unwrap();
    let l = &got.lines[0].1;
    assert_eq!(l.day, NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(), "00:00 at +01:00 is 23:00 UTC the day before");
    assert_eq!((l.provider.as_str(), l.currency.as_str(), l.tokens), ("azure", "EUR", Some(10_000)));
    assert_eq!(got.lines[0].0, "focus:microsoft:");
    assert_eq!(
        got.periods.iter().copied().collect::<Vec<_>>(),
        vec![NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()],
        "without BillingPeriodStart, the charge's month"
    );
    let m = matching::match_line(BillSource::Focus, l, &[], &catalog());
    assert_eq!((m.model.as_deref(), m.token_class), (Some("gpt-4o-mini"), Some(TokenClass::Input)));
}

#[test]
fn a_file_of_the_wrong_shape_names_the_body() {
    let e = read(BillSource::Focus, b"Cost,Currency\n1,USD\n").unwrap_err();
    assert_eq!(e.field, "body");
    assert!(e.reason.contains("BilledCost"), "{}", e.reason);
    let e = read(BillSource::OpenAi, b"{\"object\": \"list\"}").unwrap_err();
    assert!(e.reason.starts_with("not an OpenAI costs page"), "{}", e.reason);
    assert_eq!(BillSource::parse("aws").unwrap_err().field, "source");
}

#[test]
fn a_bedrock_call_and_the_makers_bill_meet_on_one_model() {
    let c = catalog();
    let call = matching::model_key(&c, "bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0");
    let bill = matching::model_key(&c, "anthropic", "claude-sonnet-4-5-20250929");
    let vertex = matching::model_key(&c, "vertex_ai", "claude-sonnet-4-5@20250929");
    assert_eq!(
        (call.as_str(), bill.as_str(), vertex.as_str()),
        ("claude-sonnet-4-5", "claude-sonnet-4-5", "claude-sonnet-4-5")
    );
    let aws = read(BillSource::Focus, include_bytes!("../../tests/fixtures/bills/focus_aws_1_2.csv")).unwrap();
    let titan = &aws.lines[2].1;
    let m = matching::match_line(BillSource::Focus, titan, &[], &c);
    assert_eq!(m.model, None, "no catalog model is named in a Titan line");
    let rule = MappingRule {
        id: 1,
        source: Some(BillSource::Focus),
        pattern: "TitanEmbedTextV2".into(),
        provider: None,
        model: Some("amazon.titan-embed-text-v2:0".into()),
        token_class: Some(TokenClass::Input),
    };
    let m = matching::match_line(BillSource::Focus, titan, &[rule], &c);
    assert_eq!((m.rule, m.model.is_some()), (Some(1), true));
}

fn bill(provider: &str, model: &str, class: TokenClass, amount: &str, d: u32) -> BillPart {
    let source = if provider == "openai" { BillSource::OpenAi } else { BillSource::Anthropic };
    BillPart {
        source,
        line: BillLine {
            day: day(d),
            provider: provider.into(),
            billed: usd(amount),
            currency: "USD".into(),
            model: Some(model.into()),
            token_class: Some(class),
            service_tier: None,
            account: None,
            description: format!("{model}, {}", class.as_str()),
            tokens: None,
            period: None,
        },
    }
}

fn spent(provider: &str, model: &str, d: u32, cost: &str, input: i64, output: i64) -> AttributedPart {
    AttributedPart {
        day: day(d),
        provider: provider.into(),
        model: model.into(),
        totals: Totals { cost: usd(cost), calls: 10, input_tokens: input, output_tokens: output, ..Totals::default() },
    }
}

#[test]
fn reconcile_explains_a_discount_an_uninstrumented_job_and_dropped_cache_writes() {
    use TokenClass::*;
    let bills = vec![
        bill("openai", "gpt-4o-mini-2024-07-18", Input, "1.395", 1),
        bill("openai", "gpt-4o-mini-2024-07-18", Output, "0.558", 1),
        bill("openai", "text-embedding-3-large", Input, "5.00", 1),
        bill("anthropic", "claude-sonnet-4-5-20250929", Input, "3.00", 1),
        bill("anthropic", "claude-sonnet-4-5-20250929", Output, "15.00", 1),
        bill("anthropic", "claude-sonnet-4-5-20250929", CacheWrite, "3.75", 1),
    ];
    let calls = vec![
        spent("openai", "gpt-4o-mini", 1, "2.10", 10_000_000, 1_000_000),
        spent("anthropic", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", 1, "18.00", 1_000_000, 1_000_000),
        spent("anthropic", "claude-sonnet-4-5", 2, "1.00", 1, 1),
    ];
    let q = ReconcileQuery { from: day(1), to: day(3), by_model: true, by_day: false };
    let c = catalog();
    let l = ledger(&q, &bills, &calls, &[], &c);
    let f = findings::findings(&l);
    let r = report::reconciliation(&q, &l, f);
    let t = &r.totals[0];
    assert_eq!((t.billed, t.attributed, t.gap), (usd("28.703"), usd("20.10"), usd("8.603")));
    assert_eq!(t.coverage.as_deref(), Some("0.700275"));
    assert_eq!(r.unbilled, usd("1.00"), "the 2nd has calls and no bill");
    let kinds: Vec<(&str, &str, Nanos)> =
        r.findings.iter().map(|f| (f.kind.as_str(), f.provider.as_str(), f.amount)).collect();
    assert_eq!(
        kinds,
        vec![
            ("missing_token_class", "anthropic", usd("3.75")),
            ("uninstrumented", "openai", usd("5.00")),
            ("price_difference", "openai", usd("-0.147")),
        ]
    );
    assert!(r.findings[2].text.contains("93.00%"), "{}", r.findings[2].text);
    assert_eq!(r.unexplained, Some(Nanos::ZERO));
    let sonnet = r.groups.iter().find(|g| g.model.as_deref() == Some("claude-sonnet-4-5")).unwrap();
    assert_eq!(
        (sonnet.billed, sonnet.attributed),
        (usd("21.75"), usd("18.00")),
        "a Bedrock-spelled call meets the bill"
    );
    let per_group: i64 = r.groups.iter().map(|g| g.gap.0).sum();
    assert_eq!(Nanos(per_group), t.gap, "groups add up to the total");
}

#[test]
fn reconcile_parameters_name_the_field() {
    let p = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    };
    let q = ReconcileQuery::from_params(&p(&[]), day(17)).unwrap();
    assert_eq!((q.from, q.to, q.by_model), (day(1), day(18), false));
    let q = ReconcileQuery::from_params(
        &p(&[("group_by", "provider,model,day"), ("from", "2026-11-02"), ("to", "2026-11-02")]),
        day(17),
    )
    .unwrap();
    assert_eq!((q.from, q.to, q.by_model, q.by_day), (day(2), day(3), true, true));
    let e = ReconcileQuery::from_params(&p(&[("group_by", "team")]), day(17)).unwrap_err();
    assert_eq!(e.field, "group_by");
    let e = ReconcileQuery::from_params(&p(&[("from", "2026-11-20")]), day(17)).unwrap_err();
    assert_eq!(e.field, "from");
}

#[test]
fn a_class_billed_above_the_typical_ratio_is_under_reported_and_unpriced_calls_are_named() {
    use TokenClass::*;
    let bills = vec![
        bill("anthropic", "claude-sonnet-4-5", Input, "3.00", 1),
        bill("anthropic", "claude-sonnet-4-5", Output, "15.00", 1),
        bill("anthropic", "claude-sonnet-4-5", CacheWrite, "7.50", 1),
        bill("anthropic", "claude-haiku-4-5", Input, "1.00", 1),
        bill("anthropic", "claude-haiku-4-5", Output, "5.00", 1),
        bill("openai", "ft:gpt-4.1-mini:acme:onboarding-v3", Input, "2.00", 1),
    ];
    let mut sonnet = spent("anthropic", "claude-sonnet-4-5", 1, "21.75", 2_000_000, 1_000_000);
    sonnet.totals.cache_write_tokens = 1_000_000;
    let mut ft = spent("openai", "ft:gpt-4.1-mini:acme:onboarding-v3", 1, "0", 5_000, 100);
    ft.totals.unpriced_calls = 10;
    let calls = vec![sonnet, spent("anthropic", "claude-haiku-4-5", 1, "6.00", 1_000_000, 1_000_000), ft];
    let q = ReconcileQuery { from: day(1), to: day(2), by_model: true, by_day: false };
    let l = ledger(&q, &bills, &calls, &[], &catalog());
    let r = report::reconciliation(&q, &l, findings::findings(&l));
    let kinds: Vec<(&str, Option<&str>, Nanos)> =
        r.findings.iter().map(|f| (f.kind.as_str(), f.token_class.as_deref(), f.amount)).collect();
    assert_eq!(
        kinds,
        vec![("under_reported_token_class", Some("cache_write"), usd("3.75")), ("unpriced", None, usd("2.00"))]
    );
    assert_eq!(r.unexplained, Some(Nanos::ZERO));
    let s = r.groups.iter().find(|g| g.model.as_deref() == Some("claude-sonnet-4-5")).unwrap();
    let shares: Vec<(&str, Nanos)> = s.classes.iter().map(|c| (c.class.as_str(), c.attributed)).collect();
    assert_eq!(shares, vec![("cache_write", usd("3.75")), ("input", usd("3.00")), ("output", usd("15.00"))]);
}

#[test]
fn overlapping_saved_polls_count_a_day_once_as_the_later_says() {
    let page = |value: &str| {
        format!(
            r#"{{"object": "page", "has_more": false, "next_page": null, "data": [{{"object": "bucket", "start_time": 1793491200,
            "end_time": 1793577600, "results": [{{"object": "organization.costs.result", "amount": {{"value": {value}, "currency": "usd"}},
            "line_item": "gpt-4o, input", "project_id": null}}]}}]}}"#
        )
    };
    let file = format!("[{}, {}]", page("1.0"), page("1.5"));
    let got = read(BillSource::OpenAi, file.as_bytes()).unwrap();
    assert_eq!(got.lines.len(), 1, "the 1st appears in both polls");
    assert_eq!(got.lines[0].1.billed, usd("1.5"));
}

#[test]
fn a_correction_in_a_later_period_keeps_its_day_and_its_own_period() {
    let csv = "BilledCost,BillingCurrency,ChargePeriodStart,ChargeCategory,ChargeClass,ChargeDescription,ProviderName,ServiceCategory,ServiceName,BillingAccountId,BillingPeriodStart\n\
               -5,USD,2026-11-15T00:00:00Z,Usage,Correction,Claude Sonnet 4.5 input tokens,AWS,AI and Machine Learning,Amazon Bedrock,1,2026-12-01T00:00:00Z\n\
               7,USD,2026-12-02T00:00:00Z,Usage,,EC2,AWS,Compute,Amazon EC2,1,2026-12-01T00:00:00Z\n";
    let got = read(BillSource::Focus, csv.as_bytes()).unwrap();
    assert_eq!(got.lines.len(), 1);
    assert_eq!((got.lines[0].1.day, got.lines[0].1.billed), (day(15), Nanos(-5_000_000_000)));
    assert_eq!(got.lines[0].1.period, Some(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()));
    assert_eq!(got.periods.len(), 1, "December is restated; November's own lines are not touched");
}

#[test]
fn sharing_a_large_gap_by_large_spend_does_not_overflow() {
    // $300,000 shared by two groups of $300,000 each, in nano-dollars: the product passes Decimal's range.
    let gap = 300_000_000_000_000i64;
    let shares = crate::attribution::shares::apportion(
        gap,
        &[rust_decimal::Decimal::from(gap), rust_decimal::Decimal::from(gap)],
    );
    assert_eq!(shares, vec![gap / 2, gap / 2]);
}
