//! Mapping other names to a model on the Prices page: an Azure OpenAI call
//! carries the deployment name as its model, and an admin says which model
//! each deployment runs (the catalog's `azure/…` entries carry Azure's rates).

use leptos::prelude::*;

/// Adds comma-separated names to a model. Admins only; audited.
#[server(endpoint = "add_price_aliases")]
pub async fn add_aliases(model: String, aliases: String) -> Result<(), ServerFnError> {
    let (me, _) = crate::server::context::require(domain::people::users::Role::Admin).await?;
    let draft = domain::pricing::price_edit::PriceDraft { model, aliases, ..Default::default() };
    crate::server::context::catalog_service()?
        .add_aliases(&me.email, &draft)
        .await
        .map_err(crate::server::errors::refused)?;
    Ok(())
}

/// The form, posting through `action` (the page reloads its catalog when it completes).
#[component]
pub fn ModelNamesForm(action: ServerAction<AddAliases>) -> impl IntoView {
    let failure =
        move || action.value().get().and_then(|r| r.err()).map(|e| crate::components::feedback::error_text(&e));
    view! {
        <section class="card form-card">
            <div class="card-head"><h2>"Map names to a model"</h2></div>
            <p class="subtle">
                "Azure OpenAI sends your deployment name as the model. Name the model each deployment runs "
                "(azure/gpt-4o carries Azure's rates), then use Price and recompute for calls already stored."
            </p>
            <ActionForm action=action attr:class="form" attr:data-testid="add-aliases">
                <div class="form-row">
                    <label>"Model" <input type="text" name="model" required=true placeholder="azure/gpt-4o" list="model-names"/></label>
                    <label>"Names (comma separated)" <input type="text" name="aliases" required=true placeholder="prod-gpt4o, eastus-4o"/></label>
                </div>
                {move || failure().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <div class="form-actions"><button type="submit" class="btn primary">"Add names"</button></div>
            </ActionForm>
        </section>
    }
}
