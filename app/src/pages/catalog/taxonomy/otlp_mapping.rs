//! The OpenTelemetry mapping card on the Taxonomy page: which span or
//! resource attributes become which tags, and which attribute names a task,
//! for calls sent to `/api/otlp/v1/traces` (admins).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The mapping as the form shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MappingText {
    /// `attribute => tag` lines.
    pub lines: String,
    pub task_attribute: String,
}

/// Reads the saved mapping.
#[server(endpoint = "otlp_mapping")]
pub async fn get_otlp_mapping() -> Result<MappingText, ServerFnError> {
    crate::server::context::require(domain::people::users::Role::Admin).await?;
    let m =
        crate::server::context::catalog_service()?.otlp_mapping().await.map_err(crate::server::errors::store_failed)?;
    Ok(MappingText { lines: m.lines(), task_attribute: m.task_attribute.unwrap_or_default() })
}

/// Saves the mapping.
#[server(endpoint = "save_otlp_mapping")]
pub async fn save_otlp_mapping(lines: String, task_attribute: String) -> Result<(), ServerFnError> {
    let (person, _) = crate::server::context::require(domain::people::users::Role::Admin).await?;
    crate::server::context::catalog_service()?
        .save_otlp_mapping(&person.email, &lines, &task_attribute)
        .await
        .map_err(crate::server::errors::refused)?;
    Ok(())
}

/// The card.
#[component]
pub fn OtlpMappingCard() -> impl IntoView {
    let save = ServerAction::<SaveOtlpMapping>::new();
    let data = Resource::new(move || save.version().get(), |_| get_otlp_mapping());
    let error = move || save.value().get().and_then(|r| r.err()).map(|e| crate::components::feedback::error_text(&e));
    let saved = move || matches!(save.value().get(), Some(Ok(())));
    view! {
        <section class="card form-card" data-testid="otlp-mapping">
            <div class="card-head">
                <h2>"OpenTelemetry mapping"</h2>
                <span class="subtle">"for spans sent to /api/otlp/v1/traces"</span>
            </div>
            <p class="subtle">
                "By default service.name becomes product, gen_ai.agent.name or gen_ai.workflow.name becomes workflow, any bursar.<key> attribute becomes the tag <key>, and a call's task is its trace. Lines here come first; the taxonomy's rules then apply as for any call."
            </p>
            <Transition fallback=|| view! { <p class="subtle">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => crate::components::feedback::error_box(&e),
                        Ok(m) => view! {
                            <ActionForm action=save attr:class="form">
                                <div class="form-row">
                                    <label>"Attributes to tags (one per line: attribute => tag)"
                                        <textarea name="lines" rows="4" data-testid="otlp-lines" placeholder="app.feature => workflow">{m.lines.clone()}</textarea>
                                    </label>
                                    <label>"Task attribute (empty: the trace id)"
                                        <input type="text" name="task_attribute" value=m.task_attribute.clone() placeholder="gen_ai.conversation.id"/>
                                    </label>
                                </div>
                                {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                                {move || saved().then(|| view! { <p class="subtle" role="status">"Saved; the next export uses it."</p> })}
                                <div class="form-actions">
                                    <button type="submit" class="btn primary" data-testid="save-otlp">"Save mapping"</button>
                                </div>
                            </ActionForm>
                        }
                        .into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
