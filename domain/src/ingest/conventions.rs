//! How each common LLM instrumentation writes token usage on its spans, in
//! one table, and how Bursar reads a span's counts into [`Usage`] without
//! losing a token.
//!
//! Bursar's own convention is OpenTelemetry's: `input_tokens` includes cached
//! tokens (read and written) and `output_tokens` includes reasoning. Not every
//! instrumentation follows it for every provider: Anthropic's API reports
//! `input_tokens` *without* cache reads and writes (Messages API, `Usage`:
//! "Total input tokens in a request is the summation of `input_tokens`,
//! `cache_creation_input_tokens`, and `cache_read_input_tokens`"), and some
//! instrumentations copy that number as it is. [`INSTRUMENTATIONS`] records,
//! per library, whether its input count includes the cache, with the source
//! file the rule was read from. README, "Instrumentations", has the table.
//!
//! Where a span's counts are still inconsistent (cache above input, reasoning
//! above output), they are read the way that loses no tokens: the cache is
//! added to input, or reasoning to output. The choice is recorded on the call
//! as its [`UsageNote`], and the span is never dropped.

use crate::ingest::usage::Usage;

/// Span attributes for one usage field, most current spelling first. Every
/// instrumentation's names are in one list, since several libraries write
/// both their own names and the GenAI ones.
pub struct Field {
    pub field: &'static str,
    pub attributes: &'static [&'static str],
}

/// The attributes read for each field.
pub const FIELDS: [Field; 7] = [
    Field {
        field: "model",
        attributes: &["gen_ai.response.model", "gen_ai.request.model", "llm.model_name", "ai.model.id"],
    },
    Field {
        field: "provider",
        attributes: &["gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system", "ai.model.provider"],
    },
    Field {
        field: "input_tokens",
        attributes: &[
            "gen_ai.usage.input_tokens",
            "gen_ai.usage.prompt_tokens",
            "llm.token_count.prompt",
            "ai.usage.inputTokens",
            "ai.usage.promptTokens",
        ],
    },
    Field {
        field: "output_tokens",
        attributes: &[
            "gen_ai.usage.output_tokens",
            "gen_ai.usage.completion_tokens",
            "llm.token_count.completion",
            "ai.usage.outputTokens",
            "ai.usage.completionTokens",
        ],
    },
    Field {
        field: "cache_read_tokens",
        attributes: &[
            "gen_ai.usage.cache_read.input_tokens",
            "gen_ai.usage.cache_read_input_tokens",
            "gen_ai.usage.input_tokens.cached",
            "llm.token_count.prompt_details.cache_read",
            "ai.usage.inputTokenDetails.cacheReadTokens",
            "ai.usage.cachedInputTokens",
            "gen_ai.usage.prompt_tokens_details.cached_tokens",
            "gen_ai.usage.details.cache_read_tokens",
        ],
    },
    Field {
        field: "cache_write_tokens",
        attributes: &[
            "gen_ai.usage.cache_creation.input_tokens",
            "gen_ai.usage.cache_creation_input_tokens",
            "gen_ai.usage.cache_write.input_tokens",
            "llm.token_count.prompt_details.cache_write",
            "ai.usage.inputTokenDetails.cacheWriteTokens",
            "gen_ai.usage.prompt_tokens_details.cache_creation_tokens",
            "gen_ai.usage.details.cache_write_tokens",
        ],
    },
    Field {
        field: "reasoning_tokens",
        attributes: &[
            "gen_ai.usage.reasoning.output_tokens",
            "gen_ai.usage.reasoning_tokens",
            "llm.usage.reasoning_tokens",
            "llm.token_count.completion_details.reasoning",
            "ai.usage.outputTokenDetails.reasoningTokens",
            "ai.usage.reasoningTokens",
            "gen_ai.usage.completion_tokens_details.reasoning_tokens",
            "gen_ai.usage.details.reasoning_tokens",
        ],
    },
];

/// What a span shows of the library that made it.
pub enum Mark {
    /// A span or resource attribute with this name.
    Attribute(&'static str),
    /// A span or resource attribute whose name starts so.
    Prefix(&'static str),
    /// A span or resource attribute with this value.
    Value(&'static str, &'static str),
}

/// One instrumentation library and its usage convention.
pub struct Instrumentation {
    /// Stable id, stored in a call's usage note.
    pub id: &'static str,
    pub name: &'static str,
    /// Any of these marks identifies a span as this library's.
    pub marks: &'static [Mark],
    /// Whether its input count includes cached tokens for Anthropic's models
    /// (every library passes OpenAI's inclusive `prompt_tokens` through).
    pub anthropic_input_includes_cache: bool,
    /// Where the convention was read.
    pub source: &'static str,
}

/// The instrumentations Bursar knows, most specific marks first; a span
/// none of them claims is read by the OpenTelemetry GenAI conventions.
pub const INSTRUMENTATIONS: [Instrumentation; 9] = [
    Instrumentation {
        id: "spring-ai",
        name: "Spring AI",
        marks: &[Mark::Attribute("spring.ai.kind"), Mark::Prefix("spring.ai.")],
        anthropic_input_includes_cache: false,
        source: "spring-projects/spring-ai AnthropicChatModel.getDefaultUsage: promptTokens = usage.inputTokens()",
    },
    Instrumentation {
        id: "openlit",
        name: "OpenLIT",
        marks: &[Mark::Value("telemetry.sdk.name", "openlit"), Mark::Attribute("gen_ai.usage.cost")],
        anthropic_input_includes_cache: false,
        source: "openlit/openlit sdk/python/src/openlit/instrumentation/anthropic/utils.py (input_tokens exclusive of cache)",
    },
    Instrumentation {
        id: "litellm",
        name: "LiteLLM OTel callback",
        marks: &[Mark::Prefix("gen_ai.cost.")],
        anthropic_input_includes_cache: true,
        source: "BerriAI/litellm litellm/llms/anthropic/chat/transformation.py calculate_usage (prompt = input + cache)",
    },
    Instrumentation {
        id: "openinference",
        name: "OpenInference (Arize Phoenix, LlamaIndex, DSPy)",
        marks: &[Mark::Prefix("llm.token_count."), Mark::Attribute("openinference.span.kind")],
        anthropic_input_includes_cache: true,
        source: "Arize-ai/openinference openinference-instrumentation-anthropic _utils.py _get_token_counts",
    },
    Instrumentation {
        id: "vercel-ai",
        name: "Vercel AI SDK 6 and later",
        marks: &[Mark::Prefix("ai.usage.inputTokenDetails."), Mark::Prefix("ai.usage.outputTokenDetails.")],
        anthropic_input_includes_cache: true,
        source: "vercel/ai packages/anthropic/src/convert-anthropic-messages-usage.ts (total = input + cache)",
    },
    Instrumentation {
        id: "vercel-ai-5",
        name: "Vercel AI SDK 4 and 5",
        marks: &[Mark::Prefix("ai.usage."), Mark::Attribute("ai.model.id")],
        anthropic_input_includes_cache: false,
        source: "vercel/ai ai@5 packages/anthropic/src/anthropic-messages-language-model.ts (inputTokens = input_tokens)",
    },
    Instrumentation {
        id: "logfire",
        name: "Pydantic Logfire and Pydantic AI",
        marks: &[Mark::Attribute("operation.cost"), Mark::Prefix("gen_ai.usage.details."), Mark::Prefix("logfire.")],
        anthropic_input_includes_cache: true,
        source: "pydantic/logfire llm_providers/anthropic.py; pydantic-ai usage.py (input includes cache)",
    },
    Instrumentation {
        id: "openllmetry",
        name: "OpenLLMetry (Traceloop)",
        marks: &[Mark::Prefix("traceloop."), Mark::Attribute("llm.usage.total_tokens"), Mark::Attribute("llm.request.type")],
        anthropic_input_includes_cache: true,
        source: "traceloop/openllmetry opentelemetry-instrumentation-anthropic __init__.py _set_token_usage",
    },
    Instrumentation {
        id: "otel-genai",
        name: "OpenTelemetry GenAI semantic conventions",
        marks: &[],
        anthropic_input_includes_cache: true,
        source: "open-telemetry/semantic-conventions docs/gen-ai/anthropic.md (input_tokens MUST add the cache counts)",
    },
];

/// Which library made a span, from its attributes (span and resource).
pub fn identify<'a>(attributes: impl Iterator<Item = (&'a str, Option<&'a str>)> + Clone) -> &'static Instrumentation {
    let hit = |m: &Mark| {
        attributes.clone().any(|(k, v)| match m {
            Mark::Attribute(a) => k == *a,
            Mark::Prefix(p) => k.starts_with(p),
            Mark::Value(a, want) => k == *a && v.is_some_and(|v| v.eq_ignore_ascii_case(want)),
        })
    };
    INSTRUMENTATIONS.iter().find(|i| i.marks.iter().any(hit)).unwrap_or(&INSTRUMENTATIONS[8])
}

/// What Bursar did to a span's counts, stored on the call
/// (`<instrumentation id>/<code>`, e.g. `openlit/input_excludes_cache`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UsageNote {
    /// The library reports Anthropic's input without the cache; the cache was added.
    InputExcludesCache,
    /// Cache above input although the library should include it: read as excluding.
    CacheAboveInput,
    /// Reasoning above output: read as output excluding reasoning, and added.
    ReasoningAboveOutput,
}

impl UsageNote {
    /// The stored spelling.
    pub fn code(self) -> &'static str {
        match self {
            UsageNote::InputExcludesCache => "input_excludes_cache",
            UsageNote::CacheAboveInput => "cache_above_input",
            UsageNote::ReasoningAboveOutput => "reasoning_above_output",
        }
    }

    /// Checks a stored or sent note: `<instrumentation id>/<code>[,<code>]`.
    pub fn check(note: &str) -> Result<(), String> {
        let codes = ["input_excludes_cache", "cache_above_input", "reasoning_above_output"];
        let ok = note.split_once('/').is_some_and(|(lib, rest)| {
            INSTRUMENTATIONS.iter().any(|i| i.id == lib) && rest.split(',').all(|c| codes.contains(&c))
        });
        if ok {
            Ok(())
        } else {
            Err(format!("must be <instrumentation>/<code>, e.g. \"openlit/input_excludes_cache\" (got {note:?})"))
        }
    }
}

/// Whether a call reports usage the way Anthropic's API does: Anthropic
/// itself, or a Claude model through Bedrock or Vertex AI.
pub fn anthropic_style(provider: Option<&str>, model: &str) -> bool {
    match provider.map(crate::pricing::model_id::canonical_provider).as_deref() {
        Some("anthropic") => true,
        Some("bedrock" | "vertex_ai") | None => model.to_lowercase().contains("claude"),
        _ => false,
    }
}

/// Reads a span's raw counts into Bursar's convention. Returns the usage and
/// the note to store (`None` when the counts were taken as they came).
pub fn normalise(lib: &Instrumentation, anthropic: bool, raw: Usage) -> (Usage, Option<String>) {
    let mut u = raw;
    let mut notes = Vec::new();
    let cache = raw.cache_read_tokens.saturating_add(raw.cache_write_tokens);
    if anthropic && !lib.anthropic_input_includes_cache {
        u.input_tokens = raw.input_tokens.saturating_add(cache);
        notes.push(UsageNote::InputExcludesCache);
    } else if cache > raw.input_tokens {
        u.input_tokens = raw.input_tokens.saturating_add(cache);
        notes.push(UsageNote::CacheAboveInput);
    }
    if raw.reasoning_tokens > raw.output_tokens {
        u.output_tokens = raw.output_tokens.saturating_add(raw.reasoning_tokens);
        notes.push(UsageNote::ReasoningAboveOutput);
    }
    let note = (!notes.is_empty())
        .then(|| format!("{}/{}", lib.id, notes.iter().map(|n| n.code()).collect::<Vec<_>>().join(",")));
    (u, note)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lib(id: &str) -> &'static Instrumentation {
        INSTRUMENTATIONS.iter().find(|i| i.id == id).unwrap()
    }

    fn usage(i: i64, o: i64, cr: i64, cw: i64, r: i64) -> Usage {
        Usage { input_tokens: i, output_tokens: o, cache_read_tokens: cr, cache_write_tokens: cw, reasoning_tokens: r }
    }

    #[test]
    fn spans_are_told_apart_by_their_attributes() {
        let id = |attrs: &[(&'static str, Option<&'static str>)]| identify(attrs.iter().copied()).id;
        assert_eq!(id(&[("gen_ai.usage.input_tokens", None)]), "otel-genai");
        assert_eq!(id(&[("telemetry.sdk.name", Some("openlit")), ("gen_ai.usage.input_tokens", None)]), "openlit");
        assert_eq!(id(&[("llm.token_count.prompt", None)]), "openinference");
        assert_eq!(id(&[("ai.usage.inputTokens", None)]), "vercel-ai-5");
        assert_eq!(
            id(&[("ai.usage.inputTokens", None), ("ai.usage.inputTokenDetails.cacheReadTokens", None)]),
            "vercel-ai"
        );
        assert_eq!(id(&[("gen_ai.cost.total_cost", None)]), "litellm");
        assert_eq!(id(&[("spring.ai.kind", Some("chat_client"))]), "spring-ai");
        assert_eq!(id(&[("operation.cost", None)]), "logfire");
        assert_eq!(id(&[("llm.usage.total_tokens", None)]), "openllmetry");
    }

    #[test]
    fn input_without_the_cache_loses_no_tokens() {
        // The case: Anthropic input 10 beside 66,360 read and 32,435 written.
        let (u, note) = normalise(lib("otel-genai"), true, usage(10, 5_120, 66_360, 32_435, 0));
        assert_eq!(u.input_tokens, 98_805);
        assert_eq!(note.as_deref(), Some("otel-genai/cache_above_input"));
        // OpenLIT reports Anthropic's raw input even when it is larger than the cache.
        let (u, note) = normalise(lib("openlit"), true, usage(500, 10, 300, 0, 0));
        assert_eq!((u.input_tokens, note.as_deref()), (800, Some("openlit/input_excludes_cache")));
        // …but OpenAI's input is inclusive in every library.
        let (u, note) = normalise(lib("openlit"), false, usage(500, 10, 300, 0, 0));
        assert_eq!((u.input_tokens, note), (500, None));
        // Consistent counts are taken as they came.
        assert_eq!(
            normalise(lib("openllmetry"), true, usage(900, 10, 300, 100, 0)),
            (usage(900, 10, 300, 100, 0), None)
        );
    }

    #[test]
    fn reasoning_is_inside_output_unless_it_cannot_be() {
        assert_eq!(normalise(lib("otel-genai"), false, usage(22_118, 1_970, 0, 0, 956)).0.output_tokens, 1_970);
        let (u, note) = normalise(lib("otel-genai"), false, usage(100, 50, 0, 0, 80));
        assert_eq!((u.output_tokens, note.as_deref()), (130, Some("otel-genai/reasoning_above_output")));
    }

    #[test]
    fn notes_are_checked() {
        assert!(UsageNote::check("openlit/input_excludes_cache").is_ok());
        assert!(UsageNote::check("otel-genai/cache_above_input,reasoning_above_output").is_ok());
        assert!(UsageNote::check("mine/whatever").is_err());
        assert!(UsageNote::check("nonsense").is_err());
    }

    #[test]
    fn anthropic_style_usage_is_anthropic_or_claude_through_a_cloud() {
        assert!(anthropic_style(Some("anthropic"), "claude-opus-4-5-20251101"));
        assert!(anthropic_style(Some("aws.bedrock"), "us.anthropic.claude-sonnet-4-5-20250929-v1:0"));
        assert!(!anthropic_style(Some("openai"), "gpt-5.1"));
        assert!(
            !anthropic_style(Some("openrouter"), "anthropic/claude-sonnet-4.5"),
            "OpenRouter reports inclusive counts"
        );
    }
}
