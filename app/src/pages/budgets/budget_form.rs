//! The budget form, for creating and editing. Fields are checked as they
//! are typed (amount, thresholds, scope keys) and again on the server, whose
//! errors appear beside the fields they are about.

// The save function takes the form's fields as arguments (the server macro
// generates its client half, which no item-level attribute reaches).
#![allow(clippy::too_many_arguments)]

use domain::budgets::budget::BudgetPeriod;
use domain::budgets::draft::{parse_amount, parse_scope_text, parse_thresholds, Draft};
use domain::FieldError;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

/// What the form starts from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FormData {
    /// `None` when creating.
    pub id: Option<String>,
    pub draft: Draft,
    /// Tag keys a scope or split may use.
    pub keys: Vec<String>,
    /// Teams a lead may budget for (empty for admins, who may budget for anything).
    pub lead_teams: Vec<String>,
}

/// The form's starting values: the budget's, or sensible defaults.
#[server(endpoint = "budget_form")]
pub async fn get_budget_form(id: Option<String>) -> Result<FormData, ServerFnError> {
    use domain::people::users::Role;
    let (person, svc) = crate::server::context::budgets(Role::Lead).await?;
    let keys = svc.known_keys().await.map_err(crate::server::errors::store_failed)?;
    let lead_teams = if person.role == Role::Admin { vec![] } else { person.teams.clone() };
    let draft = match &id {
        Some(id) => {
            let store = crate::server::context::store_context()?;
            let rec = store
                .get_budget(id)
                .await
                .map_err(crate::server::errors::store_failed)?
                .ok_or_else(|| ServerFnError::new("There is no such budget; it may have been deleted."))?;
            // The form holds the whole webhook URL (a secret): only for those who may change the budget.
            if !svc.may_edit(&budgets::Actor::Person(person.clone()), &rec.spec) {
                if let Some(r) = use_context::<leptos_axum::ResponseOptions>() {
                    r.set_status(http::StatusCode::FORBIDDEN);
                }
                return Err(ServerFnError::new(
                    "You may edit only budgets of your teams or your own; ask an admin or the budget's owner.",
                ));
            }
            Draft::of(&rec.spec)
        }
        None => Draft {
            scope: lead_teams.first().map(|t| vec![("team".to_string(), t.clone())]).unwrap_or_default(),
            period: "month".into(),
            thresholds: "50, 80, 100".into(),
            owner: person.email.clone(),
            time_zone: svc.default_zone().to_string(),
            ..Draft::default()
        },
    };
    Ok(FormData { id, draft, keys, lead_teams })
}

/// Saves the form: on success goes to the budget's page; otherwise answers
/// with the fields that are wrong.
#[server(endpoint = "save_budget")]
pub async fn save_budget(
    id: Option<String>,
    name: String,
    scope: String,
    split_by: String,
    period: String,
    amount: String,
    thresholds: String,
    hard_cap: Option<String>,
    webhook: String,
    owner: String,
    description: String,
    time_zone: String,
) -> Result<Vec<FieldError>, ServerFnError> {
    use budgets::BudgetError;
    let (person, svc) = crate::server::context::budgets(domain::people::users::Role::Lead).await?;
    let scope = match parse_scope_text(&scope) {
        Ok(s) => s,
        Err(e) => return Ok(vec![e]),
    };
    let draft = Draft {
        name,
        scope,
        split_by,
        period,
        amount,
        thresholds,
        hard_cap: hard_cap.is_some_and(|v| v != "false"),
        webhook,
        owner,
        description,
        time_zone,
    };
    let id = id.filter(|i| !i.is_empty());
    match svc.save(&budgets::Actor::Person(person), id.as_deref(), &draft, chrono::Utc::now()).await {
        Ok(saved) => {
            leptos_axum::redirect(&format!("/budgets/{}", saved.id));
            Ok(vec![])
        }
        Err(BudgetError::Invalid(errors)) => Ok(errors),
        // Shown beside the scope, which is what a lead can change to fix it.
        Err(BudgetError::Forbidden(m)) => Ok(vec![FieldError { field: "scope".into(), reason: m }]),
        Err(BudgetError::NotFound(_)) => Err(ServerFnError::new("There is no such budget; it may have been deleted.")),
        Err(BudgetError::Store(e)) => Err(crate::server::errors::store_failed(e)),
    }
}

/// The new-budget page.
#[component]
pub fn NewBudgetPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| get_budget_form(None));
    view! { <FormLoader data=data/> }
}

/// The edit page.
#[component]
pub fn EditBudgetPage() -> impl IntoView {
    let params = use_params_map();
    let data = Resource::new(move || params.read().get("id"), get_budget_form);
    view! { <FormLoader data=data/> }
}

#[component]
fn FormLoader(data: Resource<Result<FormData, ServerFnError>>) -> impl IntoView {
    view! {
        <crate::components::feedback::Loaded
            data=data
            loading="Loading…"
            body=move |d| view! { <BudgetForm data=d/> }.into_any()
        />
    }
}

/// Checks one field as it is typed; `None` when it looks right.
fn live_check(field: &str, value: &str, keys: &[String]) -> Option<String> {
    match field {
        "amount" => parse_amount(value).err(),
        "thresholds" => parse_thresholds(value).err(),
        "scope" => match parse_scope_text(value) {
            Err(e) => Some(e.reason),
            Ok(pairs) => pairs
                .iter()
                .find(|(k, _)| !keys.contains(k))
                .map(|(k, _)| format!("no call has been tagged with {k:?}; known keys: {}", keys.join(", "))),
        },
        _ => None,
    }
}

#[component]
fn BudgetForm(data: FormData) -> impl IntoView {
    let action = ServerAction::<SaveBudget>::new();
    let live = RwSignal::new(Vec::<FieldError>::new());
    // Fields edited since the last answer: their server errors are stale.
    let edited = RwSignal::new(Vec::<&'static str>::new());
    Effect::new(move |_| {
        action.version().track();
        edited.try_set(vec![]);
    });
    let server_errors = move || {
        let stale = edited.get();
        action
            .value()
            .get()
            .and_then(|r| r.ok())
            .unwrap_or_default()
            .into_iter()
            .filter(move |e| !stale.contains(&e.field.as_str()))
    };
    let failure =
        move || action.value().get().and_then(|r| r.err()).map(|e| crate::components::feedback::error_text(&e));
    let error_for = move |field: &'static str| {
        move || {
            live.get()
                .into_iter()
                .chain(server_errors())
                .find(|e| e.field == field)
                .map(|e| view! { <span class="field-error" data-field=field>{e.reason}</span> })
        }
    };
    let keys = data.keys.clone();
    let check = move |field: &'static str| {
        let keys = keys.clone();
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            let found = live_check(field, &value, &keys);
            edited.update(|f| {
                if !f.contains(&field) {
                    f.push(field);
                }
            });
            live.update(|errs| {
                errs.retain(|e| e.field != field);
                if let Some(reason) = found {
                    errs.push(FieldError { field: field.into(), reason });
                }
            });
        }
    };
    let d = data.draft.clone();
    let title = if data.id.is_some() { "Edit budget" } else { "New budget" };
    let back = data.id.as_ref().map(|id| format!("/budgets/{id}")).unwrap_or_else(|| "/budgets".into());
    let split_options = std::iter::once(("".to_string(), "— one limit for the whole scope".to_string()))
        .chain(std::iter::once(("task".to_string(), "each task (task_id)".to_string())))
        .chain(data.keys.iter().map(|k| (k.clone(), format!("each {k}"))))
        .map(|(value, label)| {
            let selected = value == d.split_by;
            view! { <option value=value selected=selected>{label}</option> }
        })
        .collect_view();
    let periods = BudgetPeriod::ALL
        .iter()
        .map(|p| {
            let selected = p.as_str() == d.period;
            view! { <option value=p.as_str() selected=selected>{p.as_str()}</option> }
        })
        .collect_view();
    let lead_note = (!data.lead_teams.is_empty())
        .then(|| format!("As a lead you may budget for your teams: team={}.", data.lead_teams.join(", team=")));
    view! {
        <div class="page-head">
            <div>
                <p class="crumbs">
                    <a href="/budgets">"Budgets"</a>
                    " /"
                </p>
                <h1>{title}</h1>
            </div>
        </div>
        <section class="card form-card">
            <ActionForm action=action attr:class="form budget-form" attr:data-testid="budget-form">
                <input type="hidden" name="id" value=data.id.clone().unwrap_or_default()/>
                <label>
                    "Name"
                    <input type="text" name="name" value=d.name.clone() required=true maxlength="120" placeholder="Platform, monthly"/>
                    {error_for("name")}
                </label>
                <label>
                    "Applies to (scope)"
                    <input
                        type="text"
                        name="scope"
                        value=d.scope_text()
                        placeholder="team=platform, product=support-bot"
                        on:input=check("scope")
                    />
                    <span class="hint">
                        "Tag filters a call must match, as key=value pairs separated by commas; empty means every call. "
                        {lead_note}
                    </span>
                    {error_for("scope")}
                </label>
                <div class="form-row">
                    <label>
                        "Amount (USD)"
                        <input type="text" inputmode="decimal" name="amount" value=d.amount.clone() required=true placeholder="5000" on:input=check("amount")/>
                        {error_for("amount")}
                    </label>
                    <label>
                        "Period"
                        <select name="period">{periods}</select>
                        {error_for("period")}
                    </label>
                    <label>
                        "Separately for"
                        <select name="split_by">{split_options}</select>
                        {error_for("split_by")}
                    </label>
                </div>
                <label>
                    "Alert thresholds (% of the amount)"
                    <input type="text" name="thresholds" value=d.thresholds.clone() placeholder="50, 80, 100" on:input=check("thresholds")/>
                    <span class="hint">"Whole percentages from 1 to 1000, ascending. Each fires once per period."</span>
                    {error_for("thresholds")}
                </label>
                <label class="check">
                    <input type="checkbox" name="hard_cap" value="true" checked=d.hard_cap/>
                    "Hard cap: refuse calls (via the check API) once the amount is reached"
                </label>
                <crate::components::webhook_field::WebhookField
                    label="Webhook URL (optional)"
                    value=d.webhook.clone()
                    hint="Alerts are posted here; empty uses the server's global webhook."
                    error=error_for("webhook").into_any()
                />
                <div class="form-row">
                    <label>
                        "Owner"
                        <input type="text" name="owner" value=d.owner.clone()/>
                        {error_for("owner")}
                    </label>
                    <label>
                        "Time zone"
                        <input type="text" name="time_zone" value=d.time_zone.clone() placeholder="UTC"/>
                        {error_for("time_zone")}
                    </label>
                </div>
                <label>
                    "Description"
                    <textarea name="description" rows="2">{d.description.clone()}</textarea>
                    {error_for("description")}
                </label>
                {move || failure().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <div class="form-actions">
                    <button type="submit" class="btn primary" data-testid="save-budget" disabled=move || action.pending().get()>
                        {move || if action.pending().get() { "Saving…" } else { "Save budget" }}
                    </button>
                    <a class="btn ghost" href=back>"Cancel"</a>
                </div>
            </ActionForm>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_checked_as_they_are_typed() {
        let keys = vec!["team".to_string()];
        assert_eq!(live_check("amount", "0", &keys).as_deref(), Some("must be more than zero"));
        assert_eq!(live_check("amount", "5,000", &keys), None);
        assert!(live_check("thresholds", "80, 50", &keys).unwrap().contains("ascending"));
        assert!(live_check("scope", "region=eu", &keys).unwrap().contains("region"));
        assert_eq!(live_check("scope", "team=platform", &keys), None);
    }
}
