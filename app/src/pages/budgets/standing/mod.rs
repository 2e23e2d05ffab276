//! The Budgets pages: every budget with how much of it is used, and one
//! budget's standing (spent, remaining, forecast, burn-down, top split
//! values and its alerts), with edit and delete for those allowed.

use crate::components::format;
use domain::budgets::alert::Alert;
use domain::budgets::budget_view::{BudgetView, SplitView};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

mod data;
pub use data::*;

/// The list of budgets.
#[component]
pub fn BudgetsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| get_budgets());
    view! {
        <crate::components::feedback::Loaded
            data=data
            loading="Loading budgets…"
            body=move |d| view! { <BudgetList data=d/> }.into_any()
        />
    }
}

#[component]
fn BudgetList(data: BudgetsData) -> impl IntoView {
    let new_button = data.can_create.then(|| {
        view! { <a class="btn primary" href="/budgets/new" data-testid="new-budget">"New budget"</a> }
    });
    let empty = data.budgets.is_empty();
    let rows = data.budgets.into_iter().map(|row| view! { <BudgetCard row=row/> }).collect_view();
    view! {
        <div class="page-head">
            <div>
                <h1>"Budgets"</h1>
                <p class="subtle">
                    "Limits on spend per period. Alerts fire at thresholds; a hard cap refuses calls once it is reached."
                </p>
            </div>
            <div class="controls">{new_button}</div>
        </div>
        {if empty {
            view! {
                <div class="card empty-card">
                    <h2>"No budgets yet"</h2>
                    <p class="subtle">
                        "A budget limits the spend of a team, product or workflow per day, week, month or quarter, "
                        "or of each user or task separately."
                    </p>
                </div>
            }
                .into_any()
        } else {
            view! { <div class="budget-grid">{rows}</div> }.into_any()
        }}
    }
}

/// A budget's headline numbers, as a card on the list.
#[component]
fn BudgetCard(row: BudgetRow) -> impl IntoView {
    let v = row.view;
    let href = format!("/budgets/{}", v.id);
    let n = &v.nearest;
    let level = level_class(n.percent, v.spec.hard_cap && n.blocked);
    let split_note = v.spec.split_by.as_ref().map(|s| {
        let who = n.value.clone().unwrap_or_else(|| "nobody yet".into());
        format!("Nearest its limit: {} {who}", s.as_str())
    });
    let forecast = v.forecast.filter(|f| f.0 > v.spec.amount.0 && !n.blocked).map(|f| {
        view! { <span class="warn-text">"Forecast " {format::usd(f)} " by period end"</span> }
    });
    view! {
        <a class="card budget-card" href=href data-testid="budget-card">
            <div class="budget-card-head">
                <h2>{v.spec.name.clone()}</h2>
                {v.spec.hard_cap.then(|| view! { <span class="badge cap">"Hard cap"</span> })}
            </div>
            <p class="subtle">{v.summary.clone()} " · " {scope_label(&v)}</p>
            <Meter percent=n.percent level=level/>
            <div class="budget-figures">
                <span class="kpi-value small">{format::usd(n.spent)}</span>
                <span class="subtle">" of " {format::usd(v.spec.amount)} " · " {format!("{:.0}%", n.percent)} " used"</span>
            </div>
            {split_note.map(|s| view! { <p class="subtle">{s}</p> })}
            {forecast}
        </a>
    }
}

/// "period Nov 01 00:00 – Dec 01 00:00 UTC", or "no reset" for a total budget.
pub fn period_label(v: &BudgetView) -> String {
    if v.spec.period == domain::budgets::budget::BudgetPeriod::Total {
        return "no reset".into();
    }
    format!("period {} – {}", v.period_start.format("%b %d %H:%M"), v.period_end.format("%b %d %H:%M UTC"))
}

/// "team=platform", or "all calls".
pub fn scope_label(v: &BudgetView) -> String {
    if v.spec.scope.0.is_empty() {
        "all calls".into()
    } else {
        v.spec.scope_text()
    }
}

/// `ok`, `warn` (80% or more), `over` (100% or more, or blocked).
pub fn level_class(percent: f64, blocked: bool) -> &'static str {
    if blocked || percent >= 100.0 {
        "over"
    } else if percent >= 80.0 {
        "warn"
    } else {
        "ok"
    }
}

/// A horizontal gauge of percent used (capped at 100% wide).
#[component]
pub fn Meter(percent: f64, level: &'static str) -> impl IntoView {
    let width = format!("width:{:.1}%", percent.clamp(0.0, 100.0));
    view! {
        <div class="meter" role="meter" aria-valuenow=format!("{percent:.0}") aria-valuemin="0" aria-valuemax="100">
            <div class=format!("meter-fill {level}") style=width></div>
        </div>
    }
}

/// One budget's page.
#[component]
pub fn BudgetPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let data = Resource::new(id, get_budget);
    view! {
        <Transition fallback=|| view! { <div class="loading">"Loading the budget…"</div> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => view! { <BudgetDetail data=d/> }.into_any(),
                    Err(e) => {
                        view! {
                            <div class="page-head">
                                <h1>"Budget"</h1>
                            </div>
                            {crate::components::feedback::error_box(&e)}
                            <p>
                                <a href="/budgets">"All budgets"</a>
                            </p>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn BudgetDetail(data: BudgetPageData) -> impl IntoView {
    let v = data.view;
    let n = v.nearest.clone();
    let level = level_class(n.percent, n.blocked);
    let delete = ServerAction::<DeleteBudget>::new();
    let delete_error =
        move || delete.value().get().and_then(|r| r.err()).map(|e| crate::components::feedback::error_text(&e));
    let actions = data.editable.then(|| {
        let edit = format!("/budgets/{}/edit", v.id);
        let id = v.id.clone();
        view! {
            <a class="btn" href=edit data-testid="edit-budget">"Edit"</a>
            <ActionForm action=delete attr:class="inline-form">
                <input type="hidden" name="id" value=id/>
                <button
                    type="submit"
                    class="btn danger"
                    data-testid="delete-budget"
                    onclick=crate::csp::CONFIRM_BUDGET_DELETE
                >
                    "Delete"
                </button>
            </ActionForm>
        }
    });
    let whose = n.value.clone().map(|v| format!(" ({v})")).unwrap_or_default();
    let forecast_text = match v.forecast {
        Some(f) => format::usd(f),
        None => "—".into(),
    };
    let forecast_note = match v.forecast {
        Some(f) if f.0 > v.spec.amount.0 => "over the amount at this rate",
        Some(_) => "within the amount at this rate",
        None => "too early in the period to say",
    };
    let reservations = v.spec.hard_cap.then(|| {
        let r = v.reservations;
        // Holds are summed over the whole budget, not only the value the cards above follow.
        let across = match &v.spec.split_by {
            Some(domain::budgets::budget::SplitBy::Task) => "Across every task: ".to_string(),
            Some(domain::budgets::budget::SplitBy::Tag(k)) => format!("Across every {}: ", k.as_str()),
            None => String::new(),
        };
        let live = match r.live {
            0 if across.is_empty() => "No reservations held".to_string(),
            0 => format!("{across}no reservations held"),
            1 => format!("{across}{} reserved by 1 call not yet reported", format::usd(r.reserved)),
            n => format!("{across}{} reserved by {n} calls not yet reported", format::usd(r.reserved)),
        };
        let expired = match r.expired {
            0 => String::new(),
            1 => " · 1 reservation expired unsettled in the last day".to_string(),
            n => format!(" · {n} reservations expired unsettled in the last day"),
        };
        view! { <div class="kpi-foot" data-testid="budget-reservations">{live}{expired}</div> }
    });
    let period = period_label(&v);
    let thresholds = if v.spec.thresholds.is_empty() {
        "none".to_string()
    } else {
        v.spec.thresholds.iter().map(|t| format!("{t}%")).collect::<Vec<_>>().join(", ")
    };
    let webhook = if v.spec.webhook.is_some() { "its own webhook" } else { "the global webhook, if one is set" };
    view! {
        <div class="page-head">
            <div>
                <p class="crumbs">
                    <a href="/budgets">"Budgets"</a>
                    " /"
                </p>
                <h1 data-testid="budget-name">{v.spec.name.clone()}</h1>
                <p class="subtle">{v.summary.clone()} " · " {scope_label(&v)} " · " {period}</p>
            </div>
            <div class="controls">{actions}</div>
        </div>
        {move || delete_error().map(|e| view! { <div class="error-box" role="alert">{e}</div> })}
        <div class="kpis kpis-3">
            <div class="card kpi">
                <div class="kpi-label">"Spent this period" {whose.clone()}</div>
                <div class="kpi-value" data-testid="budget-spent">{format::usd(n.spent)}</div>
                <Meter percent=n.percent level=level/>
                <div class="kpi-foot">{format!("{:.1}% of {}", n.percent, format::usd(v.spec.amount))}</div>
            </div>
            <div class="card kpi">
                <div class="kpi-label">"Remaining" {whose}</div>
                <div class="kpi-value">{format::usd(n.remaining)}</div>
                <div class="kpi-foot">
                    {if n.blocked { "Hard cap reached: calls are refused" } else if v.spec.hard_cap { "Hard cap at the amount" } else { "Alerts only; calls are never refused" }}
                </div>
                {reservations}
            </div>
            <div class="card kpi">
                <div class="kpi-label">"Forecast at period end"</div>
                <div class="kpi-value">{forecast_text}</div>
                <div class="kpi-foot">{forecast_note}</div>
            </div>
        </div>
        <div class="two-col spaced">
            <section class="card">
                <div class="card-head">
                    <h2>"Burn-down"</h2>
                    <span class="subtle">
                        {v.burn_of.clone().map(|w| format!("cumulative spend of {w}")).unwrap_or_else(|| "cumulative spend".into())}
                    </span>
                </div>
                {if v.spec.split_by == Some(domain::budgets::budget::SplitBy::Task) {
                    let task = v.nearest.value.clone().unwrap_or_default();
                    view! {
                        <p class="subtle">
                            "Each task has its own limit; a task's calls, their cost and the running total are on its page"
                            {(!task.is_empty()).then(|| {
                                view! {
                                    ": " <a href=format!("/tasks/{task}") class="mono">{task.clone()}</a>
                                    " is nearest its limit"
                                }
                            })} "."
                        </p>
                    }
                        .into_any()
                } else if v.burn.is_empty() {
                    view! { <p class="subtle">"No spend to draw yet this period."</p> }.into_any()
                } else {
                    view! { <crate::components::chart::BurnChart view=v.clone() id="burn-chart"/> }.into_any()
                }}
            </section>
            <section class="card">
                <div class="card-head">
                    <h2>"Settings"</h2>
                </div>
                <dl class="facts">
                    <dt>"Amount"</dt>
                    <dd>{format::usd(v.spec.amount)} " " {v.spec.period.per()}</dd>
                    <dt>"Applies to"</dt>
                    <dd>{scope_label(&v)}</dd>
                    <dt>"Separately for each"</dt>
                    <dd>{v.spec.split_by.as_ref().map(|s| s.as_str().to_string()).unwrap_or_else(|| "— (one limit)".into())}</dd>
                    <dt>"Alerts at"</dt>
                    <dd>{thresholds}</dd>
                    <dt>"Alerts go to"</dt>
                    <dd>{webhook}</dd>
                    <dt>"Time zone"</dt>
                    <dd>{v.spec.time_zone.clone()}</dd>
                    <dt>"Owner"</dt>
                    <dd>{v.spec.owner.clone()}</dd>
                    <dt>"Description"</dt>
                    <dd>{if v.spec.description.is_empty() { "—".to_string() } else { v.spec.description.clone() }}</dd>
                </dl>
            </section>
        </div>
        {(!v.top.is_empty()).then(|| view! { <TopValues view=v.clone()/> })}
        <AlertList alerts=data.alerts budget_id=v.id.clone()/>
    }
}

#[component]
fn TopValues(view: BudgetView) -> impl IntoView {
    let key = view.spec.split_by.as_ref().map(|s| s.as_str().to_string()).unwrap_or_default();
    let rows = view
        .top
        .iter()
        .map(|s: &SplitView| {
            let name = s.value.clone().unwrap_or_default();
            let link = if key == "task" { Some(format!("/tasks/{name}")) } else { None };
            let level = level_class(s.percent, s.blocked);
            view! {
                <tr>
                    <td>
                        {match link {
                            Some(href) => view! { <a href=href class="mono">{name.clone()}</a> }.into_any(),
                            None => view! { <span>{name.clone()}</span> }.into_any(),
                        }}
                    </td>
                    <td class="num">{format::usd(s.spent)}</td>
                    <td class="meter-cell">
                        <Meter percent=s.percent level=level/>
                    </td>
                    <td class="num">{format!("{:.0}%", s.percent)}</td>
                    <td>{s.blocked.then(|| view! { <span class="badge over">"blocked"</span> })}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card">
            <div class="card-head">
                <h2>"Top " {key.clone()} " values this period"</h2>
                <span class="subtle">"each against " {format::usd(view.spec.amount)}</span>
            </div>
            <table class="table" data-testid="top-values">
                <thead>
                    <tr>
                        <th>{key}</th>
                        <th class="num">"Spent"</th>
                        <th>"Of the limit"</th>
                        <th class="num">"%"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}

#[component]
fn AlertList(alerts: Vec<Alert>, budget_id: String) -> impl IntoView {
    let all = format!("/alerts?budget={budget_id}");
    let body = if alerts.is_empty() {
        view! { <p class="subtle">"No alerts have fired for this budget."</p> }.into_any()
    } else {
        let rows = alerts
            .into_iter()
            .map(|a| {
                view! {
                    <tr>
                        <td>{a.fired_at.format("%b %d %H:%M").to_string()}</td>
                        <td>
                            <span class=format!("badge {}", a.kind.as_str())>{a.kind.label()}</span>
                        </td>
                        <td>{a.headline()}</td>
                        <td>{a.delivery.as_str()}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="table">
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    view! {
        <section class="card">
            <div class="card-head">
                <h2>"Recent alerts"</h2>
                <a href=all>"Alert history"</a>
            </div>
            {body}
        </section>
    }
}
