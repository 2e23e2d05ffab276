//! Conformance cases for bills: a feed's days restated by a re-import (never
//! doubled, other feeds untouched), runs recorded, mapping rules kept, and a
//! reconcile of imported bills against stored calls exact to the nano-dollar.

use chrono::{NaiveDate, Utc};
use domain::invoice::{self, BillLine, BillSource, MappingRule, TokenClass};
use domain::{Catalog, Nanos};
use std::sync::Arc;
use store::{NewBillImport, Store};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

fn usd(s: &str) -> Nanos {
    Nanos::from_usd(s.parse().unwrap()).unwrap()
}

fn run(source: BillSource, lines: usize) -> NewBillImport {
    NewBillImport {
        source,
        trigger: "upload".into(),
        actor: "admin@example.com".into(),
        started: Utc::now(),
        finished: Utc::now(),
        ok: true,
        lines: lines as i64,
        first_day: Some(day(1)),
        last_day: Some(day(3)),
        detail: "{}".into(),
    }
}

async fn import(s: &Arc<dyn Store>, source: BillSource, text: &[u8]) -> i64 {
    let got = invoice::read(source, text).unwrap();
    let feeds: Vec<String> = got.feeds.iter().cloned().collect();
    let days: Vec<NaiveDate> = got.days.iter().copied().collect();
    let periods: Vec<NaiveDate> = got.periods.iter().copied().collect();
    s.replace_bill_lines(&feeds, &days, &periods, &got.lines, &run(source, got.lines.len())).await.unwrap()
}

async fn billed(s: &Arc<dyn Store>) -> (i64, usize) {
    let parts = s.bill_parts(day(1), day(30)).await.unwrap();
    (parts.iter().map(|p| p.line.billed.0).sum(), parts.len())
}

const OPENAI: &[u8] = include_bytes!("../../../domain/tests/fixtures/bills/openai_costs.json");
const ANTHROPIC: &[u8] = include_bytes!("../../../domain/tests/fixtures/bills/anthropic_cost_report.json");

pub async fn bills_restate_a_feeds_days_and_never_double(s: Arc<dyn Store>) {
    // Two processes importing a feed nobody imported before, at once (two connector polls at start-up):
    // each transaction's delete finds nothing, so only the feed's lock keeps both sets from landing.
    let racers: Vec<_> = (0..8)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { import(&s, BillSource::Anthropic, ANTHROPIC).await })
        })
        .collect();
    for r in racers {
        r.await.unwrap();
    }
    assert_eq!(billed(&s).await, (usd("7.6495").0, 5), "one set of lines, not eight");
    let feed = invoice::anthropic_cost::FEED.to_string();
    let days: Vec<NaiveDate> = (1..=30).map(day).collect();
    s.replace_bill_lines(std::slice::from_ref(&feed), &days, &[], &[], &run(BillSource::Anthropic, 0)).await.unwrap();
    assert_eq!(billed(&s).await, (0, 0), "a poll that finds nothing clears the days it covers");
    import(&s, BillSource::OpenAi, OPENAI).await;
    assert_eq!(billed(&s).await, (usd("8.506845679").0, 6));
    // Two processes importing the same feed at once (two connector polls): still never doubled.
    let (a, b) = tokio::join!(import(&s, BillSource::OpenAi, OPENAI), import(&s, BillSource::OpenAi, OPENAI));
    assert_ne!(a, b);
    assert_eq!(billed(&s).await, (usd("8.506845679").0, 6), "importing twice restates, never doubles");
    import(&s, BillSource::Anthropic, ANTHROPIC).await;
    assert_eq!(billed(&s).await.0, usd("8.506845679").0 + usd("7.6495").0);
    // OpenAI restates the 1st: one line of $1.00 replaces its four; the 3rd is untouched.
    let line = BillLine {
        day: day(1),
        provider: "openai".into(),
        billed: usd("1.00"),
        currency: "USD".into(),
        model: Some("gpt-4o-2024-08-06".into()),
        token_class: Some(TokenClass::Input),
        service_tier: None,
        account: None,
        description: "gpt-4o-2024-08-06, input".into(),
        tokens: None,
        period: None,
    };
    let feed = invoice::openai_costs::FEED.to_string();
    s.replace_bill_lines(
        std::slice::from_ref(&feed),
        &[day(1)],
        &[],
        &[(feed.clone(), line)],
        &run(BillSource::OpenAi, 1),
    )
    .await
    .unwrap();
    assert_eq!(billed(&s).await.0, usd("1.00").0 + usd("3.00").0 + usd("7.6495").0);
    assert_eq!(s.bill_parts(day(2), day(3)).await.unwrap().len(), 0, "to is exclusive and the 2nd is empty");
    let runs = s.bill_imports(10).await.unwrap();
    assert_eq!(runs.len(), 10);
    assert_eq!(runs[0].run.lines, 1, "newest first");
    let failed =
        NewBillImport { ok: false, lines: 0, detail: "{\"error\":\"401\"}".into(), ..run(BillSource::Anthropic, 0) };
    s.record_bill_import(&failed).await.unwrap();
    assert!(!s.bill_imports(1).await.unwrap()[0].run.ok);
    let rule = MappingRule {
        id: 0,
        source: Some(BillSource::Focus),
        pattern: "TitanEmbed".into(),
        provider: Some("bedrock".into()),
        model: Some("amazon.titan-embed-text-v2:0".into()),
        token_class: Some(TokenClass::Input),
    };
    let a = s.add_bill_rule(&rule, "admin", Utc::now()).await.unwrap();
    let b = s
        .add_bill_rule(&MappingRule { pattern: "other".into(), source: None, ..rule.clone() }, "admin", Utc::now())
        .await
        .unwrap();
    let rules = s.bill_rules().await.unwrap();
    assert_eq!(rules.iter().map(|r| r.id).collect::<Vec<_>>(), vec![a, b]);
    assert_eq!(rules[0], MappingRule { id: a, ..rule });
    assert_eq!(rules[1].source, None);
    assert!(s.delete_bill_rule(a).await.unwrap());
    assert!(!s.delete_bill_rule(a).await.unwrap());
}

const AWS: &[u8] = include_bytes!("../../../domain/tests/fixtures/bills/focus_aws_1_2.csv");

pub async fn focus_files_restate_their_billing_period(s: Arc<dyn Store>) {
    import(&s, BillSource::Focus, AWS).await;
    let november = |s: &Arc<dyn Store>| {
        let s = s.clone();
        async move { s.bill_parts(day(1), day(30)).await.unwrap().iter().map(|p| p.line.billed.0).sum::<i64>() }
    };
    assert_eq!(november(&s).await, usd("2.58").0, "0.33 + 1.5 + 0.75");
    // December's file corrects November 15th by -$0.50: November's own lines stay.
    let december = "BilledCost,BillingCurrency,ChargePeriodStart,ChargeCategory,ChargeClass,ChargeDescription,InvoiceIssuerName,ProviderName,ServiceCategory,ServiceName,BillingAccountId,BillingPeriodStart\n\
        -0.5,USD,2026-11-15T00:00:00Z,Usage,Correction,Claude Sonnet 4.5 input tokens,AWS,AWS,AI and Machine Learning,Amazon Bedrock,111122223333,2026-12-01T00:00:00Z\n";
    import(&s, BillSource::Focus, december.as_bytes()).await;
    assert_eq!(november(&s).await, usd("2.08").0);
    import(&s, BillSource::Focus, december.as_bytes()).await;
    assert_eq!(november(&s).await, usd("2.08").0, "re-importing December restates December only");
    import(&s, BillSource::Focus, AWS).await;
    assert_eq!(november(&s).await, usd("2.08").0, "re-importing November keeps December's correction");
    // Another payer account's file, same issuer, same period: nothing of the first is touched.
    let other =
        String::from_utf8(AWS.to_vec()).unwrap().replace(",111122223333,2026-11-01", ",999988887777,2026-11-01");
    import(&s, BillSource::Focus, other.as_bytes()).await;
    assert_eq!(november(&s).await, usd("2.08").0 + usd("2.58").0);
}

pub async fn reconcile_sets_bills_against_stored_calls_exactly(s: Arc<dyn Store>) {
    let catalog = Catalog::from_json(include_str!("../../../catalog/prices.json")).unwrap();
    // Calls on the 1st: gpt-4o-2024-08-06 at list price; one Bedrock-spelled Claude call booked to anthropic.
    let call = |id: &str, at: &str, model: &str, provider: &str, input: i64, output: i64| {
        catalog.price(domain::Event {
            id: id.into(),
            timestamp: crate::cases::t(at),
            model: model.into(),
            provider: Some(provider.into()),
            usage: domain::Usage { input_tokens: input, output_tokens: output, ..Default::default() },
            cost: None,
            task_id: None,
            tags: domain::TagSet::new(),
            usage_note: None,
        })
    };
    let events = vec![
        call("r1", "2026-11-01T10:00:00Z", "gpt-4o-2024-08-06", "openai", 1_000_000, 100_000),
        call("r2", "2026-11-01T11:00:00Z", "claude-sonnet-4-5-20250929", "anthropic", 150_000, 20_000),
        call("r3", "2026-11-03T09:00:00Z", "claude-sonnet-4-5-20250929", "anthropic", 1_000, 0),
    ];
    s.insert_events(&events).await.unwrap();
    let recorded: Vec<Nanos> = events.iter().map(|e| e.cost.unwrap()).collect();
    assert_eq!(recorded[0], usd("3.50"), "1M input × $2.50 + 100k output × $10");
    assert_eq!(recorded[1], usd("0.75"), "150k × $3 + 20k × $15");
    import(&s, BillSource::OpenAi, OPENAI).await;
    import(&s, BillSource::Anthropic, ANTHROPIC).await;
    let q = invoice::ReconcileQuery { from: day(1), to: day(4), by_model: true, by_day: false };
    let bills = s.bill_parts(q.from, q.to).await.unwrap();
    let spent = s.spend_by_model_day(q.from, q.to).await.unwrap();
    let ledger = invoice::reconcile::ledger(&q, &bills, &spent, &[], &catalog);
    let r = invoice::report::reconciliation(&q, &ledger, invoice::findings::findings(&ledger));
    let t = &r.totals[0];
    // Billed: OpenAI 8.506845679 + Anthropic 7.6495; attributed: the 1st's two calls (the 3rd has no Anthropic bill).
    assert_eq!((t.billed, t.attributed), (usd("16.156345679"), usd("4.25")));
    assert_eq!(t.gap, usd("11.906345679"));
    assert_eq!(t.coverage.as_deref(), Some("0.263055"));
    assert_eq!(r.unbilled, recorded[2], "the 3rd's call has no Anthropic bill line");
    let gpt = r.groups.iter().find(|g| g.model.as_deref() == Some("gpt-4o-2024-08-06")).unwrap();
    assert_eq!((gpt.billed, gpt.attributed), (usd("7.9945"), usd("3.50")));
    let spend_total: i64 = spent.iter().map(|p| p.totals.cost.0).sum();
    assert_eq!(spend_total, recorded.iter().map(|n| n.0).sum::<i64>(), "the same sums as the spend API");
}
