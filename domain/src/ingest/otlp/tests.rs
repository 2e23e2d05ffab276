//! Unit tests of reading GenAI spans as events.

use super::*;

fn s(k: &str, v: &str) -> (String, AttrValue) {
    (k.into(), AttrValue::Str(v.into()))
}
fn i(k: &str, v: i64) -> (String, AttrValue) {
    (k.into(), AttrValue::Int(v))
}

fn span(attributes: Vec<(String, AttrValue)>) -> Span {
    Span {
        trace_id: "0af7651916cd43dd8448eb211c80319c".into(),
        span_id: "b7ad6b7169203331".into(),
        name: "chat gpt-4o".into(),
        end_unix_nano: 1_764_400_000_123_456_789,
        attributes,
        resource: vec![s("service.name", "support-bot"), s("bursar.team", "support")].into(),
    }
}

#[test]
fn new_attribute_names_map_to_an_event() {
    let sp = span(vec![
        s("gen_ai.provider.name", "openai"),
        s("gen_ai.request.model", "gpt-4o"),
        s("gen_ai.response.model", "gpt-4o-2024-08-06"),
        i("gen_ai.usage.input_tokens", 1200),
        i("gen_ai.usage.output_tokens", 300),
        i("gen_ai.usage.cache_read.input_tokens", 1000),
        s("gen_ai.agent.name", "refund-agent"),
        s("bursar.user", "ana"),
    ]);
    let e = sp.to_event(&Mapping::default()).unwrap().unwrap();
    assert_eq!(e.id, "otlp-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331");
    assert_eq!(e.model, "gpt-4o-2024-08-06");
    assert_eq!(e.provider.as_deref(), Some("openai"));
    assert_eq!((e.usage.input_tokens, e.usage.output_tokens), (1200, 300));
    assert_eq!(e.usage.cache_read_tokens, 1000);
    assert_eq!(e.task_id.as_deref(), Some("0af7651916cd43dd8448eb211c80319c"));
    assert_eq!(e.timestamp.to_rfc3339_opts(chrono::SecondsFormat::Micros, true), "2025-11-29T07:06:40.123456Z");
    let tags: Vec<(&str, &str)> = e.tags.0.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        tags,
        vec![("product", "support-bot"), ("team", "support"), ("user", "ana"), ("workflow", "refund-agent")]
    );
}

#[test]
fn old_attribute_names_are_read_too() {
    let sp = span(vec![
        s("gen_ai.system", "anthropic"),
        s("gen_ai.request.model", "claude-sonnet-4-5"),
        i("gen_ai.usage.prompt_tokens", 50),
        i("gen_ai.usage.completion_tokens", 7),
        i("gen_ai.usage.cache_read_input_tokens", 20),
        i("gen_ai.usage.cache_creation_input_tokens", 30),
        s("gen_ai.conversation.id", "conv-9"),
    ]);
    let mapping = Mapping { task_attribute: Some("gen_ai.conversation.id".into()), ..Mapping::default() };
    let e = sp.to_event(&mapping).unwrap().unwrap();
    assert_eq!((e.provider.as_deref(), e.model.as_str()), (Some("anthropic"), "claude-sonnet-4-5"));
    assert_eq!((e.usage.input_tokens, e.usage.output_tokens), (50, 7));
    assert_eq!((e.usage.cache_read_tokens, e.usage.cache_write_tokens), (20, 30));
    assert_eq!(e.task_id.as_deref(), Some("conv-9"));
    let cached = span(vec![s("gen_ai.request.model", "gpt-4o"), i("gen_ai.usage.input_tokens.cached", 5)]);
    assert_eq!(cached.to_event(&Mapping::default()).unwrap().unwrap().usage.cache_read_tokens, 5);
}

#[test]
fn other_spans_are_not_calls_and_bad_counts_reach_validation() {
    assert!(span(vec![s("http.method", "GET")]).to_event(&Mapping::default()).is_none());
    let bad = span(vec![s("gen_ai.request.model", "gpt-4o"), i("gen_ai.usage.input_tokens", -5)]);
    let err = bad.to_event(&Mapping::default()).unwrap().unwrap_err();
    assert_eq!(err.error.field, "input_tokens");
}

#[test]
fn mappings_read_from_lines_and_fall_back() {
    let m =
        Mapping::parse("app.feature => workflow\n\n  deployment.environment=>env ", "gen_ai.conversation.id").unwrap();
    assert_eq!(
        m.tags,
        vec![("app.feature".into(), "workflow".into()), ("deployment.environment".into(), "env".into())]
    );
    assert_eq!(m.lines(), "app.feature => workflow\ndeployment.environment => env");
    assert_eq!(Mapping::parse("no arrow", "").unwrap_err().field, "tags[0]");
    assert!(Mapping::parse("a => bad key", "").is_err());
    let env = Mapping {
        tags: vec![("app.feature".into(), "team".into()), ("x".into(), "y".into())],
        task_attribute: Some("t".into()),
    };
    let merged = m.then(&env);
    assert_eq!(merged.tags.len(), 3);
    assert_eq!(merged.tags[0].1, "workflow", "the saved mapping wins");
    assert_eq!(merged.task_attribute.as_deref(), Some("gen_ai.conversation.id"));
}

#[test]
fn configured_tags_win_over_the_defaults() {
    let sp = span(vec![s("gen_ai.request.model", "gpt-4o"), s("app.feature", "triage")]);
    let m = Mapping {
        tags: vec![("app.feature".into(), "workflow".into()), ("service.name".into(), "team".into())],
        task_attribute: None,
    };
    let tags = sp.to_event(&m).unwrap().unwrap().tags;
    assert_eq!(tags.get("workflow"), Some("triage"));
    // bursar.team (resource) overrides the configured service.name → team.
    assert_eq!(tags.get("team"), Some("support"));
}
