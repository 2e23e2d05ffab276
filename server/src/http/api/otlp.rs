//! `POST /api/otlp/v1/traces`: OTLP/HTTP trace export, so that an
//! application already instrumented with OpenTelemetry only needs
//! `OTEL_EXPORTER_OTLP_ENDPOINT=http://host:port/api/otlp` and
//! `OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer <key>` (scope `ingest`).
//!
//! Bodies are `application/x-protobuf` (the exporters' default) or
//! `application/json`, optionally gzip-encoded (decompressed size bounded).
//! Decoding is the opentelemetry-proto crate's; each GenAI span becomes an
//! event through `domain::ingest::otlp` and then the ordinary ingest path. The answer
//! is an `ExportTraceServiceResponse` in the request's encoding, with a
//! partial success naming how many spans were rejected and why; other spans
//! are ignored and counted. Errors are a `google.rpc.Status`, as OTLP says.

use super::auth::authorize_endpoint;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use domain::ingest::otlp::{AttrValue, Span};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{any_value, KeyValue};
use prost::Message;
use std::io::Read;

/// Where OTLP/HTTP exporters send traces, under `OTEL_EXPORTER_OTLP_ENDPOINT`.
pub const PATH: &str = "/api/otlp/v1/traces";

/// `google.rpc.Status`, the body of an OTLP error.
#[derive(Clone, PartialEq, prost::Message, serde::Serialize)]
pub struct Status {
    #[prost(int32, tag = "1")]
    pub code: i32,
    #[prost(string, tag = "2")]
    pub message: String,
}

/// The two encodings OTLP/HTTP allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Protobuf,
    Json,
}

impl Encoding {
    fn content_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => "application/x-protobuf",
            Encoding::Json => "application/json",
        }
    }
}

/// An OTLP error answer in the request's encoding (JSON when it could not be told).
fn error(status: StatusCode, encoding: Encoding, message: impl Into<String>) -> Response {
    // gRPC codes: 3 invalid argument, 16 unauthenticated, 7 permission denied, 8 resource exhausted.
    let code = match status {
        StatusCode::UNAUTHORIZED => 16,
        StatusCode::FORBIDDEN => 7,
        StatusCode::PAYLOAD_TOO_LARGE | StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => 8,
        s if s.is_server_error() => 13,
        _ => 3,
    };
    let s = Status { code, message: message.into() };
    let body = match encoding {
        Encoding::Protobuf => s.encode_to_vec(),
        Encoding::Json => serde_json::to_vec(&s).unwrap_or_default(),
    };
    let mut r = (status, body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(encoding.content_type()));
    r
}

fn attrs(kvs: &[KeyValue]) -> Vec<(String, AttrValue)> {
    kvs.iter()
        .map(|kv| {
            let v = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(any_value::Value::StringValue(s)) => AttrValue::Str(s.clone()),
                Some(any_value::Value::IntValue(i)) => AttrValue::Int(*i),
                Some(any_value::Value::DoubleValue(d)) => AttrValue::Double(*d),
                Some(any_value::Value::BoolValue(b)) => AttrValue::Bool(*b),
                _ => AttrValue::Other,
            };
            (kv.key.clone(), v)
        })
        .collect()
}

/// Every span of a request, each sharing its resource's attributes.
pub fn spans(req: &ExportTraceServiceRequest) -> Vec<Span> {
    let mut out = Vec::new();
    for rs in &req.resource_spans {
        let resource: std::sync::Arc<[(String, AttrValue)]> =
            rs.resource.as_ref().map(|r| attrs(&r.attributes)).unwrap_or_default().into();
        for ss in &rs.scope_spans {
            for s in &ss.spans {
                out.push(Span {
                    trace_id: hex::encode(&s.trace_id),
                    span_id: hex::encode(&s.span_id),
                    name: s.name.clone(),
                    end_unix_nano: if s.end_time_unix_nano > 0 { s.end_time_unix_nano } else { s.start_time_unix_nano },
                    attributes: attrs(&s.attributes),
                    resource: resource.clone(),
                });
            }
        }
    }
    out
}

/// Reads the body, undoing gzip, never past `limit` bytes either way.
pub fn read_body(bytes: &[u8], gzip: bool, limit: usize) -> Result<Vec<u8>, (StatusCode, String)> {
    if !gzip {
        return Ok(bytes.to_vec());
    }
    let mut out = Vec::new();
    let mut d = flate2::read::GzDecoder::new(bytes).take(limit as u64 + 1);
    d.read_to_end(&mut out).map_err(|e| (StatusCode::BAD_REQUEST, format!("body: not valid gzip ({e})")))?;
    if out.len() > limit {
        return Err((StatusCode::PAYLOAD_TOO_LARGE, format!("body: more than {limit} bytes once decompressed")));
    }
    Ok(out)
}

/// Decodes an export request, after counting what it would build: at most
/// [`MAX_SPANS_PER_REQUEST`](super::otlp_size::MAX_SPANS_PER_REQUEST) spans and
/// [`MAX_VALUES_PER_REQUEST`](domain::ingest::request_size::MAX_VALUES_PER_REQUEST)
/// attributes and values (413 naming the limit past either).
pub fn decode(bytes: &[u8], encoding: Encoding) -> Result<ExportTraceServiceRequest, (StatusCode, String)> {
    use domain::ingest::request_size::{check_json, Limits, MAX_VALUES_PER_REQUEST};
    let too_big = |b: domain::ingest::request_size::TooBig| (StatusCode::PAYLOAD_TOO_LARGE, b.to_string());
    match encoding {
        Encoding::Protobuf => super::otlp_size::check_protobuf(bytes, MAX_VALUES_PER_REQUEST).map_err(too_big)?,
        Encoding::Json => {
            let limits = Limits {
                max_values: MAX_VALUES_PER_REQUEST,
                under: Some(("spans", super::otlp_size::MAX_SPANS_PER_REQUEST)),
            };
            check_json(bytes, limits).map_err(too_big)?
        }
    }
    let bad = |m: String| (StatusCode::BAD_REQUEST, m);
    match encoding {
        Encoding::Protobuf => ExportTraceServiceRequest::decode(bytes)
            .map_err(|e| bad(format!("body: not a valid OTLP protobuf ExportTraceServiceRequest ({e})"))),
        Encoding::Json => serde_json::from_slice(bytes)
            .map_err(|e| bad(format!("body: not a valid OTLP JSON ExportTraceServiceRequest ({e})"))),
    }
}

/// Handles one export, timing it for `/metrics`.
pub async fn post_traces(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let started = std::time::Instant::now();
    let r = export(&state, &headers, body).await;
    state.metrics.otlp_latency.observe(started.elapsed());
    if !r.status().is_success() {
        state.metrics.requests_refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    r
}

async fn export(state: &AppState, headers: &HeaderMap, body: Body) -> Response {
    let ctype = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let encoding = match ctype.split(';').next().unwrap_or("").trim() {
        "application/x-protobuf" | "application/protobuf" => Some(Encoding::Protobuf),
        "application/json" => Some(Encoding::Json),
        _ => None,
    };
    // The key first: a caller without one learns nothing else about the endpoint.
    let key = match authorize_endpoint(state, headers, &Method::POST, PATH).await {
        Ok(k) => k,
        Err(e) => return error(e.status(), encoding.unwrap_or(Encoding::Json), e.to_string()),
    };
    let Some(encoding) = encoding else {
        let got = ctype.split(';').next().unwrap_or("").trim().to_string();
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Encoding::Json,
            format!("content-type: must be application/x-protobuf or application/json (got {got:?})"),
        );
    };
    let gzip = match headers.get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()).map(str::trim) {
        None | Some("") | Some("identity") => false,
        Some(e) if e.eq_ignore_ascii_case("gzip") => true,
        Some(other) => {
            return error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                encoding,
                format!("content-encoding: must be gzip or none (got {other:?})"),
            )
        }
    };
    // The slot before the body, and the body within its time: slow uploads
    // cannot hold every slot, and waiting requests hold no memory.
    let _slot = match super::body::slot(state).await {
        Ok(s) => s,
        Err(e) => return error(e.status(), encoding, e.to_string()),
    };
    let raw = match super::body::read(state, body).await {
        Ok(b) => b,
        Err(e) => return error(e.status(), encoding, e.to_string()),
    };
    let bytes = match read_body(&raw, gzip, state.config.max_body_bytes) {
        Ok(b) => b,
        Err((status, m)) => return error(status, encoding, m),
    };
    drop(raw);
    let req = match decode(&bytes, encoding) {
        Ok(r) => r,
        Err((status, m)) => return error(status, encoding, m),
    };
    let mapping = match state.catalog_service.otlp_mapping().await {
        Ok(saved) => saved.then(&state.config.otlp_mapping),
        Err(e) => {
            tracing::error!(error = %e, "reading the OpenTelemetry mapping failed");
            return error(StatusCode::SERVICE_UNAVAILABLE, encoding, "the store could not be read; retry");
        }
    };
    let all = spans(&req);
    let events: domain::ingest::event::IngestBody = all.iter().filter_map(|s| s.to_event(&mapping)).collect();
    let (total, ignored) = (all.len(), all.len() - events.len());
    drop(all);
    if events.len() > domain::ingest::event::MAX_EVENTS_PER_REQUEST {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            encoding,
            format!(
                "at most {} GenAI spans per request (got {})",
                domain::ingest::event::MAX_EVENTS_PER_REQUEST,
                events.len()
            ),
        );
    }
    drop(req);
    // Counted as an ingest request even when no span was a GenAI call.
    let report = match state.ingest.ingest(events, key.tag_limits.as_ref()).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "OTLP ingest failed");
            return error(StatusCode::SERVICE_UNAVAILABLE, encoding, "the store could not take the spans; retry");
        }
    };
    tracing::debug!(spans = total, ignored, accepted = report.accepted, "OTLP export");
    state.metrics.otlp_spans_ignored.fetch_add(ignored as u64, std::sync::atomic::Ordering::Relaxed);
    let partial = (!report.rejected.is_empty()).then(|| ExportTracePartialSuccess {
        rejected_spans: report.rejected.len() as i64,
        error_message: report
            .rejected
            .iter()
            .take(5)
            .map(|r| format!("span {}: {}", r.id.as_deref().unwrap_or("?"), r.error))
            .collect::<Vec<_>>()
            .join("; "),
    });
    let resp = ExportTraceServiceResponse { partial_success: partial };
    let body = match encoding {
        Encoding::Protobuf => resp.encode_to_vec(),
        Encoding::Json => serde_json::to_vec(&resp).unwrap_or_default(),
    };
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(encoding.content_type()));
    r.headers_mut().insert("x-bursar-ignored-spans", HeaderValue::from(ignored as u64));
    r
}

/// This resource's route (it checks its own key, so that refusals are OTLP's `Status`).
pub fn router() -> Router<AppState> {
    Router::new().route(PATH, post(post_traces))
}
