//! Unit tests of `alert`.

use super::*;

#[test]
fn slack_text_cannot_mention_or_link_through_a_tag_value() {
    let now = chrono::Utc::now();
    let mut a = Alert::sample(now, "Search & <b>");
    a.message = None;
    a.split_value = Some("<!channel> <https://evil.example|Alert history>".into());
    let body = webhook_body(&a, Some("https://bursar.example.com/alerts"));
    let text = body["text"].as_str().unwrap();
    assert!(!text.contains('<') && !text.contains('>'), "{text}");
    assert!(text.contains("&lt;!channel&gt; &lt;https://evil.example|Alert history&gt;"), "{text}");
    assert!(text.contains("Search &amp; &lt;b&gt;"), "{text}");
    let section = body["blocks"][0]["text"]["text"].as_str().unwrap();
    assert!(section.contains("&lt;!channel&gt;") && !section.contains("<!channel>"), "{section}");
    // The link Bursar itself adds stays a link; the data beside the text is the raw value.
    let context = body["blocks"][1]["elements"][0]["text"].as_str().unwrap();
    assert!(context.ends_with("<https://bursar.example.com/alerts|Alert history>"), "{context}");
    assert_eq!(body["alert"]["split_value"], "<!channel> <https://evil.example|Alert history>");
    assert_eq!(slack_escape("a&b<c>d"), "a&amp;b&lt;c&gt;d");
}

const LIMIT: Nanos = Nanos(100_000_000_000); // $100

#[test]
fn a_threshold_fires_when_spend_reaches_it() {
    let d = |b: i64, a: i64| crossings(LIMIT, &[50, 80, 100], false, b * 1_000_000_000, a * 1_000_000_000);
    assert_eq!(d(10, 49), vec![]);
    assert_eq!(d(49, 50), vec![(AlertKind::Threshold, 50)]);
    assert_eq!(d(10, 85), vec![(AlertKind::Threshold, 50), (AlertKind::Threshold, 80)]);
    assert_eq!(d(50, 79), vec![], "50% was crossed before, not now");
    assert_eq!(d(99, 150), vec![(AlertKind::Threshold, 100)]);
}

#[test]
fn on_a_hard_cap_the_cap_alert_replaces_100_percent() {
    let d = crossings(LIMIT, &[80, 100, 120], true, 0, 130_000_000_000);
    assert_eq!(d, vec![(AlertKind::Threshold, 80), (AlertKind::Threshold, 120), (AlertKind::Cap, 100)]);
    assert_eq!(crossings(LIMIT, &[], true, 99_999_999_999, 100_000_000_000), vec![(AlertKind::Cap, 100)]);
}

#[test]
fn levels_round_up_to_the_nano_dollar() {
    assert_eq!(level(Nanos(3), 50), 2);
    assert_eq!(level(LIMIT, 1000), 1_000_000_000_000);
}

#[test]
fn forecasts_project_the_run_rate() {
    let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
    let (start, end) = (t("2026-11-01T00:00:00Z"), t("2026-12-01T00:00:00Z"));
    assert_eq!(forecast(Nanos(1000), start, end, t("2026-11-16T00:00:00Z")), Some(Nanos(2000)));
    assert_eq!(forecast(Nanos(1000), start, end, t("2026-11-02T00:00:00Z")), None, "too early to say");
    assert_eq!(forecast(Nanos(1000), start, end, t("2026-12-02T00:00:00Z")), None, "over");
}

#[test]
fn backoff_doubles_up_to_an_hour() {
    assert_eq!(backoff(1).num_seconds(), 10);
    assert_eq!(backoff(2).num_seconds(), 20);
    assert_eq!(backoff(4).num_seconds(), 80);
    assert_eq!(backoff(30).num_seconds(), 3600);
}

#[test]
fn the_webhook_body_is_slack_shaped_with_the_alert_beside_it() {
    let t = DateTime::parse_from_rfc3339("2026-11-28T10:00:00Z").unwrap().with_timezone(&Utc);
    let a = Alert {
        id: 7,
        budget_id: "b1".into(),
        budget_name: "Platform".into(),
        split_value: None,
        kind: AlertKind::Threshold,
        threshold: 80,
        spent: Nanos(4_012_000_000_000),
        limit: Nanos(5_000_000_000_000),
        forecast: None,
        period_start: t,
        period_end: t,
        fired_at: t,
        delivery: Delivery::Pending,
        webhook: None,
        attempts: 0,
        acked_by: None,
        acked_at: None,
        message: None,
    };
    let body = webhook_body(&a, Some("http://bursar/alerts"));
    assert!(body["blocks"][1]["elements"][0]["text"]
        .as_str()
        .unwrap()
        .ends_with("<http://bursar/alerts|Alert history>"));
    assert_eq!(body["text"], "Bursar: Platform crossed 80%: $4,012.00 of $5,000.00");
    assert_eq!(body["blocks"][0]["type"], "section");
    assert_eq!(body["alert"]["spent"], "4012.00");
    assert_eq!(body["alert"]["kind"], "threshold");
}
