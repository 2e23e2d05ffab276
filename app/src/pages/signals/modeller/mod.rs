//! The cost modeller: a lead describes a workflow before deploying it (tasks
//! a day, loops, prompt sizes, context growth, model mix, cache hits,
//! retries) and sees what it will cost per task and per month, where the
//! money goes, how tokens grow turn by turn, and how sensitive the total is.
//! The arithmetic is `domain::costmodel`, run in the browser on every
//! keystroke with the catalog's prices. Scenarios are saved, compared side
//! by side, linked to a workflow, set beside what that workflow really did,
//! or calibrated from it.

use crate::components::format;
use domain::costmodel::calibrate::{compare, Actual};
use domain::costmodel::{estimate, Estimate, Scenario};
use domain::signals::signal::show;
use domain::Catalog;
use leptos::prelude::*;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::str::FromStr;

mod data;
mod estimate;
mod form;
mod scenarios;
pub use data::*;
use estimate::{ActualTable, EstimateView};
use form::Form;
use scenarios::ScenarioList;

/// A scenario and its estimate, or each field that stops it being priced.
type Priced = Result<(Scenario, Estimate), Vec<(String, String)>>;

/// What the user has typed and chosen: kept by the page, so that reloading
/// the saved scenarios after a save or delete does not reset it.
#[derive(Clone, Copy)]
struct PageState {
    form: Form,
    loaded: RwSignal<Option<String>>,
    name: RwSignal<String>,
    workflow: RwSignal<String>,
    days: RwSignal<u32>,
    tolerance: RwSignal<String>,
    compared: RwSignal<Vec<String>>,
}

/// The modeller page.
#[component]
pub fn ModellerPage() -> impl IntoView {
    let save = ServerAction::<SaveScenario>::new();
    let delete = ServerAction::<DeleteScenario>::new();
    let data = Resource::new(move || (save.version().get(), delete.version().get()), |_| get_modeller());
    let state = PageState {
        form: Form::new(&Scenario::example()),
        loaded: RwSignal::new(None),
        name: RwSignal::new("New scenario".to_string()),
        workflow: RwSignal::new(String::new()),
        days: RwSignal::new(30u32),
        tolerance: RwSignal::new("25".to_string()),
        compared: RwSignal::new(Vec::new()),
    };
    // After a save the list reloads; keep the saved scenario open.
    Effect::new(move |_| {
        if let Some(Ok(id)) = save.value().get() {
            state.loaded.set(Some(id));
        }
    });
    view! {
        <crate::components::feedback::PageHead title="Cost model">
            "Model a workflow before deploying it: cost per task and per month from loop counts, context growth, cache hits and model mix, priced with the catalog. Link a scenario to a workflow to set it beside what really happened."
        </crate::components::feedback::PageHead>
        <crate::components::feedback::Loaded
            data=data
            loading="Loading the catalog…"
            body=move |d| view! { <Modeller data=d state=state save=save delete=delete/> }.into_any()
        />
    }
}

fn money(n: domain::Nanos) -> String {
    let usd = n.to_usd();
    if usd.abs() < Decimal::ONE && !usd.is_zero() {
        format!("${}", usd.round_dp(4).normalize())
    } else {
        format::usd(n)
    }
}

fn field_input(label: &'static str, hint: &'static str, name: &'static str, sig: RwSignal<String>) -> impl IntoView {
    view! {
        <label title=hint>
            {label}
            <input type="text" inputmode="decimal" name=name data-field=name prop:value=move || sig.get()
                on:input=move |ev| sig.set(event_target_value(&ev))/>
        </label>
    }
}

#[component]
fn Modeller(
    data: ModellerData,
    state: PageState,
    save: ServerAction<SaveScenario>,
    delete: ServerAction<DeleteScenario>,
) -> impl IntoView {
    let catalog = StoredValue::new(Catalog::new(data.models.clone(), "catalog".into()).ok());
    let PageState { form, loaded, name, workflow, days, tolerance, compared } = state;
    let result = Memo::new(move |_| -> Priced {
        let s = form.scenario()?;
        let Some(cat) = catalog.get_value() else {
            return Err(vec![("catalog".into(), "the price catalog could not be read".into())]);
        };
        let e = estimate(&s, &cat, chrono::Utc::now())
            .map_err(|errs| errs.into_iter().map(|e| (e.field, e.reason)).collect::<Vec<_>>())?;
        Ok((s, e))
    });
    let actual = Resource::new(
        move || (workflow.get(), days.get()),
        |(w, d)| async move {
            if w.is_empty() {
                Ok(None)
            } else {
                workflow_actual(w, d).await.map(Some)
            }
        },
    );
    let model_names: Vec<String> = data.models.iter().map(|m| m.model.clone()).collect();
    let options = move |sig: RwSignal<String>, none: bool| {
        let names = model_names.clone();
        view! {
            <select prop:value=move || sig.get() on:change=move |ev| sig.set(event_target_value(&ev))>
                {none.then(|| view! { <option value="">"(none)"</option> })}
                {names.into_iter().map(|m| {
                    let v = m.clone();
                    view! { <option value=v.clone() selected=move || sig.get() == v>{m}</option> }
                }).collect_view()}
            </select>
        }
    };
    let routine_select = options(form.routine, false);
    let escalation_select = options(form.escalation, true);
    let workflows = data.workflows.clone();
    let workflow_options = move || {
        workflows
            .iter()
            .map(|w| {
                let v = w.clone();
                view! { <option value=v.clone() selected=move || workflow.get() == v>{w.clone()}</option> }
            })
            .collect_view()
    };
    let saved = data.scenarios.clone();
    let can_edit = data.can_edit;
    let do_save = move |as_new: bool| {
        if let Ok((s, _)) = result.get_untracked() {
            let id = if as_new { String::new() } else { loaded.get_untracked().unwrap_or_default() };
            save.dispatch(SaveScenario {
                id,
                name: name.get_untracked(),
                workflow: workflow.get_untracked(),
                spec: serde_json::to_string(&s).unwrap_or_default(),
            });
        }
    };
    let save_error =
        move || save.value().get().and_then(|r| r.err()).map(|e| crate::components::feedback::error_text(&e));
    let calibrate = move |_| {
        if let Some(Ok(Some(a))) = actual.get() {
            if let Some(s) = a.calibrated {
                form.fill(&s);
                loaded.set(None);
                name.set(format!("{} (calibrated from {} days)", a.workflow, a.observed.days));
            }
        }
    };
    let open = move |s: Saved| {
        form.fill(&s.spec);
        loaded.set(Some(s.id));
        name.set(s.name);
        workflow.set(s.workflow.unwrap_or_default());
    };
    view! {
        <div class="modeller">
            <section class="card model-form" data-testid="model-form">
                <div class="card-head"><h2>"Workflow"</h2></div>
                <div class="form-row">
                    {field_input("Tasks per day", "How many tasks start each day", "tasks_per_day", form.tasks)}
                    {field_input("Growth per month (%)", "Compounding growth in tasks", "growth_per_month", form.growth)}
                    {field_input("Retries (% of calls)", "Calls sent a second time", "retry_rate", form.retry)}
                </div>
                <h3>"Loops"</h3>
                <div class="form-row">
                    {field_input("Calls per task (mean)", "Mean calls a task makes", "loops.mean", form.loops_mean)}
                    {field_input("Calls per task (p95)", "The 95th percentile", "loops.p95", form.loops_p95)}
                    <label title="Optional: one line per loop count, e.g. 3: 60">
                        "Or a distribution (loops: share)"
                        <textarea rows="2" data-field="loops.distribution" prop:value=move || form.distribution.get()
                            on:input=move |ev| form.distribution.set(event_target_value(&ev))></textarea>
                    </label>
                </div>
                <h3>"Tokens per call"</h3>
                <div class="form-row">
                    {field_input("System prompt (cacheable)", "The prefix every call sends", "system_tokens", form.system)}
                    {field_input("New input per turn", "What the user or tool adds each turn", "turn_tokens", form.turn)}
                    {field_input("Context carried per turn", "Added to every later turn's prompt", "carry_tokens", form.carry)}
                    {field_input("Keep last N turns (empty: all)", "Prune carried context to a window", "window_turns", form.window)}
                    {field_input("Output", "Output tokens per call", "output_tokens", form.output)}
                </div>
                <h3>"Models and cache"</h3>
                <div class="form-row">
                    <label>"Routine model" {routine_select}</label>
                    <label>"Escalation model" {escalation_select}</label>
                    {field_input("Escalation rate (%)", "Share of calls sent to the escalation model", "escalation_rate", form.esc_rate)}
                    {field_input("Cache hit rate (%)", "Share of calls reading the system prompt from cache", "cache_hit_rate", form.cache_hit)}
                    {field_input("Sensitivity: prune to N turns", "The window the sensitivity table tries", "prune_to_turns", form.prune)}
                </div>
            </section>
            <EstimateView result=result/>
            <section class="card model-form" data-testid="save-scenario">
                <div class="card-head">
                    <h2>"Save and link"</h2>
                    <span class="subtle">{move || match loaded.get() { Some(id) => format!("editing saved scenario {id}"), None => "not saved yet".into() }}</span>
                </div>
                <div class="form-row">
                    <label>"Name" <input type="text" name="scenario_name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></label>
                    <label>"Workflow it models"
                        <select name="workflow" prop:value=move || workflow.get() on:change=move |ev| workflow.set(event_target_value(&ev))>
                            <option value="">"(not linked)"</option>
                            {workflow_options}
                        </select>
                    </label>
                </div>
                {move || save_error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <div class="form-actions">
                    {can_edit.then(|| view! {
                        <button type="button" class="btn" data-testid="save-new" on:click=move |_| do_save(true)>"Save as new"</button>
                        <button type="button" class="btn primary" data-testid="save-changes" disabled=move || loaded.get().is_none() on:click=move |_| do_save(false)>"Save changes"</button>
                    })}
                    <button type="button" class="btn" data-testid="calibrate" disabled=move || workflow.get().is_empty() on:click=calibrate>"Calibrate from data"</button>
                </div>
                <p class="subtle">"Calibrating fills the form from the linked workflow's last " {move || days.get()} " days: tasks a day, loops, its first prompt as the cacheable prefix, context growth, output, model mix and the cache hit rate that reproduces its cached tokens."</p>
            </section>
            <section class="card" data-testid="model-vs-actual">
                <div class="card-head">
                    <h2>"Model vs actual"</h2>
                    <div class="form-row compact">
                        <label>"Window"
                            <select on:change=move |ev| days.set(event_target_value(&ev).parse().unwrap_or(30))>
                                <option value="7" selected=move || days.get() == 7>"7 days"</option>
                                <option value="30" selected=move || days.get() == 30>"30 days"</option>
                                <option value="90" selected=move || days.get() == 90>"90 days"</option>
                            </select>
                        </label>
                        <label>"Flag beyond (%)" <input type="text" class="narrow" prop:value=move || tolerance.get() on:input=move |ev| tolerance.set(event_target_value(&ev))/></label>
                    </div>
                </div>
                <Transition fallback=|| view! { <p class="subtle">"Reading the workflow…"</p> }>
                    {move || Suspend::new(async move {
                        let a = actual.await;
                        let tol = Decimal::from_str(tolerance.get().trim()).unwrap_or(Decimal::from(25));
                        match (a, result.get()) {
                            (Err(e), _) => crate::components::feedback::error_box(&e),
                            (Ok(None), _) => view! { <p class="subtle">"Pick the workflow this scenario models to compare it with what happened."</p> }.into_any(),
                            (Ok(Some(_)), Err(_)) => view! { <p class="subtle">"Fix the scenario to compare it."</p> }.into_any(),
                            (Ok(Some(a)), Ok((s, e))) => view! { <ActualTable actual=a scenario=s estimate=e tolerance=tol/> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <ScenarioList saved=saved catalog=catalog compared=compared open=open delete=delete can_edit=can_edit/>
        </div>
    }
}
