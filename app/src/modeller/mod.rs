//! The cost modeller: a lead describes a workflow before deploying it (tasks
//! a day, loops, prompt sizes, context growth, model mix, cache hits,
//! retries) and sees what it will cost per task and per month, where the
//! money goes, how tokens grow turn by turn, and how sensitive the total is.
//! The arithmetic is `domain::costmodel`, run in the browser on every
//! keystroke with the catalog's prices. Scenarios are saved, compared side
//! by side, linked to a workflow, set beside what that workflow really did,
//! or calibrated from it.

use crate::format;
use domain::costmodel::calibrate::{compare, Actual};
use domain::costmodel::{estimate, Estimate, LoopShare, Loops, Scenario};
use domain::signals::signal::show;
use domain::Catalog;
use leptos::prelude::*;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::str::FromStr;

mod data;
pub use data::*;

/// A scenario and its estimate, or each field that stops it being priced.
type Priced = Result<(Scenario, Estimate), Vec<(String, String)>>;

/// The form: every field as typed.
#[derive(Clone, Copy)]
struct Form {
    tasks: RwSignal<String>,
    growth: RwSignal<String>,
    loops_mean: RwSignal<String>,
    loops_p95: RwSignal<String>,
    distribution: RwSignal<String>,
    system: RwSignal<String>,
    turn: RwSignal<String>,
    carry: RwSignal<String>,
    window: RwSignal<String>,
    output: RwSignal<String>,
    routine: RwSignal<String>,
    escalation: RwSignal<String>,
    esc_rate: RwSignal<String>,
    cache_hit: RwSignal<String>,
    retry: RwSignal<String>,
    prune: RwSignal<String>,
}

impl Form {
    fn new(s: &Scenario) -> Form {
        let f = Form {
            tasks: RwSignal::new(String::new()),
            growth: RwSignal::new(String::new()),
            loops_mean: RwSignal::new(String::new()),
            loops_p95: RwSignal::new(String::new()),
            distribution: RwSignal::new(String::new()),
            system: RwSignal::new(String::new()),
            turn: RwSignal::new(String::new()),
            carry: RwSignal::new(String::new()),
            window: RwSignal::new(String::new()),
            output: RwSignal::new(String::new()),
            routine: RwSignal::new(String::new()),
            escalation: RwSignal::new(String::new()),
            esc_rate: RwSignal::new(String::new()),
            cache_hit: RwSignal::new(String::new()),
            retry: RwSignal::new(String::new()),
            prune: RwSignal::new(String::new()),
        };
        f.fill(s);
        f
    }

    fn fill(&self, s: &Scenario) {
        let d = |v: Decimal| v.normalize().to_string();
        self.tasks.set(d(s.tasks_per_day));
        self.growth.set(d(s.growth_per_month));
        self.loops_mean.set(d(s.loops.mean));
        self.loops_p95.set(d(s.loops.p95));
        self.distribution.set(
            s.loops
                .distribution
                .iter()
                .map(|l| format!("{}: {}", l.loops, l.share.normalize()))
                .collect::<Vec<_>>()
                .join("\n"),
        );
        self.system.set(s.system_tokens.to_string());
        self.turn.set(s.turn_tokens.to_string());
        self.carry.set(s.carry_tokens.to_string());
        self.window.set(s.window_turns.map(|w| w.to_string()).unwrap_or_default());
        self.output.set(s.output_tokens.to_string());
        self.routine.set(s.routine_model.clone());
        self.escalation.set(s.escalation_model.clone());
        self.esc_rate.set(d(s.escalation_rate));
        self.cache_hit.set(d(s.cache_hit_rate));
        self.retry.set(d(s.retry_rate));
        self.prune.set(s.prune_to_turns.to_string());
    }

    /// The scenario the form describes, or each field that does not read.
    fn scenario(&self) -> Result<Scenario, Vec<(String, String)>> {
        let mut errs = Vec::new();
        let mut dec = |field: &str, v: String| match Decimal::from_str(v.trim()) {
            Ok(d) => d,
            Err(_) => {
                errs.push((field.to_string(), format!("{v:?} is not a number")));
                Decimal::ZERO
            }
        };
        let tasks = dec("tasks_per_day", self.tasks.get());
        let growth = dec("growth_per_month", self.growth.get());
        let mean = dec("loops.mean", self.loops_mean.get());
        let p95 = dec("loops.p95", self.loops_p95.get());
        let esc = dec("escalation_rate", self.esc_rate.get());
        let hit = dec("cache_hit_rate", self.cache_hit.get());
        let retry = dec("retry_rate", self.retry.get());
        let mut int = |field: &str, v: String| match v.trim().replace(',', "").parse::<i64>() {
            Ok(n) => n,
            Err(_) => {
                errs.push((field.to_string(), format!("{v:?} is not a whole number")));
                0
            }
        };
        let system = int("system_tokens", self.system.get());
        let turn = int("turn_tokens", self.turn.get());
        let carry = int("carry_tokens", self.carry.get());
        let output = int("output_tokens", self.output.get());
        let prune = int("prune_to_turns", self.prune.get());
        let window = self.window.get();
        let window = if window.trim().is_empty() { None } else { Some(int("window_turns", window)) };
        let mut distribution = Vec::new();
        for (i, line) in self.distribution.get().lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            match line.split_once(':').map(|(l, s)| (l.trim().parse::<u32>(), Decimal::from_str(s.trim()))) {
                Some((Ok(loops), Ok(share))) => distribution.push(LoopShare { loops, share }),
                _ => errs.push((format!("loops.distribution[{i}]"), format!("{line:?} is not \"loops: share\""))),
            }
        }
        if !errs.is_empty() {
            return Err(errs);
        }
        Ok(Scenario {
            tasks_per_day: tasks,
            growth_per_month: growth,
            loops: Loops { mean, p95, distribution },
            system_tokens: system,
            turn_tokens: turn,
            carry_tokens: carry,
            window_turns: window.map(|w| w.clamp(0, u32::MAX as i64) as u32),
            output_tokens: output,
            routine_model: self.routine.get(),
            escalation_model: self.escalation.get(),
            escalation_rate: esc,
            cache_hit_rate: hit,
            retry_rate: retry,
            prune_to_turns: prune.clamp(0, u32::MAX as i64) as u32,
        })
    }
}

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
        <div class="page-head">
            <div>
                <h1>"Cost model"</h1>
                <p class="subtle">
                    "Model a workflow before deploying it: cost per task and per month from loop counts, context growth, cache hits and model mix, priced with the catalog. Link a scenario to a workflow to set it beside what really happened."
                </p>
            </div>
        </div>
        <Transition fallback=|| view! { <div class="loading">"Loading the catalog…"</div> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => view! { <Modeller data=d state=state save=save delete=delete/> }.into_any(),
                    Err(e) => crate::error_box(&e),
                }
            })}
        </Transition>
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
    let save_error = move || save.value().get().and_then(|r| r.err()).map(|e| crate::error_text(&e));
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
                            (Err(e), _) => crate::error_box(&e),
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

#[component]
fn EstimateView(result: Memo<Priced>) -> impl IntoView {
    move || match result.get() {
        Err(errs) => {
            let items = errs.into_iter().map(|(f, r)| view! { <li><code>{f}</code> " " {r}</li> }).collect_view();
            view! {
                <section class="card estimate" data-testid="estimate">
                    <div class="form-error" role="alert"><strong>"The scenario cannot be priced yet:"</strong><ul>{items}</ul></div>
                </section>
            }
            .into_any()
        }
        Ok((s, e)) => view! { <EstimateBody scenario=s estimate=e/> }.into_any(),
    }
}

#[component]
fn EstimateBody(scenario: Scenario, estimate: Estimate) -> impl IntoView {
    let e = estimate;
    let lines = e
        .lines
        .iter()
        .map(|l| {
            view! {
                <tr>
                    <td>{l.model.clone()}</td>
                    <td>{l.class.replace('_', " ")}</td>
                    <td class="num">{show(domain::signals::signal::Unit::Tokens, l.tokens_per_task.round())}</td>
                    <td class="num">{money(l.cost_per_task)}</td>
                    <td class="num">{format::usd(l.cost_per_month)}</td>
                </tr>
            }
        })
        .collect_view();
    let sens = e
        .sensitivity
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let class = if i == 0 { "" } else if s.change_pct > Decimal::ZERO { "up" } else { "down" };
            view! {
                <tr data-testid="sensitivity-row">
                    <td>{s.label.clone()}</td>
                    <td class="num">{money(s.cost_per_task)}</td>
                    <td class="num">{format::usd(s.cost_per_month)}</td>
                    <td class=format!("num {class}")>{if i == 0 { "—".to_string() } else { format!("{:+}%", s.change_pct.normalize()) }}</td>
                </tr>
            }
        })
        .collect_view();
    let year: domain::Nanos = e.months.iter().fold(domain::Nanos::ZERO, |a, m| a + m.cost);
    let last = e.months.last().map(|m| m.cost).unwrap_or_default();
    view! {
        <section class="card estimate" data-testid="estimate">
            <div class="card-head"><h2>"Estimate"</h2><span class="subtle">"prices in force today · a month is 30 days"</span></div>
            <div class="kpis">
                <div class="kpi"><span class="kpi-label">"Cost per task"</span><span class="kpi-value" data-testid="cost-per-task">{money(e.cost_per_task_mean)}</span><span class="hint">{format!("p95 {} ({} calls)", money(e.cost_per_task_p95), e.p95_loops)}</span></div>
                <div class="kpi"><span class="kpi-label">"Cost per month"</span><span class="kpi-value" data-testid="cost-per-month">{format::usd(e.cost_per_month)}</span><span class="hint">{format!("month 12: {}", format::usd(last))}</span></div>
                <div class="kpi"><span class="kpi-label">"Next 12 months"</span><span class="kpi-value">{format::usd(year)}</span><span class="hint">{format!("{}% growth a month", scenario.growth_per_month.normalize())}</span></div>
                <div class="kpi"><span class="kpi-label">"Per call"</span><span class="kpi-value">{money(e.cost_per_call)}</span><span class="hint">{format!("{} calls per task · {} cached", e.calls_per_task.normalize(), show(domain::signals::signal::Unit::Percent, e.token_cache_hit))}</span></div>
            </div>
            <div class="estimate-grid">
                <div>
                    <h3>"Tokens per call, turn by turn (p95 task)"</h3>
                    {turns_chart(&e)}
                    <p class="hint">"Each turn resends the context carried so far, so a task's input grows with the square of its loop count unless the context is pruned."</p>
                </div>
                <div>
                    <h3>"What-if"</h3>
                    <table class="table compact" data-testid="sensitivity">
                        <thead><tr><th></th><th class="num">"Per task"</th><th class="num">"Per month"</th><th class="num">"Change"</th></tr></thead>
                        <tbody>{sens}</tbody>
                    </table>
                </div>
            </div>
            <h3>"Where the money goes (mean task)"</h3>
            <table class="table compact" data-testid="breakdown">
                <thead><tr><th>"Model"</th><th>"Token class"</th><th class="num">"Tokens per task"</th><th class="num">"Per task"</th><th class="num">"Per month"</th></tr></thead>
                <tbody>{lines}</tbody>
            </table>
        </section>
    }
}

/// Stacked bars of each turn's input (cached part lighter) and output.
fn turns_chart(e: &Estimate) -> impl IntoView {
    let (w, h) = (520.0_f64, 150.0_f64);
    let turns = &e.turns;
    let max = turns.iter().map(|t| t.input_tokens + t.output_tokens).max().unwrap_or(1).max(1) as f64;
    let n = turns.len().max(1) as f64;
    let bw = (w / n).max(1.0);
    let bars = turns
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let x = i as f64 * bw;
            let cached = t.cached_tokens.to_f64().unwrap_or(0.0);
            let input = t.input_tokens as f64;
            let out = t.output_tokens as f64;
            let scale = |v: f64| v / max * (h - 14.0);
            let (hi, hc, ho) = (scale(input - cached), scale(cached), scale(out));
            let title = format!(
                "turn {}: {} input ({} cached), {} output, {}",
                t.turn,
                format::count(t.input_tokens),
                format::count(cached.round() as i64),
                format::count(t.output_tokens),
                money(t.cost)
            );
            view! {
                <g>
                    <title>{title}</title>
                    <rect class="bar-out" x=format!("{x:.1}") y=format!("{:.1}", h - ho) width=format!("{:.1}", (bw - 1.0).max(0.5)) height=format!("{ho:.1}")></rect>
                    <rect class="bar-cached" x=format!("{x:.1}") y=format!("{:.1}", h - ho - hc) width=format!("{:.1}", (bw - 1.0).max(0.5)) height=format!("{hc:.1}")></rect>
                    <rect class="bar-input" x=format!("{x:.1}") y=format!("{:.1}", h - ho - hc - hi) width=format!("{:.1}", (bw - 1.0).max(0.5)) height=format!("{hi:.1}")></rect>
                </g>
            }
        })
        .collect_view();
    let first = turns.first().map(|t| t.input_tokens).unwrap_or(0);
    let lastt = turns.last().map(|t| (t.turn, t.input_tokens)).unwrap_or((0, 0));
    view! {
        <svg class="turns-chart" viewBox=format!("0 0 {w} {h}") preserveAspectRatio="none" role="img" data-testid="turns-chart">{bars}</svg>
        <div class="legend">
            <span><i class="sw input"></i>"input"</span>
            <span><i class="sw cached"></i>"cached input"</span>
            <span><i class="sw out"></i>"output"</span>
            <span class="subtle">{format!("turn 1: {} input tokens → turn {}: {}", format::count(first), lastt.0, format::count(lastt.1))}</span>
        </div>
    }
}

#[component]
fn ActualTable(actual: Actual, scenario: Scenario, estimate: Estimate, tolerance: Decimal) -> impl IntoView {
    let rows = compare(&scenario, &estimate, &actual.observed, tolerance);
    let flagged = rows.iter().filter(|r| r.flagged).count();
    let body = rows
        .into_iter()
        .map(|r| {
            let dep = r.departure_pct.map(|d| format!("{:+}%", d.normalize())).unwrap_or_else(|| "—".into());
            view! {
                <tr class:flagged=r.flagged data-testid="actual-row" data-flagged=r.flagged.to_string()>
                    <td>{r.label.clone()}</td>
                    <td class="num">{show(r.unit, r.modelled)}</td>
                    <td class="num">{r.observed.map(|o| show(r.unit, o)).unwrap_or_else(|| "—".into())}</td>
                    <td class="num">{if r.flagged { view! { <span class="badge over">{dep}</span> }.into_any() } else { view! { <span>{dep}</span> }.into_any() }}</td>
                </tr>
            }
        })
        .collect_view();
    let o = &actual.observed;
    let summary = format!(
        "{}: {} calls in {} tasks, {} from {} to {}; {} of 9 figures depart by more than {}%.",
        actual.workflow,
        format::count(o.calls),
        format::count(o.tasks as i64),
        format::usd(o.spend),
        actual.from.format("%b %d"),
        actual.to.format("%b %d"),
        flagged,
        tolerance.normalize()
    );
    let explore = format!("/signals?key=workflow&days=90#{}", actual.workflow);
    view! {
        <p class="subtle" data-testid="actual-summary">{summary} " " <a href=explore>"Signals"</a></p>
        <table class="table compact">
            <thead><tr><th></th><th class="num">"Modelled"</th><th class="num">"Observed"</th><th class="num">"Departure"</th></tr></thead>
            <tbody>{body}</tbody>
        </table>
    }
}

#[component]
fn ScenarioList(
    saved: Vec<Saved>,
    catalog: StoredValue<Option<Catalog>>,
    compared: RwSignal<Vec<String>>,
    open: impl Fn(Saved) + Copy + Send + Sync + 'static,
    delete: ServerAction<DeleteScenario>,
    can_edit: bool,
) -> impl IntoView {
    let now = chrono::Utc::now();
    let priced: Vec<(Saved, Option<Estimate>)> = saved
        .into_iter()
        .map(|s| {
            let e = catalog.get_value().and_then(|c| estimate(&s.spec, &c, now).ok());
            (s, e)
        })
        .collect();
    let rows = priced
        .iter()
        .map(|(s, e)| {
            let (s, e) = (s.clone(), e.clone());
            let id = s.id.clone();
            let id2 = s.id.clone();
            let id3 = s.id.clone();
            let to_open = s.clone();
            view! {
                <tr data-testid="scenario-row">
                    <td><input type="checkbox" aria-label="compare" prop:checked=move || compared.get().contains(&id)
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            compared.update(|c| { c.retain(|x| *x != id2); if on { c.push(id2.clone()); } });
                        }/></td>
                    <td><strong>{s.name.clone()}</strong><div class="hint">{format!("by {} · {}", s.created_by, s.updated.format("%b %d %H:%M"))}</div></td>
                    <td>{s.workflow.clone().unwrap_or_else(|| "—".into())}</td>
                    <td class="num">{e.as_ref().map(|e| money(e.cost_per_task_mean)).unwrap_or_else(|| "—".into())}</td>
                    <td class="num">{e.as_ref().map(|e| format::usd(e.cost_per_month)).unwrap_or_else(|| "—".into())}</td>
                    <td>
                        <button type="button" class="btn small" on:click=move |_| open(to_open.clone())>"Open"</button>
                        {can_edit.then(|| view! {
                            <ActionForm action=delete attr:class="inline-form">
                                <input type="hidden" name="id" value=id3.clone()/>
                                <button type="submit" class="btn small">"Delete"</button>
                            </ActionForm>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    let empty = priced.is_empty();
    let comparison = move || {
        let chosen: Vec<(Saved, Option<Estimate>)> =
            priced.iter().filter(|(s, _)| compared.get().contains(&s.id)).cloned().collect();
        (chosen.len() >= 2).then(|| {
            let head = chosen.iter().map(|(s, _)| view! { <th class="num">{s.name.clone()}</th> }).collect_view();
            type Cell = fn(&Scenario, &Estimate) -> String;
            let lines: [(&str, Cell); 9] = [
                ("Tasks per day", |s, _| s.tasks_per_day.normalize().to_string()),
                ("Calls per task", |_, e| e.calls_per_task.normalize().to_string()),
                ("Calls per task (p95)", |_, e| e.p95_loops.to_string()),
                ("Models", |s, _| if s.escalation_rate.is_zero() { s.routine_model.clone() } else { format!("{} / {} {}%", s.routine_model, s.escalation_model, s.escalation_rate.normalize()) }),
                ("Cache hit (prefix)", |s, _| format!("{}%", s.cache_hit_rate.normalize())),
                ("Cost per task", |_, e| money(e.cost_per_task_mean)),
                ("Cost per task (p95)", |_, e| money(e.cost_per_task_p95)),
                ("Cost per month", |_, e| format::usd(e.cost_per_month)),
                ("Month 12", |_, e| e.months.last().map(|m| format::usd(m.cost)).unwrap_or_default()),
            ];
            let body = lines
                .iter()
                .map(|(label, f)| {
                    let cells = chosen
                        .iter()
                        .map(|(s, e)| view! { <td class="num">{e.as_ref().map(|e| f(&s.spec, e)).unwrap_or_else(|| "—".into())}</td> })
                        .collect_view();
                    view! { <tr><td>{*label}</td>{cells}</tr> }
                })
                .collect_view();
            view! {
                <table class="table compact" data-testid="comparison">
                    <thead><tr><th></th>{head}</tr></thead>
                    <tbody>{body}</tbody>
                </table>
            }
        })
    };
    view! {
        <section class="card" data-testid="scenarios">
            <div class="card-head"><h2>"Saved scenarios"</h2><span class="subtle">"tick two or more to compare side by side"</span></div>
            {if empty {
                view! { <p class="subtle">"No scenario is saved yet."</p> }.into_any()
            } else {
                view! {
                    <table class="table">
                        <thead><tr><th></th><th>"Scenario"</th><th>"Workflow"</th><th class="num">"Per task"</th><th class="num">"Per month"</th><th></th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                }.into_any()
            }}
            {comparison}
        </section>
    }
}
