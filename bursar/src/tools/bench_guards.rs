//! What the request guards cost, against the work they guard, measured in
//! the same run: counting a body's values before it is parsed (so a small
//! body cannot decode into gigabytes) as a share of parsing it. JSON: a
//! 1,000-event ingest body, counted by `domain::ingest::request_size::check_json`
//! against `serde_json` building it. OTLP: 512 GenAI spans (the SDKs'
//! default batch) of 12 attributes, counted on the wire against prost
//! decoding them.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use std::time::{Duration, Instant};

/// Median times of counting and of parsing, for JSON and for OTLP.
pub struct GuardCost {
    pub json_count: Duration,
    pub json_parse: Duration,
    pub otlp_count: Duration,
    pub otlp_decode: Duration,
}

impl GuardCost {
    /// Counting as a share of parsing: (JSON, OTLP).
    pub fn ratios(&self) -> (f64, f64) {
        let r = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64().max(1e-9);
        (r(self.json_count, self.json_parse), r(self.otlp_count, self.otlp_decode))
    }
}

fn median_of(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn otlp_body() -> Vec<u8> {
    let s = |k: &str, v: &str| KeyValue {
        key: k.into(),
        value: Some(AnyValue { value: Some(any_value::Value::StringValue(v.into())) }),
    };
    let i = |k: &str, v: i64| KeyValue {
        key: k.into(),
        value: Some(AnyValue { value: Some(any_value::Value::IntValue(v)) }),
    };
    let spans = (0..512u64)
        .map(|n| Span {
            trace_id: n.to_be_bytes().repeat(2),
            span_id: n.to_be_bytes().to_vec(),
            name: "chat gpt-4o".into(),
            start_time_unix_nano: 1_764_400_000_000_000_000 + n,
            end_time_unix_nano: 1_764_400_001_000_000_000 + n,
            attributes: vec![
                s("gen_ai.operation.name", "chat"),
                s("gen_ai.provider.name", "openai"),
                s("gen_ai.request.model", "gpt-4o"),
                s("gen_ai.response.model", "gpt-4o-2024-08-06"),
                s("gen_ai.response.id", &format!("chatcmpl-{n}")),
                i("gen_ai.usage.input_tokens", 1_200 + n as i64),
                i("gen_ai.usage.output_tokens", 300),
                i("gen_ai.usage.cache_read.input_tokens", 1_000),
                s("gen_ai.agent.name", "bug-triage"),
                s("bursar.team", "platform"),
                s("bursar.user", &format!("user{}", n % 50)),
                s("server.address", "api.openai.com"),
            ],
            ..Default::default()
        })
        .collect();
    let resource = opentelemetry_proto::tonic::resource::v1::Resource {
        attributes: vec![s("service.name", "support-bot"), s("deployment.environment", "production")],
        ..Default::default()
    };
    let rs = ResourceSpans {
        resource: Some(resource),
        scope_spans: vec![ScopeSpans { spans, ..Default::default() }],
        ..Default::default()
    };
    ExportTraceServiceRequest { resource_spans: vec![rs] }.encode_to_vec()
}

/// Measures both, `runs` times each, on `json` (an ingest body).
pub fn measure(json: &[u8], runs: usize) -> GuardCost {
    use domain::ingest::request_size::{count_json, Limits, MAX_VALUES_PER_REQUEST};
    let limits = Limits { max_values: MAX_VALUES_PER_REQUEST, under: None };
    let json_count = median_of(runs, || assert!(count_json(json, limits).is_ok()));
    let json_parse = median_of(runs, || assert!(serde_json::from_slice::<serde_json::Value>(json).is_ok()));
    let otlp = otlp_body();
    let otlp_count =
        median_of(
            runs,
            || assert!(server::http::api::otlp_size::check_protobuf(&otlp, MAX_VALUES_PER_REQUEST).is_ok()),
        );
    let otlp_decode = median_of(runs, || assert!(ExportTraceServiceRequest::decode(otlp.as_slice()).is_ok()));
    GuardCost { json_count, json_parse, otlp_count, otlp_decode }
}
