//! Every HTTP endpoint of Bursar's API, as data: the server registers its
//! routes from this table (so nothing is routed that is not described) and
//! builds `GET /api/openapi.json` from it; the API page lists it.

use serde_json::{json, Map, Value};

/// One endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    /// The API key scope it needs (`None`: no key).
    pub scope: Option<&'static str>,
    pub summary: &'static str,
    /// Query parameters: (name, description).
    pub query: &'static [(&'static str, &'static str)],
    /// What the request body is, if it takes one.
    pub body: Option<&'static str>,
    /// The response's content type.
    pub produces: &'static str,
}

const fn ep(method: &'static str, path: &'static str, scope: Option<&'static str>, summary: &'static str) -> Endpoint {
    Endpoint { method, path, scope, summary, query: &[], body: None, produces: "application/json" }
}

const fn q(mut e: Endpoint, query: &'static [(&'static str, &'static str)]) -> Endpoint {
    e.query = query;
    e
}

const fn b(mut e: Endpoint, body: &'static str) -> Endpoint {
    e.body = Some(body);
    e
}

const fn p(mut e: Endpoint, produces: &'static str) -> Endpoint {
    e.produces = produces;
    e
}

const R: Option<&str> = Some("read");
const I: Option<&str> = Some("ingest");
const A: Option<&str> = Some("admin");

/// Every endpoint, in the README's order.
pub const ENDPOINTS: [Endpoint; 53] = [
    ep("get", "/api/v1/health", None, "Liveness (kept for older probes; see /healthz)"),
    b(ep("post", "/api/v1/events", I, "Ingest a batch of LLM call events"), "{\"events\": [event, …]} (at most 5,000)"),
    q(
        ep("get", "/api/v1/spend", R, "Spend totals, groups and series"),
        &[
            ("from", "RFC 3339 time or YYYY-MM-DD"),
            ("to", "RFC 3339 time or YYYY-MM-DD (a date means the end of that day)"),
            ("group_by", "comma list of up to 3 tag keys, model, provider"),
            ("granularity", "hour, day, week or month"),
            ("filter", "repeatable key:value (key: selects calls without the tag)"),
            ("basis", "recorded (default) or invoice: adds each provider-day's bill gap where a true-up is set"),
        ],
    ),
    b(ep("post", "/api/v1/check", I, "Pre-call check against hard caps"), "{tags, task_id, model, estimated_cost}"),
    ep("get", "/api/v1/budgets", R, "Every budget with its standing"),
    b(ep("post", "/api/v1/budgets", A, "Create a budget"), "a budget definition"),
    ep("get", "/api/v1/budgets/{id}", R, "One budget with its standing"),
    b(ep("put", "/api/v1/budgets/{id}", A, "Replace a budget"), "a budget definition"),
    ep("delete", "/api/v1/budgets/{id}", A, "Delete a budget (its alerts stay)"),
    q(
        ep("get", "/api/v1/alerts", R, "Alert history, newest first"),
        &[
            ("status", "open, acked or all"),
            ("budget", "a budget's or signal rule's id"),
            ("kind", "threshold, forecast, cap, signal, anomaly"),
            ("limit", "1-1000"),
        ],
    ),
    ep("get", "/api/v1/alerts/{id}", R, "One alert with its delivery attempts"),
    ep("post", "/api/v1/alerts/{id}/ack", A, "Acknowledge an alert"),
    b(
        ep("post", "/api/v1/webhooks/test", A, "Post a sample alert to a webhook now; answers its status or error"),
        "{\"url\": \"https://hooks.slack.com/services/…\"}",
    ),
    ep("get", "/api/v1/taxonomy", R, "The tag taxonomy"),
    b(ep("put", "/api/v1/taxonomy", A, "Replace the tag taxonomy"), "{\"keys\": [rule, …], \"apply_to_stored\": bool}"),
    ep("get", "/api/v1/jobs/{id}", R, "A background job's progress"),
    ep("get", "/api/v1/otlp/mapping", R, "Where OpenTelemetry spans' tags and task ids come from"),
    b(
        ep("put", "/api/v1/otlp/mapping", A, "Replace the OpenTelemetry mapping"),
        "{\"tags\": [{\"attribute\", \"tag\"}], \"task_attribute\"}",
    ),
    ep("get", "/api/v1/prices", R, "The price catalog"),
    b(
        q(
            ep("post", "/api/v1/prices/import", A, "Import LiteLLM's catalog (a diff unless apply=true)"),
            &[
                ("from", "YYYY-MM-DD the new prices apply from"),
                ("apply", "true to apply"),
                ("add_new", "true to add models Bursar lacks"),
            ],
        ),
        "LiteLLM's model_prices_and_context_window.json",
    ),
    ep("get", "/api/v1/prices/unpriced", R, "Stored calls without a price, by model"),
    b(ep("post", "/api/v1/prices/reprice", A, "Reprice unpriced calls"), "{\"models\": [name, …]}"),
    b(
        q(
            ep(
                "post",
                "/api/v1/bills/import",
                A,
                "Import a bill: a FOCUS CSV, OpenAI costs pages or an Anthropic cost report",
            ),
            &[("source", "focus, openai or anthropic")],
        ),
        "the file (at most 64 MB); re-importing a period replaces its lines",
    ),
    q(ep("get", "/api/v1/bills/imports", A, "Bill import and connector runs, newest first"), &[("limit", "1-500")]),
    ep("get", "/api/v1/bills/rules", R, "Mapping rules for bill lines"),
    b(
        ep("post", "/api/v1/bills/rules", A, "Add a mapping rule for bill lines"),
        "{\"pattern\", \"source\"?, \"provider\"?, \"model\"?, \"token_class\"?}",
    ),
    ep("delete", "/api/v1/bills/rules/{id}", A, "Delete a mapping rule"),
    ep("get", "/api/v1/bills/true-ups", R, "How each provider-month's bill gap is shown on the invoice basis"),
    b(
        ep("put", "/api/v1/bills/true-ups", A, "Set how a provider-month's bill gap is shown (audited)"),
        "{\"provider\", \"month\": \"YYYY-MM\", \"mode\": \"uninstrumented\" | \"allocated\" | null}",
    ),
    q(
        ep("get", "/api/v1/reconcile", R, "Billed against attributed, with the gap, coverage, drift and findings"),
        &[
            ("from", "YYYY-MM-DD (default: this month's first)"),
            ("to", "YYYY-MM-DD, included (default: today)"),
            ("group_by", "provider[,model][,day]"),
        ],
    ),
    q(
        ep("get", "/api/v1/audit", A, "The audit log"),
        &[
            ("actor", "part of the actor"),
            ("kind", "budget, taxonomy, price, key, user, signal, scenario"),
            ("target", "part of the target"),
            ("from", "YYYY-MM-DD"),
            ("to", "YYYY-MM-DD"),
        ],
    ),
    p(
        q(
            ep("get", "/api/v1/export/focus.csv", R, "FOCUS 1.2 export, streamed"),
            &[
                ("from", "YYYY-MM-DD (UTC, included)"),
                ("to", "YYYY-MM-DD (UTC, included)"),
                ("basis", "recorded (default) or invoice: adds true-up rows (ChargeCategory Adjustment)"),
            ],
        ),
        "text/csv",
    ),
    q(
        ep("get", "/api/v1/signals", R, "Signals, drifts and anomalies per value of a tag key"),
        &[("key", "a tag key (default workflow)"), ("days", "1-365 (default 90)")],
    ),
    ep("get", "/api/v1/signals/rules", R, "Signal alert rules"),
    b(
        ep("post", "/api/v1/signals/rules", A, "Create a signal alert rule"),
        "{name, key, value, condition: {type, …}, min_calls, webhook}",
    ),
    b(ep("put", "/api/v1/signals/rules/{id}", A, "Replace a signal alert rule"), "a rule"),
    ep("delete", "/api/v1/signals/rules/{id}", A, "Delete a signal alert rule (its alerts stay)"),
    b(ep("post", "/api/v1/model/estimate", R, "Estimate a scenario (nothing is stored)"), "a scenario"),
    q(
        ep("get", "/api/v1/model/calibrate", R, "A scenario calibrated from a workflow's calls"),
        &[("workflow", "the workflow tag value"), ("days", "1-365 (default 30)")],
    ),
    ep("get", "/api/v1/model/tiers", R, "Every model's tier (premium or routine)"),
    b(
        ep("put", "/api/v1/model/tiers/{model}", A, "Set a model's tier"),
        "{\"tier\": \"premium\" | \"routine\" | null}",
    ),
    ep("get", "/api/v1/scenarios", R, "Saved scenarios"),
    b(ep("post", "/api/v1/scenarios", A, "Save a scenario"), "{name, workflow, scenario}"),
    ep("get", "/api/v1/scenarios/{id}", R, "A scenario and its estimate"),
    b(ep("put", "/api/v1/scenarios/{id}", A, "Replace a scenario"), "{name, workflow, scenario}"),
    ep("delete", "/api/v1/scenarios/{id}", A, "Delete a scenario"),
    q(
        ep("get", "/api/v1/scenarios/{id}/actual", R, "A scenario beside what its workflow did"),
        &[("days", "1-365 (default 30)"), ("tolerance", "percent beyond which a figure is flagged (default 25)")],
    ),
    p(
        b(
            ep("post", "/api/otlp/v1/traces", I, "OTLP/HTTP trace export (GenAI spans become calls)"),
            "ExportTraceServiceRequest, application/x-protobuf or application/json, optionally gzip",
        ),
        "application/x-protobuf",
    ),
    ep("get", "/healthz", None, "Liveness"),
    ep("get", "/readyz", None, "Readiness: the database answers and migrations are applied"),
    p(ep("get", "/metrics", None, "Prometheus metrics"), "text/plain"),
    ep("get", "/api/openapi.json", None, "This description"),
    p(
        q(
            ep("get", "/focus.csv", None, "FOCUS export for a signed-in person (session cookie)"),
            &[("from", "YYYY-MM-DD"), ("to", "YYYY-MM-DD")],
        ),
        "text/csv",
    ),
];

/// The OpenAPI 3.1 document.
pub fn openapi(version: &str) -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for e in ENDPOINTS.iter() {
        let mut params: Vec<Value> = e
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        params.extend(e.query.iter().map(|(name, d)| json!({"name": name, "in": "query", "required": false, "description": d, "schema": {"type": "string"}})));
        let mut op = json!({
            "summary": e.summary,
            "operationId": format!("{}_{}", e.method, e.path.trim_start_matches('/').replace(['/', '.', '{', '}'], "_")),
            "parameters": params,
            "responses": {
                "200": {"description": "success", "content": {e.produces: {}}},
                "400": {"description": "bad input: the field and the reason"},
                "401": {"description": "no or unknown API key"},
                "403": {"description": "the key lacks the scope"},
            },
        });
        match e.scope {
            Some(scope) => {
                op["security"] = json!([{"bearer": [scope]}]);
                op["description"] = json!(format!("API key scope: `{scope}`."));
            }
            None => op["security"] = json!([]),
        }
        if let Some(body) = e.body {
            op["requestBody"] = json!({"description": body, "required": true, "content": {"application/json": {}}});
        }
        paths.entry(e.path.to_string()).or_insert_with(|| json!({}))[e.method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Bursar API", "version": version, "description": "LLM spend: ingest, attribution, budgets, signals and the cost model. Money is decimal USD strings."},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "An API key: Authorization: Bearer bsr_…"}}},
        "paths": paths,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_is_described_once() {
        let mut seen = std::collections::HashSet::new();
        for e in ENDPOINTS.iter() {
            assert!(seen.insert((e.method, e.path)), "{} {} twice", e.method, e.path);
        }
        let doc = openapi("test");
        assert_eq!(doc["paths"]["/api/v1/budgets/{id}"]["delete"]["parameters"][0]["name"], "id");
        assert_eq!(doc["paths"]["/api/v1/spend"]["get"]["security"][0]["bearer"][0], "read");
    }
}
