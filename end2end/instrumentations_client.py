"""The instrumentation real-client test: an LLM instrumentation library from
PyPI (OpenLLMetry, OpenInference, OpenLIT or OpenTelemetry's own OpenAI
instrumentation) wraps the provider's official SDK (anthropic, openai), which
calls a local server answering with the provider's documented response shape
(Anthropic Messages API `usage` with its cache fields; OpenAI Chat Completions
`usage` with `completion_tokens_details.reasoning_tokens`). The library's own
spans go to Bursar over OTLP/HTTP, and Bursar's spend API must show the tokens
whole and the exact cost, whatever the library's token convention. The
anthropic SDK (2.x) also traces its own calls, so each Anthropic call arrives
as two spans; Bursar must count it once.

Usage: python instrumentations_client.py LIBRARY   (run in that library's venv)
Environment: BURSAR_E2E_URL (the server) and BURSAR_E2E_KEY (scopes read and ingest).
"""

import json
import os
import sys
import threading
import time
import uuid
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

URL = os.environ["BURSAR_E2E_URL"]
KEY = os.environ["BURSAR_E2E_KEY"]
RUN = str(int(time.time() * 1000))

# Anthropic's Messages API: `input_tokens` leaves out cache reads and writes
# ("Total input tokens in a request is the summation of input_tokens,
# cache_creation_input_tokens, and cache_read_input_tokens").
ANTHROPIC = {
    "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
    "type": "message",
    "role": "assistant",
    "model": "claude-opus-4-5-20251101",
    "content": [{"type": "text", "text": "Triaged."}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {
        "input_tokens": 10,
        "cache_creation_input_tokens": 32435,
        "cache_read_input_tokens": 66360,
        "output_tokens": 5120,
    },
}
# OpenAI's Chat Completions: prompt_tokens include cached_tokens and
# completion_tokens include reasoning_tokens.
OPENAI = {
    "id": "chatcmpl-abc123",
    "object": "chat.completion",
    "created": 1764400000,
    "model": "gpt-5.1",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Done."}, "finish_reason": "stop"}],
    "usage": {
        "prompt_tokens": 22118,
        "completion_tokens": 1970,
        "total_tokens": 24088,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 956,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    },
}

# What Bursar must store: (input, output, reasoning or None if the library
# does not report it, cost). Claude Opus 4.5: 10 × $5 + 66,360 × $0.50 +
# 32,435 × $6.25 + 5,120 × $25 per 1M = $0.36394875. gpt-5.1: 22,118 × $1.25 +
# 1,970 × $10 per 1M = $0.0473475.
WANT_ANTHROPIC = (98805, 5120, None, "0.36394875")
WANT_OPENAI = (22118, 1970, None, "0.0473475")


class Provider(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        # Every response has an id of its own, as the providers' do.
        if self.path.endswith("/messages"):
            answer = dict(ANTHROPIC, id=f"msg_{uuid.uuid4().hex}")
        else:
            answer = dict(OPENAI, id=f"chatcmpl-{uuid.uuid4().hex}")
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def provider_server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{srv.server_address[1]}"


def tracer_provider(team):
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    exporter = OTLPSpanExporter(endpoint=f"{URL}/api/otlp/v1/traces", headers={"Authorization": f"Bearer {KEY}"})
    tp = TracerProvider(resource=Resource.create({"service.name": "instrumented-app", "bursar.team": team}))
    tp.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(tp)
    return tp


def call_anthropic(base):
    import anthropic

    client = anthropic.Anthropic(api_key="test-key", base_url=base)
    client.messages.create(
        model="claude-opus-4-5-20251101", max_tokens=100, messages=[{"role": "user", "content": "Triage this bug."}]
    )


def call_openai(base):
    import openai

    client = openai.OpenAI(api_key="test-key", base_url=base + "/v1")
    client.chat.completions.create(model="gpt-5.1", messages=[{"role": "user", "content": "Plan the fix."}])


def run(library, tp, base):
    """Instruments with `library` and makes its calls; returns what Bursar must show."""
    if library == "openllmetry":
        from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor
        from opentelemetry.instrumentation.openai import OpenAIInstrumentor

        AnthropicInstrumentor().instrument(tracer_provider=tp)
        OpenAIInstrumentor().instrument(tracer_provider=tp)
        call_anthropic(base)
        call_openai(base)
        # OpenLLMetry reports reasoning as gen_ai.usage.reasoning_tokens.
        return [("anthropic", WANT_ANTHROPIC), ("openai", WANT_OPENAI[:2] + (956, WANT_OPENAI[3]))]
    if library == "openinference":
        from openinference.instrumentation.anthropic import AnthropicInstrumentor

        AnthropicInstrumentor().instrument(tracer_provider=tp)
        call_anthropic(base)
        return [("anthropic", WANT_ANTHROPIC)]
    if library == "openlit":
        import openlit

        # OpenLIT copies Anthropic's input_tokens as they are (without the cache).
        # Its own price list comes from a local file: by default it fetches one
        # from GitHub, which a test must not reach for.
        import tempfile

        prices = os.path.join(tempfile.mkdtemp(), "openlit-pricing.json")
        with open(prices, "w") as f:
            json.dump({"chat": {}, "embeddings": {}, "images": {}, "audio": {}}, f)
        openlit.init(disable_metrics=True, disable_batch=True, disable_events=True, pricing_json=prices)
        call_anthropic(base)
        call_openai(base)
        return [("anthropic", WANT_ANTHROPIC), ("openai", WANT_OPENAI)]
    if library == "otel-openai-v2":
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

        OpenAIInstrumentor().instrument(tracer_provider=tp)
        call_openai(base)
        return [("openai", WANT_OPENAI)]
    raise SystemExit(f"unknown library {library!r}")


def spend(team):
    now = datetime.now(timezone.utc)
    query = urllib.parse.urlencode(
        {
            "from": (now - timedelta(hours=1)).isoformat(),
            "to": (now + timedelta(hours=1)).isoformat(),
            "group_by": "provider",
            "filter": f"team:{team}",
        }
    )
    req = urllib.request.Request(f"{URL}/api/v1/spend?{query}", headers={"Authorization": f"Bearer {KEY}"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def main():
    library = sys.argv[1]
    team = f"inst-{library}-{RUN}"
    tp = tracer_provider(team)
    want = run(library, tp, provider_server())
    tp.force_flush()
    report = spend(team)
    got = {g["key"]["provider"]: g for g in report["groups"]}
    failures = []
    for provider, (inp, out, reasoning, cost) in want:
        g = got.get(provider)
        seen = g and (g["input_tokens"], g["output_tokens"], g["reasoning_tokens"], g["cost"], g["calls"])
        expect = (inp, out, reasoning if reasoning is not None else (g or {}).get("reasoning_tokens"), cost, 1)
        if seen != expect:
            failures.append(f"{provider}: want {expect}, got {seen}")
    if failures or len(got) != len(want):
        print(f"instrumentation real-client test ({library}): FAILED\n  " + "\n  ".join(failures) + f"\n  groups: {got}")
        return 1
    print(f"instrumentation real-client test ({library}): 1 passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
