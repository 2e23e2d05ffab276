//! How much an OTLP protobuf export asks the server to build, counted on the
//! wire before it is decoded. An empty span is two bytes on the wire and a
//! few hundred in memory, so 10 MiB of them would decode to gigabytes; this
//! walks the message with prost's wire primitives, keeping nothing, and
//! stops at the first limit passed.
//!
//! Field numbers are those of `opentelemetry/proto/trace/v1/trace.proto`
//! and `common/v1/common.proto` (OTLP 1.x).

use domain::ingest::request_size::TooBig;
use prost::encoding::{decode_key, decode_varint, WireType};

/// Spans one export may hold, GenAI or not. The OpenTelemetry SDKs' batch
/// processors send at most 512 per export by default (`OTEL_BSP_MAX_EXPORT_BATCH_SIZE`).
pub const MAX_SPANS_PER_REQUEST: usize = 20_000;

/// The messages whose count bounds the decoded size, and where each nests.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Request,
    ResourceSpans,
    Resource,
    ScopeSpans,
    Scope,
    Span,
    Event,
    Link,
    KeyValue,
    AnyValue,
    List,
}

/// The message kind of field `tag` inside `kind`, when it is one Bursar counts into.
fn child(kind: Kind, tag: u32) -> Option<Kind> {
    use Kind::*;
    Some(match (kind, tag) {
        (Request, 1) => ResourceSpans,
        (ResourceSpans, 1) => Resource,
        (ResourceSpans, 2) => ScopeSpans,
        (Resource, 1) | (Scope, 3) | (Span, 9) | (Event, 3) | (Link, 4) => KeyValue,
        (ScopeSpans, 1) => Scope,
        (ScopeSpans, 2) => Span,
        (Span, 11) => Event,
        (Span, 13) => Link,
        (KeyValue, 2) => AnyValue,
        // ArrayValue and KeyValueList: `repeated … values = 1`.
        (AnyValue, 5) | (AnyValue, 6) => List,
        (List, 1) => AnyValue,
        _ => return None,
    })
}

/// Nesting deeper than this is refused (prost's own limit is 100).
const MAX_DEPTH: usize = 64;

struct Counter {
    spans: usize,
    values: usize,
    max_values: usize,
}

/// Walks an `ExportTraceServiceRequest`. Malformed protobuf passes: the real
/// decode that follows names the error.
///
/// Errors: the first limit passed, [`MAX_SPANS_PER_REQUEST`] spans or
/// `max_values` attributes, values, span events and links together.
pub fn check_protobuf(bytes: &[u8], max_values: usize) -> Result<(), TooBig> {
    if !domain::ingest::request_size::could_exceed(bytes.len(), max_values.min(MAX_SPANS_PER_REQUEST)) {
        return Ok(());
    }
    let mut c = Counter { spans: 0, values: 0, max_values };
    match walk(bytes, Kind::Request, 0, &mut c) {
        Err(Stop::Limit(b)) => Err(b),
        Err(Stop::Malformed) | Ok(()) => Ok(()),
    }
}

enum Stop {
    Limit(TooBig),
    Malformed,
}

impl From<prost::DecodeError> for Stop {
    fn from(_: prost::DecodeError) -> Stop {
        Stop::Malformed
    }
}

fn walk(mut buf: &[u8], kind: Kind, depth: usize, c: &mut Counter) -> Result<(), Stop> {
    if depth > MAX_DEPTH {
        return Err(Stop::Malformed);
    }
    while !buf.is_empty() {
        let (tag, wire) = decode_key(&mut buf)?;
        match wire {
            WireType::Varint => {
                decode_varint(&mut buf)?;
            }
            WireType::SixtyFourBit => buf = buf.get(8..).ok_or(Stop::Malformed)?,
            WireType::ThirtyTwoBit => buf = buf.get(4..).ok_or(Stop::Malformed)?,
            WireType::LengthDelimited => {
                let len = usize::try_from(decode_varint(&mut buf)?).map_err(|_| Stop::Malformed)?;
                let (inner, rest) = (buf.get(..len).ok_or(Stop::Malformed)?, &buf[len..]);
                buf = rest;
                if let Some(k) = child(kind, tag) {
                    count(k, c)?;
                    walk(inner, k, depth + 1, c)?;
                }
            }
            WireType::StartGroup | WireType::EndGroup => return Err(Stop::Malformed),
        }
    }
    Ok(())
}

fn count(kind: Kind, c: &mut Counter) -> Result<(), Stop> {
    match kind {
        Kind::Span => {
            c.spans += 1;
            if c.spans > MAX_SPANS_PER_REQUEST {
                return Err(Stop::Limit(TooBig::Under { key: "spans", max: MAX_SPANS_PER_REQUEST }));
            }
        }
        Kind::KeyValue | Kind::AnyValue | Kind::Event | Kind::Link => {
            c.values += 1;
            if c.values > c.max_values {
                return Err(Stop::Limit(TooBig::Values { max: c.max_values }));
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, ArrayValue, KeyValue};
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
    use prost::Message;

    fn kv(n: usize) -> Vec<KeyValue> {
        let v = AnyValue { value: Some(any_value::Value::IntValue(1)) };
        (0..n).map(|i| KeyValue { key: format!("k{i}"), value: Some(v.clone()) }).collect()
    }

    fn request(spans: usize, attrs: usize) -> Vec<u8> {
        let span = Span { name: "s".into(), attributes: kv(attrs), ..Default::default() };
        let ss = ScopeSpans { spans: vec![span; spans], ..Default::default() };
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans { scope_spans: vec![ss], ..Default::default() }],
        }
        .encode_to_vec()
    }

    #[test]
    fn spans_and_values_are_counted_on_the_wire() {
        assert_eq!(check_protobuf(&request(10, 3), 100), Ok(()));
        // 10 spans × 3 attributes: 30 key-values and 30 values.
        assert_eq!(check_protobuf(&request(10, 3), 59), Err(TooBig::Values { max: 59 }));
        assert_eq!(check_protobuf(&request(10, 3), 60), Ok(()));
        let many = request(MAX_SPANS_PER_REQUEST + 1, 0);
        assert_eq!(check_protobuf(&many, 1000), Err(TooBig::Under { key: "spans", max: MAX_SPANS_PER_REQUEST }));
    }

    #[test]
    fn nested_array_values_count_too() {
        let nested = AnyValue {
            value: Some(any_value::Value::ArrayValue(ArrayValue {
                values: vec![AnyValue { value: Some(any_value::Value::BoolValue(true)) }; 50],
            })),
        };
        let span = Span { attributes: vec![KeyValue { key: "a".into(), value: Some(nested) }], ..Default::default() };
        let ss = ScopeSpans { spans: vec![span], ..Default::default() };
        let req = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans { scope_spans: vec![ss], ..Default::default() }],
        };
        assert_eq!(check_protobuf(&req.encode_to_vec(), 51), Err(TooBig::Values { max: 51 }));
        assert_eq!(check_protobuf(&req.encode_to_vec(), 52), Ok(()));
    }

    #[test]
    fn malformed_bytes_are_left_to_the_decoder() {
        assert_eq!(check_protobuf(&[0x0a, 0xff], 10), Ok(()));
        assert_eq!(check_protobuf(b"", 10), Ok(()));
    }
}
