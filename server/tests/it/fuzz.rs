//! Fuzzing the two readers of untrusted bytes: the ingest JSON body and the
//! OTLP/HTTP export request (protobuf or JSON, gzipped or not).
//!
//! proptest feeds each reader arbitrary bytes, byte-level mutations of the
//! checked-in corpus (`server/tests/fuzz/corpus/`: flips, inserts, deletions,
//! truncations, repeats and splices) and JSON-level mutations (any node of a
//! seed replaced by hostile values: huge and negative numbers, SQL, markup,
//! NUL, deep nesting). Nothing may panic. A second test sends such bodies
//! through the real router: every answer is a 2xx or a 4xx, never a 5xx, and
//! the server still ingests a good batch afterwards.
//!
//! CI runs `BURSAR_FUZZ_CASES` (default 1,500) cases per reader; for a long
//! run: `BURSAR_FUZZ_CASES=200000 cargo test -p server --test it fuzz`.
//! proptest saves any failing input under `proptest-regressions/` and replays
//! it first on the next run.

use crate::helpers::TestApp;
use axum::body::Body;
use axum::http::Request;
use domain::attribution::taxonomy::{KeyRule, Policy, Taxonomy};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};
use server::http::api::otlp::{self, Encoding};
use std::io::Write;
use std::sync::LazyLock;

fn cases() -> u32 {
    std::env::var("BURSAR_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_500)
}

/// The checked-in seeds of one reader, in file-name order.
fn corpus(dir: &str) -> Vec<Vec<u8>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus").join(dir);
    let mut paths: Vec<_> = std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    assert!(!paths.is_empty(), "no corpus in {}", root.display());
    paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

static INGEST: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| corpus("ingest"));
/// OTLP seeds: the JSON files, and each one encoded as protobuf.
static OTLP: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    use prost::Message;
    let json = corpus("otlp");
    let proto = json.iter().map(|j| otlp::decode(j, Encoding::Json).expect("a corpus file decodes").encode_to_vec());
    json.clone().into_iter().chain(proto).collect()
});
static CATALOG: LazyLock<domain::pricing::catalog::Catalog> = LazyLock::new(|| {
    domain::pricing::catalog::Catalog::from_json(include_str!("../../../catalog/prices.json")).unwrap()
});
static TAXONOMY: LazyLock<Taxonomy> = LazyLock::new(|| {
    let rule = |key: &str, required, allowed: &[&str], policy| KeyRule {
        key: key.into(),
        description: String::new(),
        required,
        allowed: allowed.iter().map(|s| s.to_string()).collect(),
        aliases: [("bug_triage".to_string(), "bug-triage".to_string())].into_iter().collect(),
        policy,
    };
    Taxonomy {
        keys: vec![
            rule("team", true, &[], Policy::Accept),
            rule("workflow", false, &[], Policy::Normalize),
            rule("task_type", false, &["agent", "chat"], Policy::Reject),
        ],
    }
});

/// Everything ingest does to a body before the store: parse, apply the taxonomy, price, key the rollups.
fn ingest_pipeline(bytes: &[u8]) {
    let Ok(body) = server::ingest::parse(bytes) else { return };
    for mut event in body.into_iter().flatten() {
        if TAXONOMY.apply(&mut event.tags).is_ok() {
            let priced = CATALOG.price(event);
            let _ = priced.event.tags.rollup_part();
        }
    }
}

/// Everything the OTLP endpoint does before ingest: gunzip, decode, map spans to events, validate them.
fn otlp_pipeline(bytes: &[u8]) {
    let mapping = domain::ingest::otlp::Mapping::parse("app.feature => workflow", "gen_ai.conversation.id").unwrap();
    for gzip in [false, true] {
        let Ok(body) = otlp::read_body(bytes, gzip, 1 << 20) else { continue };
        for encoding in [Encoding::Protobuf, Encoding::Json] {
            let Ok(req) = otlp::decode(&body, encoding) else { continue };
            for span in otlp::spans(&req) {
                let _ = span.to_event(&mapping);
            }
        }
    }
}

/// One byte-level change; positions are taken modulo the input's length.
#[derive(Clone, Debug)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize, usize),
    Truncate(usize),
    Repeat(usize, usize, u8),
    Splice(usize, usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(p, b)| Mutation::Flip(p, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Mutation::Insert(p, b)),
        (any::<usize>(), 1usize..64).prop_map(|(p, n)| Mutation::Delete(p, n)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 1usize..32, 1u8..50).prop_map(|(p, n, k)| Mutation::Repeat(p, n, k)),
        (any::<usize>(), any::<usize>(), 1usize..128).prop_map(|(s, p, n)| Mutation::Splice(s, p, n)),
    ]
}

fn mutate(seeds: &[Vec<u8>], seed: usize, mutations: &[Mutation]) -> Vec<u8> {
    let mut b = seeds[seed % seeds.len()].clone();
    for m in mutations {
        let at = |p: usize, len: usize| if len == 0 { 0 } else { p % len };
        match *m {
            Mutation::Flip(p, bit) if !b.is_empty() => {
                let i = at(p, b.len());
                b[i] ^= 1 << bit;
            }
            Mutation::Insert(p, byte) => b.insert(at(p, b.len() + 1), byte),
            Mutation::Delete(p, n) if !b.is_empty() => {
                let i = at(p, b.len());
                b.drain(i..(i + n).min(b.len()));
            }
            Mutation::Truncate(p) => b.truncate(at(p, b.len() + 1)),
            Mutation::Repeat(p, n, times) if !b.is_empty() => {
                let i = at(p, b.len());
                let piece = b[i..(i + n).min(b.len())].to_vec();
                for _ in 0..times {
                    b.splice(i..i, piece.iter().copied());
                }
            }
            Mutation::Splice(s, p, n) => {
                let other = &seeds[s % seeds.len()];
                let j = at(p, other.len());
                let piece = &other[j..(j + n).min(other.len())];
                let i = at(p, b.len() + 1);
                b.splice(i..i, piece.iter().copied());
            }
            _ => {}
        }
    }
    b
}

/// Values hostile to a parser or a database.
fn hostile() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        Just(json!(1e308)),
        Just(json!(-0.0)),
        Just(json!("99999999999999999999999999999")),
        Just(json!("-1")),
        Just(json!("1e400")),
        Just(json!("'; drop table events; --")),
        Just(json!("\" OR 1=1 --")),
        Just(json!("%_\\")),
        Just(json!("<script>alert(1)</script>")),
        Just(json!("\u{0}")),
        Just(json!("2026-02-30T25:61:61Z")),
        Just(json!("x".repeat(100_000))),
        ".{0,40}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            proptest::collection::vec((".{0,12}", inner), 0..8).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// The seed with its `pick`-th node (in pre-order) replaced.
fn replace_node(seed: &[u8], pick: usize, with: Value) -> Vec<u8> {
    fn count(v: &Value) -> usize {
        1 + match v {
            Value::Array(a) => a.iter().map(count).sum(),
            Value::Object(o) => o.values().map(count).sum(),
            _ => 0,
        }
    }
    fn put(v: &mut Value, mut k: usize, with: &mut Option<Value>) -> usize {
        if k == 0 {
            if let Some(w) = with.take() {
                *v = w;
            }
            return 0;
        }
        k -= 1;
        let children: Vec<&mut Value> = match v {
            Value::Array(a) => a.iter_mut().collect(),
            Value::Object(o) => o.values_mut().collect(),
            _ => vec![],
        };
        for c in children {
            let n = count(c);
            if k < n {
                return put(c, k, with);
            }
            k -= n;
        }
        k
    }
    let mut v: Value = serde_json::from_slice(seed).unwrap();
    let k = pick % count(&v);
    put(&mut v, k, &mut Some(with));
    serde_json::to_vec(&v).unwrap()
}

fn run(name: &str, strategy: impl Strategy<Value = Vec<u8>>, reader: fn(&[u8])) {
    let config = Config { cases: cases(), failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&strategy, |bytes| {
        reader(&bytes);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
    let _ = writeln!(std::io::stderr(), "fuzz {name}: {} cases, no panic", cases());
}

fn arbitrary_bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..4096)
}

fn byte_mutations(seeds: &'static [Vec<u8>]) -> impl Strategy<Value = Vec<u8>> {
    (any::<usize>(), proptest::collection::vec(mutation(), 1..10)).prop_map(move |(s, ms)| mutate(seeds, s, &ms))
}

/// JSON seeds with one node replaced by a hostile value.
fn json_mutations(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    (any::<usize>(), any::<usize>(), hostile())
        .prop_map(move |(s, pick, with)| replace_node(&seeds[s % seeds.len()], pick, with))
}

fn gzipped(strategy: impl Strategy<Value = Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    strategy.prop_map(|b| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&b).unwrap();
        e.finish().unwrap()
    })
}

#[test]
fn the_ingest_reader_never_panics() {
    run("ingest, arbitrary bytes", arbitrary_bytes(), ingest_pipeline);
    run("ingest, corpus byte mutations", byte_mutations(&INGEST), ingest_pipeline);
    run("ingest, corpus JSON mutations", json_mutations(INGEST.clone()), ingest_pipeline);
}

#[test]
fn the_otlp_decoder_never_panics() {
    let json_seeds: Vec<Vec<u8>> = corpus("otlp");
    run("otlp, arbitrary bytes", arbitrary_bytes(), otlp_pipeline);
    run("otlp, corpus byte mutations (protobuf and JSON)", byte_mutations(&OTLP), otlp_pipeline);
    run("otlp, corpus JSON mutations", json_mutations(json_seeds.clone()), otlp_pipeline);
    run("otlp, gzipped mutations", gzipped(json_mutations(json_seeds)), otlp_pipeline);
}

/// Mutated bodies through the real router: never a 5xx, and the server keeps working.
#[tokio::test]
async fn hostile_bodies_get_4xx_answers_not_5xx() {
    let app = TestApp::new().await;
    let key = app.ingest_key.clone();
    let mut runner = TestRunner::new(Config { failure_persistence: None, ..Config::default() });
    let ingest = prop_oneof![byte_mutations(&INGEST), json_mutations(INGEST.clone())];
    let traces = prop_oneof![byte_mutations(&OTLP), json_mutations(corpus("otlp"))];
    let n = (cases() / 10).max(50);
    for i in 0..n {
        let (path, body, content_type) = if i % 2 == 0 {
            ("/api/v1/events", ingest.new_tree(&mut runner).unwrap().current(), "application/json")
        } else {
            let ct = if i % 4 == 1 { "application/x-protobuf" } else { "application/json" };
            ("/api/otlp/v1/traces", traces.new_tree(&mut runner).unwrap().current(), ct)
        };
        let req = Request::post(path)
            .header("content-type", content_type)
            .header("authorization", format!("Bearer {key}"))
            .body(Body::from(body.clone()))
            .unwrap();
        let (status, _, answer) = app.send(req).await;
        assert!(
            !status.is_server_error(),
            "{path} answered {status} to {:?}: {}",
            String::from_utf8_lossy(&body),
            String::from_utf8_lossy(&answer)
        );
    }
    let (status, r) = app.post_events(json!([crate::helpers::event("after-the-fuzz")])).await;
    assert_eq!(status, axum::http::StatusCode::OK, "{r}");
    assert_eq!(r["accepted"], 1);
}
