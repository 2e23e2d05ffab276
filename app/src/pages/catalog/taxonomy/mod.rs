//! The tag taxonomy page (admins): each key's description, whether calls
//! must carry it, its allowed values, aliases and ingest policy; the values
//! actually seen in the last 90 days, with those outside the rules flagged;
//! and applying the rules to stored calls as a background job whose progress
//! the page follows.

pub mod otlp_mapping;

use crate::components::format;
use domain::Nanos;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One key's rule as the page shows and edits it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleRow {
    pub key: String,
    pub description: String,
    pub required: bool,
    pub allowed: Vec<String>,
    /// `spelling => canonical`, one per line.
    pub aliases_text: String,
    pub alias_count: usize,
    pub policy: String,
    /// Values seen in the last 90 days: value, spend, calls, whether the rule flags it, what the rules make of it.
    pub seen: Vec<SeenValue>,
}

/// A value a key carried in the last 90 days.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeenValue {
    pub value: String,
    pub cost: Nanos,
    pub calls: i64,
    pub allowed: bool,
    /// What applying the rules would store instead, if anything.
    pub becomes: Option<String>,
}

/// The page's data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaxonomyData {
    pub rules: Vec<RuleRow>,
    /// Keys seen on calls that have no rule yet.
    pub unruled: Vec<String>,
    pub jobs: Vec<crate::components::jobs::JobRow>,
}

/// The taxonomy, the values seen, and recent apply jobs.
#[server(endpoint = "taxonomy")]
pub async fn get_taxonomy() -> Result<TaxonomyData, ServerFnError> {
    use domain::attribution::query::{Dimension, SpendQuery};
    let (_, store) = crate::server::context::require(domain::people::users::Role::Admin).await?;
    let tax = store.taxonomy().await.map_err(crate::server::errors::store_failed)?;
    let now = chrono::Utc::now();
    let mut rules = Vec::new();
    for r in &tax.keys {
        let dimension = Dimension::parse(&r.key).map_err(ServerFnError::new)?;
        // From an hour boundary, so the rollups serve it once older calls are retired.
        let back = now - chrono::Duration::days(90);
        let from = chrono::DurationRound::duration_trunc(back, chrono::Duration::hours(1)).unwrap_or(back);
        let q = SpendQuery { group_by: vec![dimension], ..SpendQuery::new(from, now) };
        // The values seen since the retention edge, when a key the rollups do not keep reads each call.
        let (report, _) = store.spend_since_edge(&q).await.map_err(crate::server::errors::store_failed)?;
        let seen = report
            .groups
            .into_iter()
            .filter_map(|g| {
                let value = g.values.into_iter().next().flatten()?;
                let normal = r.normalize(&value);
                Some(SeenValue {
                    allowed: r.allows(&normal),
                    becomes: (normal != value).then_some(normal),
                    value,
                    cost: g.totals.cost,
                    calls: g.totals.calls,
                })
            })
            .take(50)
            .collect();
        rules.push(RuleRow {
            key: r.key.clone(),
            description: r.description.clone(),
            required: r.required,
            allowed: r.allowed.clone(),
            aliases_text: r.aliases.iter().map(|(a, b)| format!("{a} => {b}")).collect::<Vec<_>>().join("\n"),
            alias_count: r.aliases.len(),
            policy: r.policy.as_str().to_string(),
            seen,
        });
    }
    let mut unruled: Vec<String> = domain::attribution::tags::CONVENTIONAL_KEYS.iter().map(|k| k.to_string()).collect();
    for k in store.known_tag_keys().await.map_err(crate::server::errors::store_failed)? {
        if !unruled.contains(&k) {
            unruled.push(k);
        }
    }
    unruled.retain(|k| tax.rule(k).is_none());
    Ok(TaxonomyData { rules, unruled, jobs: crate::components::jobs::job_rows(&store, "taxonomy.apply").await? })
}

/// Saves one key's rule (`original` is the key being edited, empty for a new one).
#[server(endpoint = "save_tag_rule")]
pub async fn save_rule(
    original: String,
    key: String,
    description: String,
    required: Option<String>,
    allowed: String,
    aliases: String,
    policy: String,
) -> Result<(), ServerFnError> {
    use domain::attribution::taxonomy::{parse_aliases, parse_values, KeyRule, Policy};
    let (me, _) = crate::server::context::require(domain::people::users::Role::Admin).await?;
    let policy = Policy::parse(&policy).map_err(|e| ServerFnError::new(format!("policy: {e}")))?;
    let aliases = parse_aliases(&aliases).map_err(|e| ServerFnError::new(format!("aliases: {e}")))?;
    let rule = KeyRule {
        key: key.trim().to_string(),
        description: description.trim().to_string(),
        required: required.is_some(),
        allowed: parse_values(&allowed),
        aliases,
        policy,
    };
    let original = Some(original.trim()).filter(|o| !o.is_empty());
    crate::server::context::catalog_service()?
        .save_rule(&me.email, original, rule)
        .await
        .map_err(crate::server::errors::refused)?;
    Ok(())
}

/// Removes a key's rule.
#[server(endpoint = "delete_tag_rule")]
pub async fn delete_rule(key: String) -> Result<(), ServerFnError> {
    let (me, _) = crate::server::context::require(domain::people::users::Role::Admin).await?;
    crate::server::context::catalog_service()?
        .delete_rule(&me.email, &key)
        .await
        .map_err(crate::server::errors::refused)
}

/// Starts applying the rules to stored calls; answers with the job's id.
#[server(endpoint = "apply_taxonomy")]
pub async fn apply_taxonomy() -> Result<String, ServerFnError> {
    let (me, _) = crate::server::context::require(domain::people::users::Role::Admin).await?;
    Ok(crate::server::context::catalog_service()?
        .start_apply_taxonomy(&me.email)
        .await
        .map_err(crate::server::errors::refused)?
        .id)
}

/// The taxonomy page.
#[component]
pub fn TaxonomyPage() -> impl IntoView {
    let save = ServerAction::<SaveRule>::new();
    let delete = ServerAction::<DeleteRule>::new();
    let apply = ServerAction::<ApplyTaxonomy>::new();
    let finished = RwSignal::new(0usize);
    let data = Resource::new(
        move || (save.version().get(), delete.version().get(), apply.version().get(), finished.get()),
        |_| get_taxonomy(),
    );
    let editing = RwSignal::new(None::<(String, RuleRow)>);
    // Close the form once a save succeeds.
    Effect::new(move |_| {
        if let Some(Ok(())) = save.value().get() {
            editing.set(None);
        }
    });
    let save_error =
        move || save.value().get().and_then(|r| r.err()).map(|e| crate::components::feedback::error_text(&e));
    let other_error = move || {
        delete
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| apply.value().get().and_then(|r| r.err()))
            .map(|e| crate::components::feedback::error_text(&e))
    };
    view! {
        <div class="page-head">
            <div>
                <h1>"Tag taxonomy"</h1>
                <p class="subtle">
                    "What each tag key means, which values it allows, which spellings are the same value, and what ingest does with a value outside the rules. "
                    "Required keys define untagged spend."
                </p>
            </div>
            <div class="head-actions">
                <button class="btn" data-testid="new-rule" on:click=move |_| editing.set(Some((String::new(), blank_rule(String::new()))))>
                    "Add a key"
                </button>
                <ActionForm action=apply attr:class="inline-form">
                    <button type="submit" class="btn primary" data-testid="apply-taxonomy">"Apply to stored calls"</button>
                </ActionForm>
            </div>
        </div>
        {move || other_error().map(|e| view! { <div class="error-box" role="alert">{e}</div> })}
        {move || editing.get().map(|(original, r)| view! { <RuleForm original=original rule=r save=save error=Signal::derive(save_error) on_cancel=move || editing.set(None)/> })}
        <crate::components::jobs::JobsPanel kind="taxonomy.apply" trigger=Signal::derive(move || apply.version().get()) finished=finished/>
        <otlp_mapping::OtlpMappingCard/>
        <crate::components::feedback::Loaded
            data=data
            loading="Loading the taxonomy…"
            body=move |d| view! { <RuleList data=d editing=editing delete=delete/> }.into_any()
        />
    }
}

fn blank_rule(key: String) -> RuleRow {
    RuleRow {
        key,
        description: String::new(),
        required: false,
        allowed: vec![],
        aliases_text: String::new(),
        alias_count: 0,
        policy: "normalize".into(),
        seen: vec![],
    }
}

#[component]
fn RuleForm(
    original: String,
    rule: RuleRow,
    save: ServerAction<SaveRule>,
    error: Signal<Option<String>>,
    on_cancel: impl Fn() + 'static + Send + Sync,
) -> impl IntoView {
    let policies = ["accept", "normalize", "reject"]
        .map(|p| {
            let selected = p == rule.policy;
            view! { <option value=p selected=selected>{p}</option> }
        })
        .collect_view();
    view! {
        <section class="card form-card" data-testid="rule-form">
            <div class="card-head">
                <h2>{if original.is_empty() { "New key rule".to_string() } else { format!("Edit {}", rule.key) }}</h2>
            </div>
            <ActionForm action=save attr:class="form">
                <input type="hidden" name="original" value=original/>
                <div class="form-row">
                    <label>"Key" <input type="text" name="key" value=rule.key.clone() required=true placeholder="workflow"/></label>
                    <label>"Policy for values outside the rules"
                        <select name="policy">{policies}</select>
                    </label>
                    <label class="check"><input type="checkbox" name="required" value="on" checked=rule.required/>"Required (calls without it count as untagged)"</label>
                </div>
                <label>"Description" <input type="text" name="description" value=rule.description.clone() placeholder="The agent or pipeline a call belongs to"/></label>
                <div class="form-row">
                    <label>"Allowed values (one per line; empty = any value)"
                        <textarea name="allowed" rows="4">{rule.allowed.join("\n")}</textarea>
                    </label>
                    <label>"Aliases (one per line: spelling => canonical value)"
                        <textarea name="aliases" rows="4" data-testid="aliases" placeholder="bug_triage => bug-triage">{rule.aliases_text.clone()}</textarea>
                    </label>
                </div>
                <p class="subtle">
                    "accept stores a value as sent and flags it · normalize applies aliases and lower-cases (or matches an allowed value ignoring case) · reject refuses the call, naming the allowed values. Aliases apply under every policy."
                </p>
                {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <div class="form-actions">
                    <button type="button" class="btn" on:click=move |_| on_cancel()>"Cancel"</button>
                    <button type="submit" class="btn primary" data-testid="save-rule">"Save rule"</button>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn RuleList(
    data: TaxonomyData,
    editing: RwSignal<Option<(String, RuleRow)>>,
    delete: ServerAction<DeleteRule>,
) -> impl IntoView {
    let empty = data.rules.is_empty();
    let cards = data
        .rules
        .into_iter()
        .map(|r| {
            let edit_rule = r.clone();
            let allowed = if r.allowed.is_empty() { "any value".to_string() } else { r.allowed.join(", ") };
            let seen = r
                .seen
                .iter()
                .map(|v| {
                    let status = match (&v.becomes, v.allowed) {
                        (Some(to), _) => view! { <span class="badge warn muted">{format!("→ {to}")}</span> }.into_any(),
                        (None, false) => view! { <span class="badge over">"not allowed"</span> }.into_any(),
                        (None, true) => view! { <span class="badge ok">"ok"</span> }.into_any(),
                    };
                    view! {
                        <tr data-testid="seen-value">
                            <td class="mono">{v.value.clone()}</td>
                            <td>{status}</td>
                            <td class="num">{format::count(v.calls)}</td>
                            <td class="num">{format::usd(v.cost)}</td>
                        </tr>
                    }
                })
                .collect_view();
            let key = r.key.clone();
            view! {
                <section class="card" data-testid="rule" data-key=r.key.clone()>
                    <div class="card-head">
                        <h2 class="mono">{r.key.clone()}</h2>
                        <span class="badge muted">{r.policy.clone()}</span>
                        {r.required.then(|| view! { <span class="badge threshold">"required"</span> })}
                        <span class="spacer"></span>
                        <button class="btn small" data-testid="edit-rule" on:click=move |_| editing.set(Some((edit_rule.key.clone(), edit_rule.clone())))>"Edit"</button>
                        <ActionForm action=delete attr:class="inline-form">
                            <input type="hidden" name="key" value=key/>
                            <button type="submit" class="btn small danger">"Remove"</button>
                        </ActionForm>
                    </div>
                    <p class="subtle">{if r.description.is_empty() { "No description.".to_string() } else { r.description.clone() }}</p>
                    <dl class="facts">
                        <dt>"Allowed"</dt><dd>{allowed}</dd>
                        <dt>"Aliases"</dt>
                        <dd class="mono pre">{if r.aliases_text.is_empty() { "none".to_string() } else { r.aliases_text.clone() }}</dd>
                    </dl>
                    <details open=!r.seen.is_empty()>
                        <summary>{format!("Values seen in the last 90 days ({})", r.seen.len())}</summary>
                        <table class="table compact">
                            <thead><tr><th>"Value"</th><th>"Under the rules"</th><th class="num">"Calls"</th><th class="num">"Spend"</th></tr></thead>
                            <tbody>{seen}</tbody>
                        </table>
                    </details>
                </section>
            }
        })
        .collect_view();
    let unruled = data
        .unruled
        .into_iter()
        .map(|k| {
            let key = k.clone();
            view! { <button class="btn small" on:click=move |_| editing.set(Some((String::new(), blank_rule(key.clone()))))>{format!("+ {k}")}</button> }
        })
        .collect_view();
    view! {
        {empty.then(|| view! {
            <div class="empty-card card">
                <p>"No key has a rule yet: every value is accepted as sent, and untagged means a call without a team."</p>
            </div>
        })}
        <div class="rule-list">{cards}</div>
        <section class="card">
            <div class="card-head"><h2>"Keys without a rule"</h2></div>
            <div class="chip-row">{unruled}</div>
        </section>
    }
}
