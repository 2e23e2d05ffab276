//! The Signals page: for each workflow (or team, product, any tag key) the
//! early warnings of cost drift over the last 90 days — escalation to premium
//! models, cache hit rate, loops per task, context depth, cost per task and
//! spend — as sparklines with this week against last, the drifts worth
//! reading first, spend anomalies, and the signal alert rules.

// A server function takes each form field as an argument.
#![allow(clippy::too_many_arguments)]

use crate::components::format;
use domain::signals::signal::{show, Signal, Unit};
use domain::signals::signals_report::{ScopeSignals, Series};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

mod data;
pub use data::*;

/// The Signals page.
#[component]
pub fn SignalsPage() -> impl IntoView {
    let query = use_query_map();
    let key = move || query.read().get("key").unwrap_or_else(|| "workflow".to_string());
    let days = move || query.read().get("days").and_then(|d| d.parse().ok()).unwrap_or(90u32);
    let save = ServerAction::<SaveSignalRule>::new();
    let delete = ServerAction::<DeleteSignalRule>::new();
    let data = Resource::new(
        move || (key(), days(), save.version().get(), delete.version().get()),
        |(k, d, _, _)| get_signals(k, d),
    );
    view! {
        <div class="page-head">
            <div>
                <h1>"Signals"</h1>
                <p class="subtle">
                    "Early warnings of cost drift, before the invoice shows it: escalation to premium models, cache hit rate, loops per task, context depth and cost per task, per "
                    {key}
                    ", day by day. This week is the last 7 days; last week the 7 before."
                </p>
            </div>
            <nav class="picker" aria-label="Days">
                {domain::signals::signals_report::PERIODS
                    .into_iter()
                    .map(|d| {
                        view! {
                            <a href=move || format!("/signals?key={}&days={d}", key()) class:active=move || days() == d>
                                {format!("{d} days")}
                            </a>
                        }
                    })
                    .collect_view()}
            </nav>
        </div>
        <crate::components::feedback::Loaded
            data=data
            loading="Reading signals…"
            body=move |d| view! { <SignalsBody data=d save=save delete=delete/> }.into_any()
        />
    }
}

/// Explore, filtered to one value of a key, over the page's range.
fn explore_link(key: &str, value: &str, from: chrono::NaiveDate, to: chrono::NaiveDate) -> String {
    format!(
        "/explore?by=model&f={}%3A{}&period=custom&from={from}&to={to}",
        key,
        value.replace('%', "%25").replace('&', "%26").replace('#', "%23").replace(' ', "%20")
    )
}

#[component]
fn SignalsBody(
    data: SignalsData,
    save: ServerAction<SaveSignalRule>,
    delete: ServerAction<DeleteSignalRule>,
) -> impl IntoView {
    let r = data.report;
    let key = r.key.clone();
    let keys = data
        .keys
        .iter()
        .map(|k| {
            let href = format!("/signals?key={k}&days={}", r.days.len());
            view! { <a href=href class:active=*k == key>{k.clone()}</a> }
        })
        .collect_view();
    let drifts = if r.drifts.is_empty() {
        view! { <p class="subtle">"Nothing drifted the wrong way by 25% or more this week."</p> }.into_any()
    } else {
        let week_from = r.to - chrono::Duration::days(6);
        let items = r
            .drifts
            .iter()
            .map(|d| {
                let href = explore_link(&key, &d.value, week_from, r.to);
                view! {
                    <li data-testid="drift">
                        <span class="badge over">{format!("{:+}%", d.change_pct.normalize())}</span>
                        " " {d.sentence.clone()} " · " <a href=href>"calls this week"</a>
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="drifts">{items}</ul> }.into_any()
    };
    let method = format!(
        "A day is anomalous when its spend is more than {} robust deviations (1.4826 × the median absolute deviation) above the median of the 28 days before it, and at least {} above that median.",
        r.anomaly_params.sensitivity.normalize(),
        format::usd(r.anomaly_params.min_amount)
    );
    let anomalies = if r.anomalies.is_empty() {
        view! { <p class="subtle">"No anomalous days in this range."</p> }.into_any()
    } else {
        let rows = r
            .anomalies
            .iter()
            .map(|a| {
                let day = a.anomaly.day;
                let href = explore_link(&key, &a.value, day, day);
                let task = a.top_task.clone().map(|t| {
                    let link = format!("/tasks/{}", t.task_id);
                    view! { <a href=link>{t.task_id.clone()}</a> <span class="subtle">{format!(" · {} calls · {}", t.calls, format::usd(t.cost))}</span> }
                });
                view! {
                    <tr data-testid="anomaly">
                        <td>{day.format("%a %b %d").to_string()}</td>
                        <td><a href=href>{a.value.clone()}</a></td>
                        <td class="num">{format::usd(a.anomaly.spend)}</td>
                        <td class="num">{format::usd(a.anomaly.median)}</td>
                        <td class="num"><span class="badge over">{a.anomaly.ratio()}</span></td>
                        <td>{task}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="table">
                <thead>
                    <tr>
                        <th>"Day"</th>
                        <th>{key.clone()}</th>
                        <th class="num">"Spend"</th>
                        <th class="num">"Usual day (median)"</th>
                        <th class="num">"Ratio"</th>
                        <th>"Biggest task that day"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    let premium = if r.premium_models.is_empty() { "none".to_string() } else { r.premium_models.join(", ") };
    let scopes = r
        .scopes
        .iter()
        .map(|s| view! { <ScopeCard key=key.clone() scope=s.clone() from=r.from to=r.to/> })
        .collect_view();
    view! {
        <nav class="picker keys" aria-label="Tag key">{keys}</nav>
        <section class="card" data-testid="drifts">
            <div class="card-head"><h2>"Drifting this week"</h2></div>
            {drifts}
        </section>
        <section class="card" data-testid="anomalies">
            <div class="card-head"><h2>"Spend anomalies"</h2></div>
            <p class="subtle">{method}</p>
            {anomalies}
        </section>
        <p class="subtle">
            "Premium models (escalation): " {premium} ". Admins set tiers on the " <a href="/prices">"Prices"</a>
            " page; a model is premium by default from $5 per 1M input tokens."
        </p>
        <div class="scopes">{scopes}</div>
        <RulesCard rules=data.rules can_edit=data.can_edit key=key.clone() save=save delete=delete/>
    }
}

/// A sparkline of a daily series, the last 7 days shaded.
fn sparkline(points: &[Option<Decimal>], drifting: bool) -> impl IntoView {
    let (w, h) = (180.0_f64, 34.0_f64);
    let vals: Vec<Option<f64>> = points.iter().map(|p| p.and_then(|d| d.to_f64())).collect();
    let max = vals.iter().flatten().cloned().fold(0.0_f64, f64::max);
    let min = vals.iter().flatten().cloned().fold(f64::INFINITY, f64::min).min(0.0);
    let span = if max - min > 0.0 { max - min } else { 1.0 };
    let n = vals.len().max(2) as f64 - 1.0;
    let mut d = String::new();
    let mut pen = false;
    for (i, v) in vals.iter().enumerate() {
        match v {
            Some(v) => {
                let x = i as f64 / n * w;
                let y = h - 2.0 - (v - min) / span * (h - 4.0);
                d.push_str(&format!("{}{x:.1},{y:.1} ", if pen { "L" } else { "M" }));
                pen = true;
            }
            None => pen = false,
        }
    }
    let week_x = (vals.len() as f64 - 7.0).max(0.0) / n * w;
    let class = if drifting { "spark-line drifting" } else { "spark-line" };
    view! {
        <svg class="sparkline" viewBox=format!("0 0 {w} {h}") preserveAspectRatio="none" role="img">
            <rect x=format!("{week_x:.1}") y="0" width=format!("{:.1}", w - week_x) height=format!("{h}") class="spark-week"></rect>
            <path d=d class=class></path>
        </svg>
    }
}

fn value_text(unit: Unit, v: Option<Decimal>) -> String {
    v.map(|v| show(unit, v)).unwrap_or_else(|| "—".into())
}

#[component]
fn SignalTile(series: Series, href: Option<String>) -> impl IntoView {
    let unit = series.signal.unit();
    let change = series.change_pct.map(|c| {
        let bad = if series.signal.rise_is_bad() { c > Decimal::ZERO } else { c < Decimal::ZERO };
        let class = if series.drifting {
            "badge over"
        } else if bad {
            "badge warn muted"
        } else {
            "badge ok"
        };
        view! { <span class=class title="this week against last week">{format!("{:+}%", c.normalize())}</span> }
    });
    let title = format!("last week {}", value_text(unit, series.last_week));
    view! {
        <div class="signal-tile" class:drifting=series.drifting data-signal=series.signal.as_str()>
            <div class="signal-head">
                <span class="signal-label">{series.signal.label()}</span>
                {change}
            </div>
            <div class="signal-value" title=title>
                {match href {
                    Some(h) => view! { <a href=h title="the calls this week">{value_text(unit, series.this_week)}</a> }.into_any(),
                    None => view! { <span>{value_text(unit, series.this_week)}</span> }.into_any(),
                }}
            </div>
            {sparkline(&series.points, series.drifting)}
        </div>
    }
}

#[component]
fn ScopeCard(key: String, scope: ScopeSignals, from: chrono::NaiveDate, to: chrono::NaiveDate) -> impl IntoView {
    let name = scope.value.clone().unwrap_or_else(|| format!("(no {key})"));
    let href = scope.value.as_deref().map(|v| explore_link(&key, v, from, to));
    let drifting = scope.series.iter().any(|s| s.drifting);
    let longest = scope.longest_task.clone().map(|t| {
        let link = format!("/tasks/{}", t.task_id);
        view! {
            <span class="subtle">
                " · longest task " <a href=link data-testid="longest-task">{t.task_id.clone()}</a>
                {format!(" ({} calls, {})", t.calls, format::usd(t.cost))}
            </span>
        }
    });
    let week = scope.value.as_deref().map(|v| explore_link(&key, v, to - chrono::Duration::days(6), to));
    let tiles = scope.series.into_iter().map(|s| view! { <SignalTile series=s href=week.clone()/> }).collect_view();
    view! {
        <section class="card scope-card" class:drifting=drifting data-testid="scope" data-value=name.clone()>
            <div class="card-head">
                <h2>
                    {match href {
                        Some(h) => view! { <a href=h>{name.clone()}</a> }.into_any(),
                        None => view! { <span>{name.clone()}</span> }.into_any(),
                    }}
                </h2>
                <span class="subtle">
                    {format!("{} · {} calls · {} tasks", format::usd(scope.spend), format::count(scope.calls), format::count(scope.tasks as i64))}
                    {longest}
                </span>
            </div>
            <div class="signal-grid">{tiles}</div>
        </section>
    }
}

#[component]
fn RulesCard(
    rules: Vec<RuleRow>,
    can_edit: bool,
    key: String,
    save: ServerAction<SaveSignalRule>,
    delete: ServerAction<DeleteSignalRule>,
) -> impl IntoView {
    let error = move || {
        save.value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| delete.value().get().and_then(|r| r.err()))
            .map(|e| crate::components::feedback::error_text(&e))
    };
    let rows = rules
        .into_iter()
        .map(|r| {
            let id = r.id.clone();
            let history = format!("/alerts?budget={}", r.id);
            view! {
                <tr data-testid="signal-rule">
                    <td><strong>{r.name.clone()}</strong><div class="hint">{format!("by {}", r.created_by)}</div></td>
                    <td><code>{r.scope.clone()}</code></td>
                    <td>{r.describe.clone()}</td>
                    <td>{r.webhook.clone().unwrap_or_else(|| "alert history only".into())}</td>
                    <td><a href=history>"Alerts"</a></td>
                    <td>
                        {can_edit.then(|| view! {
                            <ActionForm action=delete attr:class="inline-form">
                                <input type="hidden" name="id" value=id.clone()/>
                                <button type="submit" class="btn small">"Delete"</button>
                            </ActionForm>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    let signal_options = Signal::ALL
        .iter()
        .filter(|s| **s != Signal::Spend)
        .map(|s| view! { <option value=s.as_str()>{s.label()}</option> })
        .collect_view();
    view! {
        <section class="card" id="rules" data-testid="signal-rules">
            <div class="card-head">
                <h2>"Signal alert rules"</h2>
                <span class="subtle">"Judged every 5 minutes for each day; a rule fires when its condition starts to hold, into the alert history and its webhook."</span>
            </div>
            <table class="table">
                <thead>
                    <tr><th>"Rule"</th><th>"Scope"</th><th>"Condition"</th><th>"Webhook"</th><th></th><th></th></tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            {can_edit.then(|| view! {
                <ActionForm action=save attr:class="form rule-form">
                    <h3>"New rule"</h3>
                    <div class="form-row">
                        <label>"Name" <input type="text" name="name" required=true placeholder="Bug-triage escalation"/></label>
                        <label>"Tag key" <input type="text" name="key" value=key.clone() required=true/></label>
                        <label>"Value (empty: every value)" <input type="text" name="value" placeholder="bug-triage"/></label>
                    </div>
                    <div class="form-row">
                        <label>"When"
                            <select name="condition">
                                <option value="above">"above a level"</option>
                                <option value="below">"below a level"</option>
                                <option value="rise">"rises by % against the window before"</option>
                                <option value="fall">"falls by % against the window before"</option>
                                <option value="anomaly">"daily spend is anomalous"</option>
                                <option value="coverage_below">"bill coverage below % (key provider)"</option>
                                <option value="gap_above">"bill gap above $ (key provider)"</option>
                            </select>
                        </label>
                        <label>"Signal" <select name="signal">{signal_options}</select></label>
                        <label>"Level, %, or sensitivity" <input type="text" name="amount" required=true placeholder="30"/></label>
                        <label>"Window (days)" <input type="text" name="window_days" value="7"/></label>
                        <label>"Least excess (anomaly, USD)" <input type="text" name="min_amount" value="25"/></label>
                    </div>
                    <crate::components::webhook_field::WebhookField label="Webhook (optional)" value="" hint="Alerts also go to the alert history."/>
                    {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                    <div class="form-actions">
                        <button type="submit" class="btn primary" data-testid="save-signal-rule">"Add rule"</button>
                    </div>
                </ActionForm>
            })}
        </section>
    }
}
