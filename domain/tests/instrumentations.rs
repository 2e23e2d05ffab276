//! One fixture span per instrumentation library, with the attribute names
//! and value types that library writes (README, "Instrumentations", cites
//! the source of each), read into Bursar's usage convention: input includes
//! the cache, output includes reasoning, no token lost. The real-client
//! tests (end2end/otlp_client.py) send spans made by the libraries themselves.

use domain::ingest::otlp::{AttrValue, Mapping, Span};
use domain::pricing::catalog::Catalog;
use rust_decimal::Decimal;
use std::str::FromStr;

fn s(k: &str, v: &str) -> (String, AttrValue) {
    (k.into(), AttrValue::Str(v.into()))
}
fn i(k: &str, v: i64) -> (String, AttrValue) {
    (k.into(), AttrValue::Int(v))
}
fn f(k: &str, v: f64) -> (String, AttrValue) {
    (k.into(), AttrValue::Double(v))
}

fn span(attributes: Vec<(String, AttrValue)>, resource: Vec<(String, AttrValue)>) -> Span {
    Span {
        trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
        span_id: "00f067aa0ba902b7".into(),
        name: "chat".into(),
        end_unix_nano: 1_764_400_000_000_000_000,
        attributes,
        resource: resource.into(),
    }
}

/// (input, output, cache read, cache write, reasoning, note) as stored.
fn read(sp: &Span) -> (i64, i64, i64, i64, i64, Option<String>) {
    let e = sp.to_event(&Mapping::default()).unwrap().unwrap();
    let u = e.usage;
    (u.input_tokens, u.output_tokens, u.cache_read_tokens, u.cache_write_tokens, u.reasoning_tokens, e.usage_note)
}

fn priced_usd(sp: &Span) -> Decimal {
    let cat = Catalog::from_json(include_str!("../../catalog/prices.json")).unwrap();
    let e = sp.to_event(&Mapping::default()).unwrap().unwrap();
    cat.price(e).cost.unwrap().to_usd().normalize()
}

#[test]
fn anthropic_input_without_the_cache_is_stored_whole_and_priced() {
    // The issue's case: some instrumentations copy Anthropic's input_tokens
    // (which leaves the cache out) into gen_ai.usage.input_tokens.
    let sp = span(
        vec![
            s("gen_ai.provider.name", "anthropic"),
            s("gen_ai.request.model", "claude-opus-4-5-20251101"),
            i("gen_ai.usage.input_tokens", 10),
            i("gen_ai.usage.cache_read.input_tokens", 66_360),
            i("gen_ai.usage.cache_creation.input_tokens", 32_435),
            i("gen_ai.usage.output_tokens", 5_120),
        ],
        vec![],
    );
    assert_eq!(read(&sp), (98_805, 5_120, 66_360, 32_435, 0, Some("otel-genai/cache_above_input".into())));
    assert_eq!(priced_usd(&sp), Decimal::from_str("0.36394875").unwrap());
}

#[test]
fn the_current_reasoning_attribute_is_read() {
    let sp = span(
        vec![
            s("gen_ai.provider.name", "openai"),
            s("gen_ai.response.model", "gpt-5.1"),
            i("gen_ai.usage.input_tokens", 22_118),
            i("gen_ai.usage.output_tokens", 1_970),
            i("gen_ai.usage.reasoning.output_tokens", 956),
        ],
        vec![],
    );
    assert_eq!(read(&sp), (22_118, 1_970, 0, 0, 956, None));
    assert_eq!(priced_usd(&sp), Decimal::from_str("0.0473475").unwrap());
}

#[test]
fn every_library_s_anthropic_span_comes_to_the_same_usage() {
    // One Anthropic call: 200 uncached input, 1,000 cache reads, 100 cache
    // writes, 300 output. Inclusive input is 1,300.
    let whole = |note: Option<&str>| (1_300, 300, 1_000, 100, 0, note.map(String::from));
    let cases: Vec<(&str, Span, Option<&str>)> = vec![
        (
            "OpenLLMetry 0.47 (old names)",
            span(
                vec![
                    s("gen_ai.system", "Anthropic"),
                    s("gen_ai.request.model", "claude-sonnet-4-5"),
                    i("gen_ai.usage.prompt_tokens", 1_300),
                    i("gen_ai.usage.completion_tokens", 300),
                    i("gen_ai.usage.cache_read_input_tokens", 1_000),
                    i("gen_ai.usage.cache_creation_input_tokens", 100),
                    i("llm.usage.total_tokens", 1_600),
                ],
                vec![],
            ),
            None,
        ),
        (
            "OpenInference",
            span(
                vec![
                    s("openinference.span.kind", "LLM"),
                    s("llm.model_name", "claude-sonnet-4-5"),
                    s("llm.provider", "anthropic"),
                    i("llm.token_count.prompt", 1_300),
                    i("llm.token_count.completion", 300),
                    i("llm.token_count.prompt_details.cache_read", 1_000),
                    i("llm.token_count.prompt_details.cache_write", 100),
                ],
                vec![],
            ),
            None,
        ),
        (
            "OpenLIT (Anthropic's raw input)",
            span(
                vec![
                    s("gen_ai.provider.name", "anthropic"),
                    s("gen_ai.request.model", "claude-sonnet-4-5"),
                    i("gen_ai.usage.input_tokens", 200),
                    i("gen_ai.usage.output_tokens", 300),
                    i("gen_ai.usage.cache_read.input_tokens", 1_000),
                    i("gen_ai.usage.cache_creation.input_tokens", 100),
                    f("gen_ai.usage.cost", 0.0021),
                ],
                vec![s("telemetry.sdk.name", "openlit")],
            ),
            Some("openlit/input_excludes_cache"),
        ),
        (
            "LiteLLM OTel callback",
            span(
                vec![
                    s("gen_ai.system", "anthropic"),
                    s("gen_ai.request.model", "claude-sonnet-4-5"),
                    i("gen_ai.usage.input_tokens", 1_300),
                    i("gen_ai.usage.output_tokens", 300),
                    i("gen_ai.usage.cache_read.input_tokens", 1_000),
                    i("gen_ai.usage.cache_creation.input_tokens", 100),
                    f("gen_ai.cost.total_cost", 0.0021),
                ],
                vec![],
            ),
            None,
        ),
        (
            "Vercel AI SDK 6",
            span(
                vec![
                    s("ai.model.id", "claude-sonnet-4-5"),
                    s("ai.model.provider", "anthropic.messages"),
                    i("ai.usage.inputTokens", 1_300),
                    i("ai.usage.outputTokens", 300),
                    i("ai.usage.inputTokenDetails.cacheReadTokens", 1_000),
                    i("ai.usage.inputTokenDetails.cacheWriteTokens", 100),
                ],
                vec![],
            ),
            None,
        ),
        (
            "Pydantic Logfire",
            span(
                vec![
                    s("gen_ai.provider.name", "anthropic"),
                    s("gen_ai.system", "anthropic"),
                    s("gen_ai.request.model", "claude-sonnet-4-5"),
                    i("gen_ai.usage.input_tokens", 1_300),
                    i("gen_ai.usage.output_tokens", 300),
                    i("gen_ai.usage.cache_read.input_tokens", 1_000),
                    i("gen_ai.usage.cache_creation.input_tokens", 100),
                    f("operation.cost", 0.0021),
                ],
                vec![],
            ),
            None,
        ),
        (
            "Spring AI (string counts, Anthropic's raw input)",
            span(
                vec![
                    s("spring.ai.kind", "chat_client"),
                    s("gen_ai.system", "anthropic"),
                    s("gen_ai.request.model", "claude-sonnet-4-5"),
                    s("gen_ai.usage.input_tokens", "200"),
                    s("gen_ai.usage.output_tokens", "300"),
                    s("gen_ai.usage.cache_read.input_tokens", "1000"),
                    s("gen_ai.usage.cache_creation.input_tokens", "100"),
                ],
                vec![],
            ),
            Some("spring-ai/input_excludes_cache"),
        ),
    ];
    for (name, sp, note) in cases {
        assert_eq!(read(&sp), whole(note), "{name}");
        // Sonnet 4.5: 200×$3 + 1,000×$0.30 + 100×$3.75 + 300×$15 per 1M = $0.005775.
        assert_eq!(priced_usd(&sp), Decimal::from_str("0.005775").unwrap(), "{name}");
    }
    // Vercel AI SDK 5 reports Anthropic's raw input and only cache reads.
    let v5 = span(
        vec![
            s("ai.model.id", "claude-sonnet-4-5"),
            s("ai.model.provider", "anthropic.messages"),
            i("ai.usage.inputTokens", 200),
            i("ai.usage.outputTokens", 300),
            i("ai.usage.cachedInputTokens", 1_000),
        ],
        vec![],
    );
    assert_eq!(read(&v5), (1_200, 300, 1_000, 0, 0, Some("vercel-ai-5/input_excludes_cache".into())));
}

#[test]
fn one_call_traced_by_the_sdk_and_a_library_is_one_call() {
    // The anthropic Python SDK 2.x traces its own calls (span
    // `anthropic.messages.create`, attributes as it writes them), and
    // OpenInference, wrapping the same SDK, adds its own span whose only
    // trace of the response id is the JSON it records as output.value.
    let sdk = span(
        vec![
            s("gen_ai.provider.name", "anthropic"),
            s("gen_ai.operation.name", "chat"),
            s("gen_ai.request.model", "claude-opus-4-5-20251101"),
            s("gen_ai.response.model", "claude-opus-4-5-20251101"),
            s("gen_ai.response.id", "msg_01XFDUDYJgAACzvnptvVoYEL"),
            i("gen_ai.usage.input_tokens", 98_805),
            i("gen_ai.usage.cache_read.input_tokens", 66_360),
            i("gen_ai.usage.cache_write.input_tokens", 32_435),
            i("gen_ai.usage.output_tokens", 5_120),
        ],
        vec![],
    );
    let mut oi = span(
        vec![
            s("openinference.span.kind", "LLM"),
            s("llm.provider", "anthropic"),
            s("llm.model_name", "claude-opus-4-5-20251101"),
            i("llm.token_count.prompt", 98_805),
            i("llm.token_count.completion", 5_120),
            i("llm.token_count.prompt_details.cache_read", 66_360),
            i("llm.token_count.prompt_details.cache_write", 32_435),
            s("output.mime_type", "application/json"),
            s("output.value", r#"{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","usage":{"input_tokens":10}}"#),
        ],
        vec![],
    );
    oi.span_id = "b7ad6b7169203331".into();
    assert_eq!(read(&sdk), (98_805, 5_120, 66_360, 32_435, 0, None));
    assert_eq!(priced_usd(&sdk), Decimal::from_str("0.36394875").unwrap());
    assert_eq!(sdk.call_id(), "otlp-response-msg_01XFDUDYJgAACzvnptvVoYEL");
    assert_eq!(oi.call_id(), sdk.call_id(), "the second span is the same call");
    let plain = span(vec![s("gen_ai.request.model", "gpt-4o"), i("gen_ai.usage.input_tokens", 1)], vec![]);
    assert_eq!(plain.call_id(), "otlp-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7");
}
