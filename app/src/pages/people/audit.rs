//! The audit log page (admins): every change to budgets, the taxonomy,
//! prices, keys and people, with who made it, when, and the fields that
//! changed. Filters by actor, kind, target and dates. Read-only: nothing
//! in Bursar edits or deletes an entry.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// One entry as the page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditRow {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    /// (field, before, after) for each top-level field that changed, as JSON text.
    pub changes: Vec<(String, String, String)>,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Entries matching the filters, newest first.
#[server(endpoint = "audit")]
pub async fn get_audit(
    actor: String,
    kind: String,
    target: String,
    from: String,
    to: String,
) -> Result<Vec<AuditRow>, ServerFnError> {
    let (_, store) = crate::server::context::require(domain::people::users::Role::Admin).await?;
    let params = [("actor", actor), ("kind", kind), ("target", target), ("from", from), ("to", to)];
    let q = domain::people::audit::Query::from_params(|k| params.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()))
        .map_err(|e| ServerFnError::new(e.to_string()))?;
    let entries = store.list_audit(&q).await.map_err(crate::server::errors::store_failed)?;
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "—".into(),
        other => other.to_string(),
    };
    let pretty = |v: &Option<serde_json::Value>| v.as_ref().and_then(|v| serde_json::to_string_pretty(v).ok());
    Ok(entries
        .into_iter()
        .map(|e| AuditRow {
            changes: e.changes().into_iter().map(|(k, b, a)| (k, text(&b), text(&a))).collect(),
            before: pretty(&e.before),
            after: pretty(&e.after),
            at: e.at,
            actor: e.actor,
            action: e.action,
            target: e.target,
        })
        .collect())
}

/// The audit log page.
#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |k: &'static str| move || query.read().get(k).unwrap_or_default();
    let (actor, kind, target, from, to) = (param("actor"), param("kind"), param("target"), param("from"), param("to"));
    let rows =
        Resource::new(move || (actor(), kind(), target(), from(), to()), |(a, k, t, f, to)| get_audit(a, k, t, f, to));
    let kinds = move || {
        let current = kind();
        std::iter::once(("", "all changes"))
            .chain(domain::people::audit::KINDS.iter().map(|k| (*k, *k)))
            .map(|(value, label)| {
                let selected = value == current;
                view! { <option value=value selected=selected>{label}</option> }
            })
            .collect_view()
    };
    view! {
        <crate::components::feedback::PageHead title="Audit log">
            "Every change to budgets, the taxonomy, prices, API keys and people: who, when, what, before and after. Entries cannot be edited."
        </crate::components::feedback::PageHead>
        <form class="filters card" method="get" action="/audit" data-testid="audit-filters">
            <label>"Who" <input type="text" name="actor" value=actor placeholder="email or key:name"/></label>
            <label>"Kind" <select name="kind">{kinds}</select></label>
            <label>"Target" <input type="text" name="target" value=target placeholder="budget id, model, key…"/></label>
            <label>"From" <input type="date" name="from" value=from/></label>
            <label>"To" <input type="date" name="to" value=to/></label>
            <button type="submit" class="btn">"Filter"</button>
        </form>
        <Transition fallback=|| view! { <div class="loading">"Loading the log…"</div> }>
            {move || Suspend::new(async move {
                match rows.await {
                    Ok(r) if r.is_empty() => view! { <div class="card empty-card"><p>"No change matches these filters."</p></div> }.into_any(),
                    Ok(r) => view! { <AuditTable rows=r/> }.into_any(),
                    Err(e) => crate::components::feedback::error_box(&e),
                }
            })}
        </Transition>
    }
}

#[component]
fn AuditTable(rows: Vec<AuditRow>) -> impl IntoView {
    let body = rows
        .into_iter()
        .map(|r| {
            let changes = r
                .changes
                .iter()
                .take(8)
                .map(|(f, b, a)| view! { <li><span class="mono">{f.clone()}</span>": " <span class="old">{b.clone()}</span>" → " <span class="new">{a.clone()}</span></li> })
                .collect_view();
            let kind = r.action.split('.').next().unwrap_or("").to_string();
            view! {
                <tr data-testid="audit-row" data-action=r.action.clone()>
                    <td class="nowrap">{r.at.format("%b %d %Y %H:%M:%S").to_string()}</td>
                    <td>{r.actor.clone()}</td>
                    <td><span class=format!("badge muted kind-{kind}")>{r.action.clone()}</span></td>
                    <td class="mono">{r.target.clone()}</td>
                    <td>
                        <ul class="changes">{changes}</ul>
                        <details>
                            <summary>"before and after"</summary>
                            <div class="json-pair">
                                <pre class="mono">{r.before.clone().unwrap_or_else(|| "(nothing)".into())}</pre>
                                <pre class="mono">{r.after.clone().unwrap_or_else(|| "(nothing)".into())}</pre>
                            </div>
                        </details>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card">
            <table class="table compact" data-testid="audit">
                <thead><tr><th>"When (UTC)"</th><th>"Who"</th><th>"What"</th><th>"Target"</th><th>"Change"</th></tr></thead>
                <tbody>{body}</tbody>
            </table>
        </section>
    }
}
