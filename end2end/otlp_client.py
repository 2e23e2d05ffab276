"""The real-client OTLP test: OpenTelemetry's own Python SDK and its OTLP/HTTP
protobuf exporter (installed from PyPI, written by no one here) send GenAI
spans to Bursar, with the current attribute names and the older ones, and
Bursar's spend API must attribute them to the cent.

Environment: BURSAR_E2E_URL (the server) and BURSAR_E2E_KEY (scopes read and ingest).
"""

import json
import os
import sys
import time
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

URL = os.environ["BURSAR_E2E_URL"]
KEY = os.environ["BURSAR_E2E_KEY"]
RUN = str(int(time.time() * 1000))


def send_spans():
    exporter = OTLPSpanExporter(
        endpoint=f"{URL}/api/otlp/v1/traces",
        headers={"Authorization": f"Bearer {KEY}"},
    )
    resource = Resource.create({"service.name": "otlp-python", "bursar.team": f"otlp-{RUN}"})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("bursar-otlp-test")

    # Current names: 1,000,000 input tokens on gpt-4o at $2.50 per 1M, 200,000
    # of them read from cache at $1.25 per 1M: 800,000 × 2.50 + 200,000 × 1.25 = $2.25;
    # 10,000 output tokens at $10 per 1M: $0.10. Total $2.35.
    with tracer.start_as_current_span("chat gpt-4o") as span:
        span.set_attribute("gen_ai.operation.name", "chat")
        span.set_attribute("gen_ai.provider.name", "openai")
        span.set_attribute("gen_ai.request.model", "gpt-4o")
        span.set_attribute("gen_ai.response.model", "gpt-4o")
        span.set_attribute("gen_ai.usage.input_tokens", 1_000_000)
        span.set_attribute("gen_ai.usage.output_tokens", 10_000)
        span.set_attribute("gen_ai.usage.cache_read.input_tokens", 200_000)
        span.set_attribute("gen_ai.agent.name", "refund-agent")

    # Older names: 100,000 prompt tokens on claude-sonnet-4-5 at $3 per 1M ($0.30) and
    # 10,000 completion tokens at $15 per 1M ($0.15). Total $0.45.
    with tracer.start_as_current_span("chat claude") as span:
        span.set_attribute("gen_ai.system", "anthropic")
        span.set_attribute("gen_ai.request.model", "claude-sonnet-4-5")
        span.set_attribute("gen_ai.usage.prompt_tokens", 100_000)
        span.set_attribute("gen_ai.usage.completion_tokens", 10_000)
        span.set_attribute("bursar.workflow", "ticket-summary")

    # An HTTP span without GenAI attributes: ignored, not an error.
    with tracer.start_as_current_span("GET /health") as span:
        span.set_attribute("http.request.method", "GET")

    provider.shutdown()


def spend():
    now = datetime.now(timezone.utc)
    query = urllib.parse.urlencode(
        {
            "from": (now - timedelta(hours=1)).isoformat(),
            "to": (now + timedelta(hours=1)).isoformat(),
            "group_by": "workflow,product",
            "filter": f"team:otlp-{RUN}",
        }
    )
    req = urllib.request.Request(f"{URL}/api/v1/spend?{query}", headers={"Authorization": f"Bearer {KEY}"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def main():
    send_spans()
    report = spend()
    got = sorted((g["key"]["workflow"], g["key"]["product"], g["cost"], g["calls"]) for g in report["groups"])
    want = [("refund-agent", "otlp-python", "2.35", 1), ("ticket-summary", "otlp-python", "0.45", 1)]
    if got != want or report["total"]["cost"] != "2.80":
        print(f"otlp real-client test: FAILED\n  want {want}, total 2.80\n  got  {got}, total {report['total']['cost']}")
        return 1
    print("otlp real-client test: 1 passed (Python opentelemetry-sdk, OTLP/HTTP protobuf, old and new GenAI names)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
