//! The API page: every endpoint with its method, path, key scope and what
//! it does, from the same table the server routes and documents with, and a
//! link to the OpenAPI document.

use crate::api_catalog::ENDPOINTS;
use leptos::prelude::*;

/// The API page.
#[component]
pub fn ApiPage() -> impl IntoView {
    let rows = ENDPOINTS
        .iter()
        .map(|e| {
            let query = e.query.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
            view! {
                <tr data-testid="endpoint">
                    <td><span class=format!("badge method-{}", e.method)>{e.method.to_uppercase()}</span></td>
                    <td><code>{e.path}</code>{(!query.is_empty()).then(|| view! { <div class="hint">{format!("?{query}")}</div> })}</td>
                    <td>{e.scope.map(|s| view! { <code>{s}</code> }.into_any()).unwrap_or_else(|| view! { <span class="subtle">"none"</span> }.into_any())}</td>
                    <td>{e.summary}{e.body.map(|b| view! { <div class="hint">{format!("body: {b}")}</div> })}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <crate::components::feedback::PageHead title="API">
            "Every endpoint, with the API key scope it needs (send it as Authorization: Bearer …; admins create keys on the API keys page). The machine-readable description is "
            <a href="/api/openapi.json" data-testid="openapi-link" rel="external">"/api/openapi.json"</a>
            " (OpenAPI 3.1); the server routes exactly what it lists."
        </crate::components::feedback::PageHead>
        <section class="card">
            <table class="table compact">
                <thead><tr><th>"Method"</th><th>"Path"</th><th>"Scope"</th><th>"What it does"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}
