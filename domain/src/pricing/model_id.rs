//! A model id is not one string. The same Claude model reaches Bursar as
//! `claude-sonnet-4-5-20250929` (Anthropic's API), `anthropic.claude-sonnet-4-5-20250929-v1:0`
//! and `us.anthropic.…` or `global.anthropic.…` (Amazon Bedrock, with a
//! cross-region inference prefix), `claude-sonnet-4-5@20250929` (Vertex AI),
//! `anthropic/claude-sonnet-4.5` (OpenRouter), or an Azure deployment name.
//! This module reads those spellings; it never changes what is stored, only
//! which catalog entry prices a call and which provider it is booked to.
//!
//! Rules (README, "Model ids"):
//! - **Provider and model stay apart.** The provider is the one the call went
//!   through (`bedrock`, `vertex_ai`, `azure`, `openrouter`, or the model
//!   maker), spelled as Bursar spells it ([`canonical_provider`]); when the
//!   caller sends none it is read off the id's shape ([`infer_provider`]).
//! - **A cloud's own rate first.** A call through a cloud is priced from the
//!   catalog entry of that cloud when there is one (LiteLLM lists Bedrock's
//!   regional premiums, for example), else at the model maker's list price.
//! - **Dated snapshots are models of their own**; see `pricing::Catalog`.

/// Providers that resell other makers' models. A call through one of them is
/// priced from that provider's own catalog entry when there is one, else from
/// the maker's.
pub const ROUTES: [&str; 4] = ["bedrock", "vertex_ai", "azure", "openrouter"];

/// Bursar's spelling of a provider name as instrumentations and SDKs send it.
/// OpenTelemetry's `gen_ai.provider.name` values (`aws.bedrock`,
/// `gcp.vertex_ai`, `azure.ai.openai`, `gcp.gemini`, `x_ai`, `mistral_ai`;
/// semantic-conventions, gen-ai registry) and LiteLLM's provider names
/// (`bedrock_converse`, `vertex_ai-language-models`, `gemini`) map to one
/// name each; anything else is kept, lower-cased.
pub fn canonical_provider(raw: &str) -> String {
    let p = raw.trim().to_lowercase();
    let mapped = match p.as_str() {
        "aws.bedrock" | "aws_bedrock" | "amazon-bedrock" | "amazon_bedrock" | "bedrock_converse" | "aws" => "bedrock",
        "gcp.vertex_ai"
        | "vertex"
        | "vertexai"
        | "google-vertex"
        | "google.vertex"
        | "vertex_ai-language-models"
        | "vertex_ai-anthropic_models" => "vertex_ai",
        "azure.ai.openai" | "azure_openai" | "azure-openai" | "azure.openai" => "azure",
        "gcp.gemini" | "gemini" | "google.generative-ai" | "google-genai" | "google_genai" | "gcp.gen_ai" => "google",
        "mistral_ai" | "mistralai" => "mistral",
        "x_ai" | "x.ai" | "grok" => "xai",
        "anthropic.messages" => "anthropic",
        "openai.chat" | "openai.responses" => "openai",
        _ => return p,
    };
    mapped.to_string()
}

/// Amazon Bedrock's cross-region inference prefixes (`us.`, `global.`, …).
const REGIONS: [&str; 8] = ["us", "eu", "apac", "jp", "au", "ca", "us-gov", "global"];
/// Model makers as Bedrock names them before the dot.
const BEDROCK_VENDORS: [&str; 9] =
    ["anthropic", "amazon", "meta", "mistral", "cohere", "ai21", "deepseek", "openai", "qwen"];

/// Strips a Bedrock region prefix: `us.anthropic.x` → `anthropic.x`.
fn strip_region(id: &str) -> &str {
    match id.split_once('.') {
        Some((r, rest)) if REGIONS.contains(&r) && rest.contains('.') => rest,
        _ => id,
    }
}

/// Whether `id` is spelled as Bedrock spells models: `vendor.model` with an
/// optional region prefix.
fn is_bedrock(id: &str) -> bool {
    strip_region(id).split_once('.').is_some_and(|(v, rest)| BEDROCK_VENDORS.contains(&v) && !rest.is_empty())
}

/// The provider a model id's shape names, when the caller sent none:
/// Bedrock's `vendor.model-v1:0`, Vertex's `model@version`, and a known
/// route as a path prefix (`openrouter/…`, `bedrock/…`, `vertex_ai/…`, `azure/…`).
pub fn infer_provider(model: &str) -> Option<&'static str> {
    let id = model.trim().to_lowercase();
    if let Some((prefix, _)) = id.split_once('/') {
        if let Some(r) = ROUTES.iter().find(|r| **r == canonical_provider(prefix)) {
            return Some(r);
        }
    }
    if is_bedrock(&id) {
        Some("bedrock")
    } else if id.contains('@') {
        Some("vertex_ai")
    } else {
        None
    }
}

/// The names to look `model` up by, most specific first, all lower-case:
/// the id as sent; without a route prefix (`openrouter/`, `bedrock/us-east-1/`);
/// without OpenRouter's maker (`anthropic/`); Bedrock's without its region,
/// maker and `-v1:0` version; Vertex's `@20250929` as `-20250929`; and
/// OpenRouter's dotted versions (`claude-sonnet-4.5`) as the maker's dashes.
pub fn candidates(model: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: &str| {
        let s = s.trim().to_string();
        if !s.is_empty() && !out.contains(&s) {
            out.push(s);
        }
    };
    let id = model.trim().to_lowercase();
    push(&id);
    // Path prefixes: keep removing the first segment (route, region, maker).
    let mut rest = id.as_str();
    while let Some((_, tail)) = rest.split_once('/') {
        push(tail);
        rest = tail;
    }
    let last = rest.to_string();
    if is_bedrock(&last) {
        let no_region = strip_region(&last);
        push(no_region);
        let bare = no_region.split_once('.').map(|(_, m)| m).unwrap_or(no_region);
        let unversioned = strip_bedrock_version(bare);
        push(unversioned);
    }
    if let Some((base, version)) = last.split_once('@') {
        if version.chars().all(|c| c.is_ascii_digit()) && version.len() == 8 {
            push(&format!("{base}-{version}"));
        }
        push(base);
    }
    // OpenRouter spells Anthropic's versions with dots (claude-sonnet-4.5).
    if last.starts_with("claude") && last.contains('.') {
        push(&last.replace('.', "-"));
    }
    out
}

/// `claude-sonnet-4-5-20250929-v1:0` → `claude-sonnet-4-5-20250929`;
/// `nova-pro-v1:0` → `nova-pro`.
fn strip_bedrock_version(m: &str) -> &str {
    let no_colon = m.split(':').next().unwrap_or(m);
    match no_colon.rsplit_once("-v") {
        Some((base, n)) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => base,
        _ => no_colon,
    }
}

/// Whether a model name ends in a snapshot date: `-2024-08-06`, `-20250929`
/// or `@20250929`. Such a name is a fixed model with its own price history.
pub fn is_dated_snapshot(name: &str) -> bool {
    let n = name.trim().to_lowercase();
    let n = n.split(':').next().unwrap_or(&n);
    let n = n.strip_suffix("-v1").or_else(|| n.strip_suffix("-v2")).unwrap_or(n);
    let tail = |len: usize| n.len() > len && n[n.len() - len..].bytes().all(|b| b.is_ascii_digit() || b == b'-');
    let digits = |s: &str| s.bytes().filter(u8::is_ascii_digit).count();
    (tail(10) && digits(&n[n.len() - 10..]) == 8 && n.as_bytes()[n.len() - 11] == b'-')
        || (tail(8) && digits(&n[n.len() - 8..]) == 8 && matches!(n.as_bytes()[n.len() - 9], b'-' | b'@'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_are_spelled_one_way() {
        assert_eq!(canonical_provider("aws.bedrock"), "bedrock");
        assert_eq!(canonical_provider("GCP.Vertex_AI"), "vertex_ai");
        assert_eq!(canonical_provider("azure.ai.openai"), "azure");
        assert_eq!(canonical_provider("gcp.gemini"), "google");
        assert_eq!(canonical_provider("anthropic"), "anthropic");
        assert_eq!(canonical_provider("my-gateway"), "my-gateway");
    }

    #[test]
    fn the_provider_is_read_off_the_ids_shape() {
        assert_eq!(infer_provider("anthropic.claude-sonnet-4-5-20250929-v1:0"), Some("bedrock"));
        assert_eq!(infer_provider("us.anthropic.claude-sonnet-4-5-20250929-v1:0"), Some("bedrock"));
        assert_eq!(infer_provider("global.anthropic.claude-sonnet-4-5-20250929-v1:0"), Some("bedrock"));
        assert_eq!(infer_provider("amazon.nova-pro-v1:0"), Some("bedrock"));
        assert_eq!(infer_provider("claude-sonnet-4-5@20250929"), Some("vertex_ai"));
        assert_eq!(infer_provider("openrouter/anthropic/claude-sonnet-4.5"), Some("openrouter"));
        assert_eq!(infer_provider("gpt-5.1"), None);
        assert_eq!(infer_provider("anthropic/claude-sonnet-4.5"), None, "OpenRouter's ids need its provider");
    }

    #[test]
    fn candidates_go_from_specific_to_general() {
        assert_eq!(
            candidates("us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
            vec![
                "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
                "anthropic.claude-sonnet-4-5-20250929-v1:0",
                "claude-sonnet-4-5-20250929"
            ]
        );
        assert_eq!(candidates("amazon.nova-pro-v1:0"), vec!["amazon.nova-pro-v1:0", "nova-pro"]);
        assert_eq!(
            candidates("claude-sonnet-4-5@20250929"),
            vec!["claude-sonnet-4-5@20250929", "claude-sonnet-4-5-20250929", "claude-sonnet-4-5"]
        );
        assert_eq!(
            candidates("openrouter/anthropic/claude-sonnet-4.5"),
            vec![
                "openrouter/anthropic/claude-sonnet-4.5",
                "anthropic/claude-sonnet-4.5",
                "claude-sonnet-4.5",
                "claude-sonnet-4-5"
            ]
        );
        assert_eq!(candidates("gpt-5.1"), vec!["gpt-5.1"], "dots in OpenAI's names are the name");
    }

    #[test]
    fn dated_snapshots_are_recognised() {
        for d in ["gpt-4o-2024-08-06", "claude-sonnet-4-5-20250929", "claude-sonnet-4-5@20250929"] {
            assert!(is_dated_snapshot(d), "{d}");
        }
        for u in ["gpt-4o", "claude-sonnet-4-5", "gpt-5.1", "mistral-large-latest", "o3-mini"] {
            assert!(!is_dated_snapshot(u), "{u}");
        }
    }

    /// The cases against the shipped catalog, with exact figures.
    mod priced {
        use crate::ingest::event::{Event, Usage};
        use crate::pricing::catalog::{Catalog, PricedEvent};
        use crate::pricing::money::Nanos;
        use chrono::{DateTime, Utc};
        use rust_decimal::Decimal;
        use std::str::FromStr;

        fn price(provider: Option<&str>, model: &str, day: &str, input: i64, output: i64) -> PricedEvent {
            let cat = Catalog::from_json(include_str!("../../../catalog/prices.json")).unwrap();
            let at = DateTime::parse_from_rfc3339(&format!("{day}T12:00:00Z")).unwrap().with_timezone(&Utc);
            let usage = Usage { input_tokens: input, output_tokens: output, ..Usage::default() };
            cat.price(Event {
                id: "e".into(),
                timestamp: at,
                model: model.into(),
                provider: provider.map(String::from),
                usage,
                cost: None,
                task_id: None,
                tags: Default::default(),
                usage_note: None,
            })
        }

        fn usd(p: &PricedEvent) -> Decimal {
            p.cost.map(Nanos::to_usd).unwrap_or_default().normalize()
        }

        fn d(s: &str) -> Decimal {
            Decimal::from_str(s).unwrap()
        }

        #[test]
        fn a_dated_snapshot_has_its_own_price_history() {
            // gpt-4o-2024-08-06 launched at $2.50/$10; the gpt-4o alias still
            // pointed to the $5/$15 snapshot 2024-05-13 until 2024-10-02.
            let snap = price(None, "gpt-4o-2024-08-06", "2024-09-16", 1_000_000, 100_000);
            assert_eq!(usd(&snap), d("3.50"));
            assert_eq!(usd(&price(None, "gpt-4o", "2024-09-16", 1_000_000, 100_000)), d("6.50"));
            assert_eq!(usd(&price(None, "gpt-4o", "2024-10-02", 1_000_000, 100_000)), d("3.50"));
            assert_eq!(usd(&price(None, "gpt-4o-2024-05-13", "2025-01-10", 1_000_000, 100_000)), d("6.50"));
            assert!(price(None, "gpt-4o-2024-08-06", "2024-08-01", 1, 1).cost.is_none(), "not launched yet");
        }

        #[test]
        fn bedrock_ids_are_priced_at_bedrocks_rates() {
            // 100k input + 10k output. In-region cross-region inference (us.) is
            // 10% above the global and plain ids: $3.30/$16.50 against $3/$15.
            for (model, want) in [
                ("anthropic.claude-sonnet-4-5-20250929-v1:0", "0.45"),
                ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "0.45"),
                ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "0.495"),
                ("amazon.nova-pro-v1:0", "0.112"),
            ] {
                let p = price(None, model, "2026-11-01", 100_000, 10_000);
                assert_eq!((usd(&p), p.event.provider.as_deref()), (d(want), Some("bedrock")), "{model}");
            }
            let otel =
                price(Some("aws.bedrock"), "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "2026-11-01", 100_000, 0);
            assert_eq!((usd(&otel), otel.event.provider.as_deref()), (d("0.33"), Some("bedrock")));
        }

        #[test]
        fn vertex_openrouter_and_the_maker_stay_apart() {
            let vertex = price(None, "claude-sonnet-4-5@20250929", "2026-11-01", 100_000, 10_000);
            assert_eq!((usd(&vertex), vertex.event.provider.as_deref()), (d("0.45"), Some("vertex_ai")));
            // Gemini on Vertex: its own entry, with the long-context tier above 200k.
            let gem = price(Some("vertex_ai"), "gemini-2.5-pro", "2026-11-01", 300_000, 10_000);
            assert_eq!((usd(&gem), gem.event.provider.as_deref()), (d("0.90"), Some("vertex_ai")));
            let google = price(Some("gcp.gemini"), "gemini-2.5-pro", "2026-11-01", 100_000, 10_000);
            assert_eq!((usd(&google), google.event.provider.as_deref()), (d("0.225"), Some("google")));
            // OpenRouter passes the maker's price through; the call stays booked to OpenRouter.
            let or = price(Some("openrouter"), "anthropic/claude-sonnet-4.5", "2026-11-01", 100_000, 10_000);
            assert_eq!((usd(&or), or.event.provider.as_deref()), (d("0.45"), Some("openrouter")));
            let direct = price(Some("anthropic"), "claude-sonnet-4-5", "2026-11-01", 100_000, 10_000);
            assert_eq!((usd(&direct), direct.event.provider.as_deref()), (d("0.45"), Some("anthropic")));
            let azure = price(Some("azure.ai.openai"), "gpt-4o", "2026-11-01", 1_000_000, 100_000);
            assert_eq!((usd(&azure), azure.event.provider.as_deref()), (d("3.50"), Some("azure")));
        }
    }
}
