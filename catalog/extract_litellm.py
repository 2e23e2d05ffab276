#!/usr/bin/env python3
"""Regenerate catalog/prices.json from litellm's model price catalog.

Usage:
    python3 extract_litellm.py PATH/TO/model_prices_and_context_window_backup.json \
        --litellm-version 1.110.2 [--retrieved YYYY-MM-DD] [--out prices.json]

Get the JSON without installing litellm:
    pip download --no-deps -d /tmp/litellm litellm && unzip /tmp/litellm/*.whl -d /tmp/litellm/w
    # -> /tmp/litellm/w/litellm/model_prices_and_context_window_backup.json

litellm's per-token floats are read as exact decimals (parse_float=Decimal) and
multiplied by 1,000,000; no binary floating point touches a rate.
"""
import argparse
import datetime
import json
import re
from decimal import Decimal
from pathlib import Path

# litellm keys of the models we ship: direct-provider entries only.
MODELS = [
    # OpenAI
    "gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano",
    "gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-5.1", "gpt-5.2",
    "gpt-5.4", "gpt-5.4-mini", "gpt-5.4-nano", "gpt-5.5", "gpt-5.6",
    "gpt-6-luna", "gpt-6-sol", "gpt-6.1-sol", "gpt-6.1-terra",
    "o1", "o3", "o3-mini", "o4-mini",
    # Anthropic
    "claude-haiku-4-5", "claude-sonnet-4-5", "claude-sonnet-4-6",
    "claude-opus-4-5", "claude-opus-4-6", "claude-opus-4-7", "claude-opus-4-8",
    "claude-sonnet-5", "claude-sonnet-5-5",
    "claude-opus-5", "claude-opus-5-5",
    # Google (Gemini API)
    "gemini/gemini-2.5-pro", "gemini/gemini-2.5-flash", "gemini/gemini-2.5-flash-lite",
    "gemini/gemini-3-flash-preview", "gemini/gemini-3.1-pro-preview",
    "gemini/gemini-3.1-flash-lite", "gemini/gemini-3.5-flash",
    # DeepSeek
    "deepseek/deepseek-chat", "deepseek/deepseek-reasoner",
    "deepseek/deepseek-v4-pro", "deepseek/deepseek-v4-flash",
    # Mistral (La Plateforme)
    "mistral/mistral-large-latest", "mistral/mistral-medium-latest",
    "mistral/mistral-small-latest", "mistral/codestral-latest",
    "mistral/magistral-medium-latest", "mistral/devstral-medium-latest",
    # xAI
    "xai/grok-4.3",
]

# litellm has dropped its direct Anthropic entries for these retired models;
# Amazon Bedrock's in-region entry carries Anthropic's list price, so use it.
# canonical name -> (litellm key, Anthropic API id used as alias)
FALLBACKS = {
    "claude-opus-4": ("anthropic.claude-opus-4-20250514-v1:0", "claude-opus-4-20250514"),
    "claude-opus-4-1": ("anthropic.claude-opus-4-1-20250805-v1:0", "claude-opus-4-1-20250805"),
    "claude-sonnet-4": ("anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4-20250514"),
}

PROVIDERS = {"openai": "openai", "anthropic": "anthropic", "gemini": "google",
             "deepseek": "deepseek", "mistral": "mistral", "xai": "xai",
             "bedrock": "bedrock", "bedrock_converse": "bedrock",
             "vertex_ai-language-models": "vertex_ai", "vertex_ai-anthropic_models": "vertex_ai",
             "azure": "azure"}

# Dated snapshots are models of their own, with their own price history
# (history.json dates them): never aliases of the undated name, whose price
# followed whichever snapshot it pointed to at the time.
SNAPSHOTS = {
    "gpt-4o": ["gpt-4o-2024-05-13", "gpt-4o-2024-08-06", "gpt-4o-2024-11-20"],
    "o3": ["o3-2025-04-16"],
}

# Clouds' own entries, at the clouds' own rates (Bedrock's in-region
# cross-region prefixes us./eu./jp./au. cost 10% more than global.).
# litellm key -> (Bursar's model name, aliases). Bedrock ids are unique as
# they are; Vertex AI and Azure reuse the maker's names, so their entries are
# named with their route prefix and list the maker's spellings as aliases.
CLOUD = {
    "anthropic.claude-sonnet-4-5-20250929-v1:0": ("anthropic.claude-sonnet-4-5-20250929-v1:0", []),
    "global.anthropic.claude-sonnet-4-5-20250929-v1:0": ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", []),
    "us.anthropic.claude-sonnet-4-5-20250929-v1:0": ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", []),
    "eu.anthropic.claude-sonnet-4-5-20250929-v1:0": ("eu.anthropic.claude-sonnet-4-5-20250929-v1:0", []),
    "jp.anthropic.claude-sonnet-4-5-20250929-v1:0": ("jp.anthropic.claude-sonnet-4-5-20250929-v1:0", []),
    "au.anthropic.claude-sonnet-4-5-20250929-v1:0": ("au.anthropic.claude-sonnet-4-5-20250929-v1:0", []),
    "anthropic.claude-opus-4-5-20251101-v1:0": ("anthropic.claude-opus-4-5-20251101-v1:0", []),
    "global.anthropic.claude-opus-4-5-20251101-v1:0": ("global.anthropic.claude-opus-4-5-20251101-v1:0", []),
    "us.anthropic.claude-opus-4-5-20251101-v1:0": ("us.anthropic.claude-opus-4-5-20251101-v1:0", []),
    "eu.anthropic.claude-opus-4-5-20251101-v1:0": ("eu.anthropic.claude-opus-4-5-20251101-v1:0", []),
    "anthropic.claude-haiku-4-5-20251001-v1:0": ("anthropic.claude-haiku-4-5-20251001-v1:0", []),
    "amazon.nova-pro-v1:0": ("amazon.nova-pro-v1:0", []),
    "us.amazon.nova-pro-v1:0": ("us.amazon.nova-pro-v1:0", []),
    "eu.amazon.nova-pro-v1:0": ("eu.amazon.nova-pro-v1:0", []),
    "apac.amazon.nova-pro-v1:0": ("apac.amazon.nova-pro-v1:0", []),
    "vertex_ai/claude-sonnet-4-5": ("vertex_ai/claude-sonnet-4-5", ["claude-sonnet-4-5", "claude-sonnet-4-5@20250929"]),
    "vertex_ai/claude-opus-4-5": ("vertex_ai/claude-opus-4-5", ["claude-opus-4-5", "claude-opus-4-5@20251101"]),
    "gemini-2.5-pro": ("vertex_ai/gemini-2.5-pro", ["gemini-2.5-pro"]),
    "gemini-2.5-flash": ("vertex_ai/gemini-2.5-flash", ["gemini-2.5-flash"]),
    "azure/gpt-4o": ("azure/gpt-4o", ["gpt-4o"]),
    "azure/gpt-4o-2024-05-13": ("azure/gpt-4o-2024-05-13", ["gpt-4o-2024-05-13"]),
    "azure/gpt-4o-2024-08-06": ("azure/gpt-4o-2024-08-06", ["gpt-4o-2024-08-06"]),
    "azure/gpt-4o-2024-11-20": ("azure/gpt-4o-2024-11-20", ["gpt-4o-2024-11-20"]),
    "azure/gpt-4o-mini": ("azure/gpt-4o-mini", ["gpt-4o-mini"]),
    "azure/gpt-4.1": ("azure/gpt-4.1", ["gpt-4.1"]),
    "azure/gpt-5": ("azure/gpt-5", ["gpt-5"]),
    "azure/gpt-5.1": ("azure/gpt-5.1", ["gpt-5.1", "gpt-5.1-2025-11-13"]),
}
FIELDS = {"input": "input_cost_per_token", "output": "output_cost_per_token",
          "cache_read": "cache_read_input_token_cost",
          "cache_write": "cache_creation_input_token_cost"}
TIER = re.compile(r"^(%s)_above_(\d+)k_tokens$" % "|".join(FIELDS.values()))
# A dated snapshot of a model: -2024-08-06, -20250929, or Mistral's -2512.
DATED = r"-(\d{4}-\d{2}-\d{2}|\d{8}|\d{4})"


def per_million(x):
    """Exact USD per 1M tokens as a plain decimal string with >= 2 decimals."""
    d = (Decimal(x) * 1_000_000).normalize()
    if d.as_tuple().exponent > -2:
        d = d.quantize(Decimal("0.01"))
    return format(d, "f")


def rate(entry, field, fallback):
    """litellm's rate, or `fallback` when it lists none (0 counts as none:
    litellm writes 0 where a provider has no separate cache-write charge)."""
    v = entry.get(field)
    return fallback if v in (None, 0) else v


def price(entry):
    base = {"input": entry["input_cost_per_token"], "output": entry["output_cost_per_token"]}
    for k in ("cache_read", "cache_write"):
        base[k] = rate(entry, FIELDS[k], base["input"])
    tiers = {}
    for field in entry:
        m = TIER.match(field)
        if m:
            tiers.setdefault(int(m.group(2)) * 1000, {})[m.group(1)] = entry[field]
    out_tiers = []
    for above in sorted(tiers):
        t = tiers[above]
        ti = t.get(FIELDS["input"], base["input"])
        row = {"above_input_tokens": above, "input": per_million(ti)}
        for k in ("output", "cache_read", "cache_write"):
            # Missing in the tier: the base rate, or the tier's input rate when
            # litellm lists no such charge at all (cache read/write = input).
            fb = base[k] if entry.get(FIELDS[k]) not in (None, 0) or k == "output" else ti
            row[k] = per_million(t.get(FIELDS[k], fb))
        out_tiers.append(row)
    p = {"effective_from": "2024-01-01"}
    p.update({k: per_million(v) for k, v in base.items()})
    p["tiers"] = out_tiers
    return p


def strip(key):
    return key.split("/", 1)[1] if "/" in key else key


def aliases(db, key, canonical, p):
    """Dated snapshots litellm lists for the same provider at the same prices
    (for Mistral's "x-latest" names the snapshots are spelled "x-2512")."""
    stem = canonical.removesuffix("-latest")
    pat = re.compile(re.escape(stem) + DATED + "$")
    prov = db[key]["litellm_provider"]
    found = {strip(k) for k, v in db.items()
             if v.get("litellm_provider") == prov and pat.match(strip(k))
             and v.get("mode") == "chat" and price(v) == p}
    return sorted(found)


def apply_history(models, history):
    """Merges history.json: earlier price versions and missing tiers."""
    by_name = {m["model"]: m for m in models}
    for name, h in history["models"].items():
        m = by_name[name]  # KeyError = history names a model we no longer ship
        current = m["prices"][-1]
        if "current_from" in h:
            current["effective_from"] = h["current_from"]
        if "tiers" in h and not current["tiers"]:
            current["tiers"] = [{k: v for k, v in t.items() if k != "why"} for t in h["tiers"]]
        earlier = [{k: v for k, v in p.items() if k != "why"} for p in h.get("earlier", [])]
        m["prices"] = earlier + m["prices"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("litellm_json")
    ap.add_argument("--litellm-version", required=True)
    ap.add_argument("--retrieved", default=datetime.date.today().isoformat())
    ap.add_argument("--out", default=str(Path(__file__).with_name("prices.json")))
    a = ap.parse_args()
    db = json.loads(Path(a.litellm_json).read_text(), parse_float=Decimal)

    models = []
    for key in MODELS:
        e = db[key]  # KeyError = litellm renamed or dropped the model
        p = price(e)
        name = strip(key)
        models.append({"model": name, "provider": PROVIDERS[e["litellm_provider"]],
                       "aliases": aliases(db, key, name, p), "prices": [p]})
    for m in models:
        m["aliases"] = [a for a in m["aliases"] if a not in SNAPSHOTS.get(m["model"], [])]
    for snapshots in SNAPSHOTS.values():
        for key in snapshots:
            models.append({"model": key, "provider": PROVIDERS[db[key]["litellm_provider"]],
                           "aliases": [], "prices": [price(db[key])]})
    for key, (name, extra) in CLOUD.items():
        e = db[key]  # KeyError = litellm renamed or dropped the model
        models.append({"model": name, "provider": PROVIDERS[e["litellm_provider"]],
                       "aliases": extra, "prices": [price(e)]})
    for name, (key, api_id) in FALLBACKS.items():
        models.append({"model": name, "provider": "anthropic",
                       "aliases": [api_id], "prices": [price(db[key])]})
    apply_history(models, json.loads(Path(__file__).with_name("history.json").read_text()))
    models.sort(key=lambda m: (m["provider"], m["model"]))

    catalog = {
        "source": f"litellm {a.litellm_version} model_prices_and_context_window.json "
                  "(PyPI wheel), which mirrors providers' public price pages",
        "retrieved": a.retrieved,
        "unit": "USD per 1M tokens",
        "models": models,
    }
    Path(a.out).write_text(json.dumps(catalog, indent=2) + "\n")
    print(f"wrote {len(models)} models to {a.out}")


if __name__ == "__main__":
    main()
