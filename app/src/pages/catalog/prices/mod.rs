//! The price catalog page (admins): every model with its price versions;
//! adding a model or a new price version from a date; importing LiteLLM's
//! catalog file after reviewing its diff; and the calls stored unpriced,
//! by model, each with one action: price the model and reprice its calls.

use chrono::Utc;
use leptos::prelude::*;

pub mod bill_rules;
mod data;
pub mod names;
pub use data::*;

/// The price catalog page.
#[component]
pub fn PricesPage() -> impl IntoView {
    let add = ServerAction::<AddModel>::new();
    let version = ServerAction::<AddVersion>::new();
    let preview = ServerAction::<PreviewImport>::new();
    let import = ServerAction::<ApplyImport>::new();
    let price = ServerAction::<PriceUnpriced>::new();
    let names = ServerAction::<names::AddAliases>::new();
    let finished = RwSignal::new(0usize);
    let data = Resource::new(
        move || {
            (
                add.version().get(),
                version.version().get(),
                import.version().get(),
                price.version().get(),
                names.version().get(),
                finished.get(),
            )
        },
        |_| get_prices(),
    );
    let today = Utc::now().date_naive().to_string();
    let import_text = RwSignal::new(String::new());
    let import_from = RwSignal::new(today.clone());
    let (today_model, today_version) = (today.clone(), today);
    view! {
        <crate::components::feedback::PageHead title="Price catalog">
            "Rates in USD per 1M tokens. A call is priced with the version in force on its own date, so a new price never rewrites history. "
            "A blank cache rate means the input rate."
        </crate::components::feedback::PageHead>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                data.await.ok().map(|d| view! { <UnpricedCard rows=d.unpriced price=price/> })
            })}
        </Transition>
        <crate::components::jobs::JobsPanel kind="price.reprice" trigger=Signal::derive(move || price.version().get()) finished=finished/>
        <div class="grid-2">
            <section class="card form-card">
                <div class="card-head"><h2>"Add a model"</h2></div>
                <ActionForm action=add attr:class="form" attr:data-testid="add-model">
                    <div class="form-row">
                        <label>"Model" <input type="text" name="model" required=true placeholder="acme-chat-1"/></label>
                        <label>"Provider" <input type="text" name="provider" required=true placeholder="acme"/></label>
                    </div>
                    <label>"Other names (comma separated)" <input type="text" name="aliases" placeholder="acme-chat-1-2026-11"/></label>
                    <RateFields today=today_model.clone()/>
                    {move || action_error(add.value().get()).map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                    <div class="form-actions"><button type="submit" class="btn primary">"Add model"</button></div>
                </ActionForm>
            </section>
            <section class="card form-card">
                <div class="card-head"><h2>"New price version"</h2></div>
                <ActionForm action=version attr:class="form" attr:data-testid="add-version">
                    <label>"Model" <input type="text" name="model" required=true placeholder="gpt-4o" list="model-names"/></label>
                    <RateFields today=today_version.clone()/>
                    {move || action_error(version.value().get()).map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                    <div class="form-actions"><button type="submit" class="btn primary">"Add version"</button></div>
                </ActionForm>
            </section>
        </div>
        <names::ModelNamesForm action=names/>
        <bill_rules::BillRules/>
        <section class="card form-card">
            <div class="card-head"><h2>"Import LiteLLM's catalog"</h2></div>
            <p class="subtle">
                "Paste model_prices_and_context_window.json (or POST it to /api/v1/prices/import). You see what changes before anything is saved; "
                "changed models get a new version from the date below, and nothing is removed."
            </p>
            <ActionForm action=preview attr:class="form" attr:data-testid="import-preview">
                <textarea name="text" rows="6" class="mono" placeholder="{ \"gpt-4o\": { \"input_cost_per_token\": 2.5e-06, … } }"
                    on:input=move |ev| import_text.set(event_target_value(&ev)) prop:value=move || import_text.get()></textarea>
                <div class="form-row">
                    <label>"New prices from" <input type="date" name="from" prop:value=move || import_from.get() on:input=move |ev| import_from.set(event_target_value(&ev))/></label>
                </div>
                {move || action_error(preview.value().get()).map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <div class="form-actions"><button type="submit" class="btn">"Show the diff"</button></div>
            </ActionForm>
            {move || preview.value().get().and_then(|r| r.ok()).map(|p| view! { <ImportDiff p=p import=import text=import_text from=import_from/> })}
            {move || import.value().get().map(|r| match r {
                Ok(n) => view! { <p class="notice" role="status">{format!("Imported: {n} models changed.")}</p> }.into_any(),
                Err(e) => view! { <p class="form-error" role="alert">{crate::components::feedback::error_text(&e)}</p> }.into_any(),
            })}
        </section>
        <crate::components::feedback::Loaded
            data=data
            loading="Loading the catalog…"
            body=move |d| view! { <ModelTable models=d.models/> }.into_any()
        />
    }
}

/// The error of an action's last run, as text.
fn action_error<T>(v: Option<Result<T, ServerFnError>>) -> Option<String> {
    v.and_then(|r| r.err()).map(|e| crate::components::feedback::error_text(&e))
}

#[component]
fn RateFields(today: String) -> impl IntoView {
    view! {
        <div class="form-row rates">
            <label>"From" <input type="date" name="effective_from" value=today required=true/></label>
            <label>"Input" <input type="text" name="input" required=true placeholder="2.50" inputmode="decimal"/></label>
            <label>"Output" <input type="text" name="output" required=true placeholder="10.00" inputmode="decimal"/></label>
            <label>"Cache read" <input type="text" name="cache_read" placeholder="= input" inputmode="decimal"/></label>
            <label>"Cache write" <input type="text" name="cache_write" placeholder="= input" inputmode="decimal"/></label>
        </div>
    }
}

#[component]
fn ImportDiff(
    p: ImportPreview,
    import: ServerAction<ApplyImport>,
    text: RwSignal<String>,
    from: RwSignal<String>,
) -> impl IntoView {
    let changed = p
        .changed
        .iter()
        .map(|(m, f, was, will)| {
            view! { <tr data-testid="diff-row"><td class="mono">{m.clone()}</td><td>{f.clone()}</td><td class="num old">{was.clone()}</td><td class="num new">{will.clone()}</td></tr> }
        })
        .collect_view();
    let new_rows = p
        .new
        .iter()
        .take(200)
        .map(|(m, prov, i, o)| view! { <tr><td class="mono">{m.clone()}</td><td>{prov.clone()}</td><td class="num">{i.clone()}</td><td class="num">{o.clone()}</td></tr> })
        .collect_view();
    let more_new = p.new.len().saturating_sub(200);
    view! {
        <div class="diff" data-testid="import-diff">
            <p>
                <strong>{format!("{} models change", p.changed_models)}</strong>
                {format!(" · {} new · {} unchanged · {} entries skipped (not text models or unpriced)", p.new.len(), p.unchanged, p.skipped)}
                {(!p.invalid.is_empty()).then(|| format!(" · {} with a bad price: {}", p.invalid.len(), p.invalid.join(", ")))}
            </p>
            {(!p.changed.is_empty()).then(|| view! {
                <table class="table compact">
                    <thead><tr><th>"Model"</th><th>"Rate"</th><th class="num">"Now"</th><th class="num">{format!("From {}", p.from)}</th></tr></thead>
                    <tbody>{changed}</tbody>
                </table>
            })}
            {(!p.new.is_empty()).then(|| view! {
                <details>
                    <summary>{format!("{} models the catalog does not have", p.new.len())}</summary>
                    <table class="table compact">
                        <thead><tr><th>"Model"</th><th>"Provider"</th><th class="num">"Input"</th><th class="num">"Output"</th></tr></thead>
                        <tbody>{new_rows}</tbody>
                    </table>
                    {(more_new > 0).then(|| view! { <p class="subtle">{format!("and {more_new} more")}</p> })}
                </details>
            })}
            <ActionForm action=import attr:class="form">
                <input type="hidden" name="text" prop:value=move || text.get()/>
                <input type="hidden" name="from" prop:value=move || from.get()/>
                <label class="check"><input type="checkbox" name="add_new" value="on"/>"Also add the new models"</label>
                <div class="form-actions"><button type="submit" class="btn primary" data-testid="apply-import">"Apply the import"</button></div>
            </ActionForm>
        </div>
    }
}

#[component]
fn UnpricedCard(rows: Vec<UnpricedRow>, price: ServerAction<PriceUnpriced>) -> impl IntoView {
    if rows.is_empty() {
        return view! {
            <section class="card" data-testid="unpriced">
                <div class="card-head"><h2>"Unpriced calls"</h2><span class="badge ok">"none"</span></div>
                <p class="subtle">"Every stored call has a cost."</p>
            </section>
        }
        .into_any();
    }
    let today = Utc::now().date_naive().to_string();
    let body = rows
        .into_iter()
        .map(|u| {
            let from = u.first.date_naive().to_string();
            let today = today.clone();
            let model = u.model.clone();
            let model_field = model.clone();
            view! {
                <tr data-testid="unpriced-row" data-model=model.clone()>
                    <td class="mono">{model.clone()}</td>
                    <td class="num">{crate::components::format::count(u.calls)}</td>
                    <td class="num">{crate::components::format::count(u.tokens)}</td>
                    <td>{format!("{} – {}", u.first.format("%b %d"), u.last.format("%b %d %Y"))}</td>
                    <td>
                        <ActionForm action=price attr:class="row-form">
                            <input type="hidden" name="model" value=model_field.clone()/>
                            {if u.priced_now {
                                view! {
                                    <input type="hidden" name="provider" value=""/>
                                    <input type="hidden" name="effective_from" value=today.clone()/>
                                    <input type="hidden" name="input" value=""/>
                                    <input type="hidden" name="output" value=""/>
                                    <input type="hidden" name="cache_read" value=""/>
                                    <input type="hidden" name="cache_write" value=""/>
                                    <span class="subtle">"now in the catalog"</span>
                                }.into_any()
                            } else {
                                view! {
                                    <input type="text" name="provider" placeholder="provider" required=true size="8" aria-label="Provider"/>
                                    <input type="date" name="effective_from" value=from aria-label="Price from"/>
                                    <input type="text" name="input" placeholder="input $/1M" required=true size="7" aria-label="Input rate"/>
                                    <input type="text" name="output" placeholder="output $/1M" required=true size="7" aria-label="Output rate"/>
                                    <input type="text" name="cache_read" placeholder="cache read" size="7" aria-label="Cache read rate"/>
                                    <input type="hidden" name="cache_write" value=""/>
                                }.into_any()
                            }}
                            <button type="submit" class="btn small primary" data-testid="price-model">"Price and recompute"</button>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card" data-testid="unpriced">
            <div class="card-head"><h2>"Unpriced calls"</h2><span class="badge warn">"kept, flagged, not yet in spend"</span></div>
            {move || price.value().get().and_then(|r| r.err()).map(|e| view! { <p class="form-error" role="alert">{crate::components::feedback::error_text(&e)}</p> })}
            <table class="table compact">
                <thead><tr><th>"Model as sent"</th><th class="num">"Calls"</th><th class="num">"Tokens"</th><th>"Seen"</th><th>"Price it (USD per 1M tokens)"</th></tr></thead>
                <tbody>{body}</tbody>
            </table>
        </section>
    }
    .into_any()
}

#[component]
fn ModelTable(models: Vec<ModelRow>) -> impl IntoView {
    let set_tier = ServerAction::<SetModelTier>::new();
    let names = models.iter().map(|m| view! { <option value=m.model.clone()/> }).collect_view();
    let count = models.len();
    let rows = models
        .into_iter()
        .map(|m| {
            let current = m.versions.last().cloned();
            let history = m.versions.len();
            let model_name = m.model.clone();
            let versions = m
                .versions
                .iter()
                .rev()
                .map(|v| view! { <li>{format!("from {}: ${} in / ${} out / ${} cache read / ${} cache write", v.from, v.input, v.output, v.cache_read, v.cache_write)} {v.tiers.iter().map(|t| format!(" · {t}")).collect::<String>()}</li> })
                .collect_view();
            view! {
                <tr data-testid="model-row" data-model=m.model.clone()>
                    <td class="mono">{m.model.clone()} {(!m.aliases.is_empty()).then(|| view! { <div class="subtle">{m.aliases.join(", ")}</div> })}</td>
                    <td>{m.provider.clone()}</td>
                    {current.map(|v| view! {
                        <td class="num">{v.input}</td>
                        <td class="num">{v.output}</td>
                        <td class="num">{v.cache_read}</td>
                        <td class="num">{v.cache_write}</td>
                        <td>{v.from} {(!v.tiers.is_empty()).then(|| view! { <div class="subtle">{v.tiers.join("; ")}</div> })}</td>
                    })}
                    <td>
                        <ActionForm action=set_tier attr:class="inline-form">
                            <input type="hidden" name="model" value=model_name.clone()/>
                            <select name="tier" data-testid="tier" onchange=crate::csp::REQUEST_SUBMIT_ON_CHANGE title="Premium models count as escalation on the Signals page">
                                <option value="" selected=!m.tier_set>{format!("{} (from price)", if m.tier_set { "default" } else { m.tier.as_str() })}</option>
                                <option value="premium" selected=m.tier_set && m.tier == "premium">"premium"</option>
                                <option value="routine" selected=m.tier_set && m.tier == "routine">"routine"</option>
                            </select>
                        </ActionForm>
                    </td>
                    <td>
                        <details>
                            <summary>{format!("{history} version{}", if history == 1 { "" } else { "s" })}</summary>
                            <ul class="versions">{versions}</ul>
                        </details>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <datalist id="model-names">{names}</datalist>
        <section class="card">
            <div class="card-head"><h2>{format!("Models ({count})")}</h2><span class="subtle">"Premium models count as escalation on the Signals page; by default a model is premium from $5 per 1M input tokens."</span></div>
            {move || set_tier.value().get().and_then(|r| r.err()).map(|e| view! { <p class="form-error" role="alert">{crate::components::feedback::error_text(&e)}</p> })}
            <table class="table compact" data-testid="models">
                <thead>
                    <tr><th>"Model"</th><th>"Provider"</th><th class="num">"Input"</th><th class="num">"Output"</th><th class="num">"Cache read"</th><th class="num">"Cache write"</th><th>"In force from"</th><th>"Tier"</th><th>"History"</th></tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}
