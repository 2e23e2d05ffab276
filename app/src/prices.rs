//! The price catalog page (admins): every model with its price versions;
//! adding a model or a new price version from a date; importing LiteLLM's
//! catalog file after reviewing its diff; and the calls stored unpriced,
//! by model, each with one action: price the model and reprice its calls.

// Server functions take one argument per form field.
#![allow(clippy::too_many_arguments)]

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One price version, rates as USD per 1M tokens.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VersionRow {
    pub from: String,
    pub input: String,
    pub output: String,
    pub cache_read: String,
    pub cache_write: String,
    /// e.g. "above 200k input: $2.50 / $15"
    pub tiers: Vec<String>,
}

/// One model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelRow {
    pub model: String,
    pub provider: String,
    pub aliases: Vec<String>,
    /// Oldest first; the last is in force from its date.
    pub versions: Vec<VersionRow>,
    /// `premium` or `routine`: premium models count as escalation on the Signals page.
    pub tier: String,
    /// Whether an admin set the tier (else it follows the price).
    pub tier_set: bool,
}

/// Calls stored without a cost, for one model name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnpricedRow {
    pub model: String,
    pub calls: i64,
    pub tokens: i64,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    /// The catalog now has a price for it (the calls only wait for repricing).
    pub priced_now: bool,
}

/// The page's data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PricesData {
    pub models: Vec<ModelRow>,
    pub unpriced: Vec<UnpricedRow>,
}

/// What an import would change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportPreview {
    /// (model, provider, input, output) of models the catalog lacks.
    pub new: Vec<(String, String, String, String)>,
    /// (model, field, now, after) for every rate that changes.
    pub changed: Vec<(String, String, String, String)>,
    pub changed_models: usize,
    pub unchanged: usize,
    pub skipped: usize,
    pub invalid: Vec<String>,
    pub from: String,
}

#[cfg(feature = "ssr")]
fn version_row(v: &domain::pricing::catalog::PriceVersion) -> VersionRow {
    VersionRow {
        from: v.effective_from.to_string(),
        input: v.rates.input.to_string(),
        output: v.rates.output.to_string(),
        cache_read: v.rates.cache_read.to_string(),
        cache_write: v.rates.cache_write.to_string(),
        tiers: v
            .tiers
            .iter()
            .map(|t| {
                format!(
                    "above {}k input: ${} in / ${} out / ${} cache read",
                    t.above_input_tokens / 1000,
                    t.rates.input,
                    t.rates.output,
                    t.rates.cache_read
                )
            })
            .collect(),
    }
}

#[cfg(feature = "ssr")]
fn date(field: &str, s: &str) -> Result<chrono::NaiveDate, ServerFnError> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| ServerFnError::new(format!("{field}: must be a date like 2026-12-01 (got {s:?})")))
}

/// The catalog and the unpriced calls.
#[server(endpoint = "prices")]
pub async fn get_prices() -> Result<PricesData, ServerFnError> {
    let (_, store) = crate::auth::require(domain::people::users::Role::Admin).await?;
    let gov = crate::governance_ctx::governance()?;
    let catalog = gov.catalog();
    let tiers = crate::signals::service()?.tiers().await.map_err(crate::budgets::store_failed)?;
    let models = catalog
        .models()
        .iter()
        .map(|m| {
            let tier = tiers.iter().find(|t| t.model == m.model);
            ModelRow {
                model: m.model.clone(),
                provider: m.provider.clone(),
                aliases: m.aliases.clone(),
                versions: m.prices.iter().map(version_row).collect(),
                tier: tier.map(|t| t.tier.as_str()).unwrap_or("routine").to_string(),
                tier_set: tier.is_some_and(|t| t.set),
            }
        })
        .collect();
    let unpriced = store
        .unpriced_models()
        .await
        .map_err(crate::budgets::store_failed)?
        .into_iter()
        .map(|u| UnpricedRow {
            priced_now: catalog.find(&u.model).is_some(),
            model: u.model,
            calls: u.calls,
            tokens: u.input_tokens + u.output_tokens,
            first: u.first,
            last: u.last,
        })
        .collect();
    Ok(PricesData { models, unpriced })
}

/// Sets a model's tier (`premium`, `routine`, or empty for the default from its price).
#[server(endpoint = "set_model_tier")]
pub async fn set_model_tier(model: String, tier: String) -> Result<(), ServerFnError> {
    let (person, _) = crate::auth::require(domain::people::users::Role::Admin).await?;
    let tier = match tier.as_str() {
        "" => None,
        t => Some(domain::signals::signal::ModelTier::parse(t).map_err(|r| ServerFnError::new(format!("tier {r}")))?),
    };
    crate::signals::service()?.set_tier(&person.email, &model, tier).await.map_err(crate::signals::refused)
}

/// Adds a model to the catalog.
#[server(endpoint = "add_price_model")]
pub async fn add_model(
    model: String,
    provider: String,
    aliases: String,
    effective_from: String,
    input: String,
    output: String,
    cache_read: String,
    cache_write: String,
) -> Result<(), ServerFnError> {
    let (me, _) = crate::auth::require(domain::people::users::Role::Admin).await?;
    let draft = domain::pricing::price_edit::PriceDraft {
        model,
        provider,
        aliases,
        effective_from,
        input,
        output,
        cache_read,
        cache_write,
    };
    crate::governance_ctx::governance()?.add_model(&me.email, &draft).await.map_err(crate::governance_ctx::refused)?;
    Ok(())
}

/// Adds a price version to a model from a date.
#[server(endpoint = "add_price_version")]
pub async fn add_version(
    model: String,
    effective_from: String,
    input: String,
    output: String,
    cache_read: String,
    cache_write: String,
) -> Result<(), ServerFnError> {
    let (me, _) = crate::auth::require(domain::people::users::Role::Admin).await?;
    let draft = domain::pricing::price_edit::PriceDraft {
        model,
        effective_from,
        input,
        output,
        cache_read,
        cache_write,
        ..Default::default()
    };
    crate::governance_ctx::governance()?
        .add_version(&me.email, &draft)
        .await
        .map_err(crate::governance_ctx::refused)?;
    Ok(())
}

/// What importing a LiteLLM file would change.
#[server(endpoint = "preview_price_import")]
pub async fn preview_import(text: String, from: String) -> Result<ImportPreview, ServerFnError> {
    crate::auth::require(domain::people::users::Role::Admin).await?;
    let from_date = date("from", &from)?;
    let diff = crate::governance_ctx::governance()?
        .preview_import(&text, from_date)
        .map_err(crate::governance_ctx::refused)?;
    let mut changed = Vec::new();
    for c in &diff.changed {
        let now = c.current.as_ref().map(version_row);
        let next = version_row(&c.next);
        let fields = [
            ("input", now.as_ref().map(|n| n.input.clone()), next.input.clone()),
            ("output", now.as_ref().map(|n| n.output.clone()), next.output.clone()),
            ("cache read", now.as_ref().map(|n| n.cache_read.clone()), next.cache_read.clone()),
            ("cache write", now.as_ref().map(|n| n.cache_write.clone()), next.cache_write.clone()),
            ("tiers", now.as_ref().map(|n| n.tiers.join("; ")), next.tiers.join("; ")),
        ];
        let rates_now = c.current.as_ref().map(|v| &v.rates);
        for (i, (field, was, will)) in fields.into_iter().enumerate() {
            let same = match (i, rates_now) {
                (0, Some(r)) => r.input == c.next.rates.input,
                (1, Some(r)) => r.output == c.next.rates.output,
                (2, Some(r)) => r.cache_read == c.next.rates.cache_read,
                (3, Some(r)) => r.cache_write == c.next.rates.cache_write,
                (4, _) => c.current.as_ref().is_some_and(|v| v.tiers == c.next.tiers),
                _ => false,
            };
            if !same {
                changed.push((c.model.clone(), field.to_string(), was.unwrap_or_else(|| "none".into()), will));
            }
        }
    }
    Ok(ImportPreview {
        new: diff
            .new
            .iter()
            .map(|m| {
                let r = &m.prices[0].rates;
                (m.model.clone(), m.provider.clone(), r.input.to_string(), r.output.to_string())
            })
            .collect(),
        changed,
        changed_models: diff.changed.len(),
        unchanged: diff.unchanged,
        skipped: diff.skipped,
        invalid: diff.invalid,
        from: from_date.to_string(),
    })
}

/// Applies a LiteLLM file; answers how many models changed.
#[server(endpoint = "apply_price_import")]
pub async fn apply_import(text: String, from: String, add_new: Option<String>) -> Result<usize, ServerFnError> {
    let (me, _) = crate::auth::require(domain::people::users::Role::Admin).await?;
    let from = date("from", &from)?;
    let changed = crate::governance_ctx::governance()?
        .apply_import(&me.email, &text, from, add_new.is_some())
        .await
        .map_err(crate::governance_ctx::refused)?;
    Ok(changed.len())
}

/// Prices an unpriced model (adding it to the catalog under the name its
/// calls carry, unless the catalog already prices it) and reprices its calls.
#[server(endpoint = "price_unpriced")]
pub async fn price_unpriced(
    model: String,
    provider: String,
    effective_from: String,
    input: String,
    output: String,
    cache_read: String,
    cache_write: String,
) -> Result<String, ServerFnError> {
    let (me, _) = crate::auth::require(domain::people::users::Role::Admin).await?;
    let gov = crate::governance_ctx::governance()?;
    if gov.catalog().find(&model).is_none() {
        let draft = domain::pricing::price_edit::PriceDraft {
            model: model.clone(),
            provider,
            aliases: String::new(),
            effective_from,
            input,
            output,
            cache_read,
            cache_write,
        };
        gov.add_model(&me.email, &draft).await.map_err(crate::governance_ctx::refused)?;
    }
    Ok(gov.start_reprice(&me.email, &[model]).await.map_err(crate::governance_ctx::refused)?.id)
}

/// The price catalog page.
#[component]
pub fn PricesPage() -> impl IntoView {
    let add = ServerAction::<AddModel>::new();
    let version = ServerAction::<AddVersion>::new();
    let preview = ServerAction::<PreviewImport>::new();
    let import = ServerAction::<ApplyImport>::new();
    let price = ServerAction::<PriceUnpriced>::new();
    let names = ServerAction::<crate::price_names::AddAliases>::new();
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
        <div class="page-head">
            <div>
                <h1>"Price catalog"</h1>
                <p class="subtle">
                    "Rates in USD per 1M tokens. A call is priced with the version in force on its own date, so a new price never rewrites history. "
                    "A blank cache rate means the input rate."
                </p>
            </div>
        </div>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                data.await.ok().map(|d| view! { <UnpricedCard rows=d.unpriced price=price/> })
            })}
        </Transition>
        <crate::jobs::JobsPanel kind="price.reprice" trigger=Signal::derive(move || price.version().get()) finished=finished/>
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
        <crate::price_names::ModelNamesForm action=names/>
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
                Err(e) => view! { <p class="form-error" role="alert">{crate::error_text(&e)}</p> }.into_any(),
            })}
        </section>
        <Transition fallback=|| view! { <div class="loading">"Loading the catalog…"</div> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => view! { <ModelTable models=d.models/> }.into_any(),
                    Err(e) => crate::error_box(&e),
                }
            })}
        </Transition>
    }
}

/// The error of an action's last run, as text.
fn action_error<T>(v: Option<Result<T, ServerFnError>>) -> Option<String> {
    v.and_then(|r| r.err()).map(|e| crate::error_text(&e))
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
                    <td class="num">{crate::format::count(u.calls)}</td>
                    <td class="num">{crate::format::count(u.tokens)}</td>
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
            {move || price.value().get().and_then(|r| r.err()).map(|e| view! { <p class="form-error" role="alert">{crate::error_text(&e)}</p> })}
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
            {move || set_tier.value().get().and_then(|r| r.err()).map(|e| view! { <p class="form-error" role="alert">{crate::error_text(&e)}</p> })}
            <table class="table compact" data-testid="models">
                <thead>
                    <tr><th>"Model"</th><th>"Provider"</th><th class="num">"Input"</th><th class="num">"Output"</th><th class="num">"Cache read"</th><th class="num">"Cache write"</th><th>"In force from"</th><th>"Tier"</th><th>"History"</th></tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}
