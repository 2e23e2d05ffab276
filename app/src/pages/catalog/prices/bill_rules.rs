//! Mapping rules for bill lines on the Prices page: a line of an imported
//! bill (an AWS usage type, an Azure meter, an OpenAI line item) that the
//! default matching does not read is told its provider, model and token
//! class. Rules apply when Reconcile reads, so lines already imported follow.

use domain::invoice::{BillSource, MappingRule, TokenClass};
use leptos::prelude::*;

/// Every mapping rule, in the order they apply.
#[server(endpoint = "bill_rules")]
pub async fn get_bill_rules() -> Result<Vec<MappingRule>, ServerFnError> {
    crate::server::context::require(domain::people::users::Role::Admin).await?;
    crate::server::context::invoices()?.rules().await.map_err(crate::server::errors::refused)
}

/// Adds a rule. Admins only; audited.
#[server(endpoint = "add_bill_rule")]
pub async fn add_bill_rule(
    source: String,
    pattern: String,
    provider: String,
    model: String,
    token_class: String,
) -> Result<(), ServerFnError> {
    let (me, _) = crate::server::context::require(domain::people::users::Role::Admin).await?;
    let some = |s: String| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let source = match some(source) {
        Some(s) => Some(BillSource::parse(&s).map_err(|e| ServerFnError::new(e.to_string()))?),
        None => None,
    };
    let token_class = match some(token_class) {
        Some(c) => Some(
            TokenClass::parse(&c).ok_or_else(|| ServerFnError::new(format!("token_class: {c:?} is not a class")))?,
        ),
        None => None,
    };
    let rule = MappingRule { id: 0, source, pattern, provider: some(provider), model: some(model), token_class };
    crate::server::context::invoices()?.add_rule(&me.email, rule).await.map_err(crate::server::errors::refused)?;
    Ok(())
}

/// Deletes a rule. Admins only; audited.
#[server(endpoint = "delete_bill_rule")]
pub async fn delete_bill_rule(id: i64) -> Result<(), ServerFnError> {
    let (me, _) = crate::server::context::require(domain::people::users::Role::Admin).await?;
    crate::server::context::invoices()?.delete_rule(&me.email, id).await.map_err(crate::server::errors::refused)
}

/// The rules and the form to add one.
#[component]
pub fn BillRules() -> impl IntoView {
    let add = ServerAction::<AddBillRule>::new();
    let remove = ServerAction::<DeleteBillRule>::new();
    let rules = Resource::new(move || (add.version().get(), remove.version().get()), |_| get_bill_rules());
    let failure = move || {
        add.value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| remove.value().get().and_then(|r| r.err()))
            .map(|e| crate::components::feedback::error_text(&e))
    };
    let row = move |r: MappingRule| {
        let set = |v: Option<String>| v.unwrap_or_else(|| "—".into());
        view! {
            <tr>
                <td>{r.source.map(|s| s.as_str().to_string()).unwrap_or_else(|| "any".into())}</td>
                <td><code>{r.pattern.clone()}</code></td>
                <td>{set(r.provider.clone())}</td>
                <td>{set(r.model.clone())}</td>
                <td>{set(r.token_class.map(|c| c.as_str().to_string()))}</td>
                <td>
                    <ActionForm action=remove>
                        <input type="hidden" name="id" value=r.id/>
                        <button type="submit" class="btn">"Delete"</button>
                    </ActionForm>
                </td>
            </tr>
        }
    };
    view! {
        <section class="card form-card" id="bill-rules">
            <div class="card-head"><h2>"Mapping rules for bill lines"</h2></div>
            <p class="subtle">
                "Reconcile reads each bill line's model from the source (a line item, a FOCUS description). "
                "For a line it cannot read, say what it is: the first rule whose text the line's description contains wins."
            </p>
            <Suspense fallback=|| view! { <p class="subtle">"Loading rules…"</p> }>
                {move || rules.get().map(|r| match r {
                    Ok(list) if list.is_empty() => view! { <p class="subtle">"No rules yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="table" data-testid="bill-rules">
                            <thead><tr><th>"Source"</th><th>"Line contains"</th><th>"Provider"</th><th>"Model"</th><th>"Class"</th><th></th></tr></thead>
                            <tbody>{list.into_iter().map(row).collect_view()}</tbody>
                        </table>
                    }.into_any(),
                    Err(e) => crate::components::feedback::error_box(&e),
                })}
            </Suspense>
            <ActionForm action=add attr:class="form" attr:data-testid="add-bill-rule">
                <div class="form-row">
                    <label>"Source"
                        <select name="source">
                            <option value="">"any"</option>
                            <option value="focus">"FOCUS file"</option>
                            <option value="openai">"OpenAI costs"</option>
                            <option value="anthropic">"Anthropic cost report"</option>
                        </select>
                    </label>
                    <label>"Line contains" <input type="text" name="pattern" required=true placeholder="TitanEmbedTextV2"/></label>
                    <label>"Provider" <input type="text" name="provider" placeholder="bedrock"/></label>
                    <label>"Model" <input type="text" name="model" placeholder="amazon.titan-embed-text-v2:0" list="model-names"/></label>
                    <label>"Token class"
                        <select name="token_class">
                            <option value="">"as the line says"</option>
                            <option value="input">"input"</option>
                            <option value="cache_read">"cache read"</option>
                            <option value="cache_write">"cache write"</option>
                            <option value="output">"output"</option>
                        </select>
                    </label>
                </div>
                {move || failure().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <div class="form-actions"><button type="submit" class="btn primary">"Add rule"</button></div>
            </ActionForm>
        </section>
    }
}
