//! The Overview page: total spend for a period, its change against the
//! period before, spend by team and by workflow, and a daily stacked chart.

use crate::components::chart::StackedChart;
use crate::components::format;
use chrono::{DateTime, Utc};
use domain::attribution::report::{SpendReport, Totals};
use domain::budgets::period::ViewPeriod;
use domain::Nanos;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// Everything the Overview shows, from one round trip.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OverviewData {
    pub period: String,
    pub label: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub total: Totals,
    pub previous_cost: Nanos,
    pub by_team: SpendReport,
    pub by_workflow: SpendReport,
    /// A lead's own teams, listed first.
    pub my_teams: Vec<String>,
}

/// Reads the overview for a period key (`7d`, `30d`, `90d`, `mtd`, `last-month`).
#[server(endpoint = "overview")]
pub async fn get_overview(
    period: String,
    from: Option<String>,
    to: Option<String>,
) -> Result<OverviewData, ServerFnError> {
    use domain::attribution::query::{Dimension, SpendQuery};
    use domain::people::users::Role;
    use domain::Granularity;
    let (person, store) = crate::server::context::require(Role::Viewer).await?;
    let range = domain::budgets::period::resolve(&period, from.as_deref(), to.as_deref(), Utc::now());
    let (from, to) = (range.from, range.to);
    let (pfrom, pto) = range.previous();
    let dim = |k: &str| Dimension::parse(k).map_err(ServerFnError::new);
    let by_team_q =
        SpendQuery { group_by: vec![dim("team")?], granularity: Some(Granularity::Day), ..SpendQuery::new(from, to) };
    let by_wf_q = SpendQuery { group_by: vec![dim("workflow")?], ..SpendQuery::new(from, to) };
    let fail = |e: store::StoreError| {
        tracing::error!(error = %e, "overview query failed");
        ServerFnError::new("Spend could not be read; the server log has the details.")
    };
    let by_team = store.spend(&by_team_q).await.map_err(fail)?;
    let by_workflow = store.spend(&by_wf_q).await.map_err(fail)?;
    let previous = store.spend(&SpendQuery::new(pfrom, pto)).await.map_err(fail)?;
    Ok(OverviewData {
        period: range.key.clone(),
        label: range.label.clone(),
        from,
        to,
        total: by_team.total,
        previous_cost: previous.total.cost,
        by_team,
        by_workflow,
        my_teams: if person.role == Role::Lead { person.teams } else { Vec::new() },
    })
}

/// The Overview page.
#[component]
pub fn OverviewPage() -> impl IntoView {
    let query = use_query_map();
    let period = move || query.read().get("period").unwrap_or_else(|| "30d".to_string());
    let from = move || query.read().get("from");
    let to = move || query.read().get("to");
    let data = Resource::new(move || (period(), from(), to()), |(p, f, t)| get_overview(p, f, t));
    let pending = crate::components::feedback::pending_on(move || (period(), from(), to()));
    view! {
        <div class="page-head">
            <div>
                <h1>"Overview"</h1>
                <p class="subtle">"Where the money went, by team and workflow."</p>
            </div>
            <div class="period-row">
                <span class="updating" class:show=move || pending.try_get().unwrap_or(false)>"Updating…"</span>
                <PeriodPicker current=Signal::derive(period)/>
                <crate::components::range::CustomRange action="/" from=from() to=to() active=period() == "custom"/>
            </div>
        </div>
        <crate::components::feedback::Loaded
            data=data
            loading="Loading spend…"
            pending=pending
            body=move |d| view! { <OverviewBody data=d/> }.into_any()
        />
    }
}

/// Links to each view period; plain links, so they work before hydration too.
#[component]
fn PeriodPicker(current: Signal<String>) -> impl IntoView {
    view! {
        <nav class="picker" aria-label="Period">
            {ViewPeriod::ALL
                .iter()
                .map(|p| {
                    let key = p.key();
                    let href = format!("/?period={key}");
                    view! {
                        <a
                            href=href
                            class:active=move || ViewPeriod::parse(&current.get()) == *p
                            data-period=key
                        >
                            {p.label()}
                        </a>
                    }
                })
                .collect_view()}
        </nav>
    }
}

#[component]
fn OverviewBody(data: OverviewData) -> impl IntoView {
    let t = data.total;
    let untagged_team = data
        .by_team
        .groups
        .iter()
        .find(|g| g.values.first() == Some(&None))
        .map(|g| g.share.clone())
        .unwrap_or_else(|| "0".into());
    let cache_rate = if t.input_tokens > 0 {
        format!("{:.1}%", t.cache_read_tokens as f64 * 100.0 / t.input_tokens as f64)
    } else {
        "—".into()
    };
    let change = format::change(t.cost, data.previous_cost);
    let change_class = if change.starts_with('+') { "delta up" } else { "delta down" };
    let empty = t.calls == 0;
    view! {
        <section class="kpis">
            <div class="kpi kpi-main">
                <div class="kpi-label">"Total spend · " {data.label.clone()}</div>
                <div
                    class="kpi-value"
                    data-testid="total-spend"
                    data-nanos=t.cost.0.to_string()
                    data-from=data.from.to_rfc3339()
                    data-to=data.to.to_rfc3339()
                >
                    {format::usd(t.cost)}
                </div>
                <div class="kpi-foot">
                    <span class=change_class>{change}</span>
                    " vs previous period (" {format::usd(data.previous_cost)} ")"
                </div>
            </div>
            <div class="kpi">
                <div class="kpi-label">"Calls"</div>
                <div class="kpi-value">{format::count(t.calls)}</div>
                <div class="kpi-foot">{format::count(t.input_tokens)} " in · " {format::count(t.output_tokens)} " out tokens"</div>
            </div>
            <div class="kpi">
                <div class="kpi-label">"Cache hit rate"</div>
                <div class="kpi-value">{cache_rate}</div>
                <div class="kpi-foot">"cached input tokens / all input tokens"</div>
            </div>
            <div class="kpi">
                <div class="kpi-label">"Untagged spend"</div>
                <div class="kpi-value">{format::share(&untagged_team)}</div>
                <div class="kpi-foot">
                    "of spend has no team tag · " {format::count(t.unpriced_calls)} " unpriced calls"
                </div>
            </div>
        </section>
        {if empty {
            view! {
                <div class="empty">
                    <h2>"No spend in this period"</h2>
                    <p>
                        "Send LLM calls to " <code>"POST /api/v1/events"</code>
                        " or run " <code>"bursar demo"</code> " to load a demo organisation."
                    </p>
                </div>
            }
                .into_any()
        } else {
            view! {
                <section class="card">
                    <div class="card-head">
                        <h2>"Daily spend by team"</h2>
                        <span class="subtle">"stacked, USD per UTC day"</span>
                    </div>
                    <StackedChart report=data.by_team.clone() id="spend-chart" label="Daily spend by team"/>
                </section>
                <div class="two-col">
                    <BreakdownTable
                        title="Spend by team"
                        dim="team"
                        report=data.by_team.clone()
                        mine=data.my_teams.clone()
                        period=data.period.clone()
                    />
                    <BreakdownTable
                        title="Spend by workflow"
                        dim="workflow"
                        report=data.by_workflow.clone()
                        mine=Vec::new()
                        period=data.period.clone()
                    />
                </div>
            }
                .into_any()
        }}
    }
}

/// A table of groups with cost, share (with a bar), calls and tokens; the
/// `mine` values (a lead's teams) come first, marked.
#[component]
fn BreakdownTable(
    title: &'static str,
    dim: &'static str,
    report: SpendReport,
    mine: Vec<String>,
    period: String,
) -> impl IntoView {
    let is_mine = |g: &domain::attribution::report::Group| {
        g.values.first().and_then(|v| v.as_ref()).is_some_and(|v| mine.contains(v))
    };
    let mut groups: Vec<&domain::attribution::report::Group> = report.groups.iter().collect();
    groups.sort_by_key(|g| !is_mine(g));
    let rows = groups
        .into_iter()
        .map(|g| {
            let name = g.values.first().map(format::label).unwrap_or_default();
            let untagged = g.values.first() == Some(&None);
            let mine_badge = is_mine(g).then(|| view! { <span class="mine-badge">"your team"</span> });
            let drill = format!(
                "/explore?period={}&by={}&f={}%3A{}",
                period,
                if dim == "team" { "workflow" } else { "user" },
                dim,
                crate::explore_state::encode(g.values.first().cloned().flatten().as_deref().unwrap_or(""))
            );
            let pct: f64 = g.share.parse().unwrap_or(0.0) * 100.0;
            view! {
                <tr class:untagged=untagged>
                    <td class="name">
                        <a href=drill class="drill">{name}</a>
                        {mine_badge}
                    </td>
                    <td class="num" data-nanos=g.totals.cost.0.to_string()>{format::usd(g.totals.cost)}</td>
                    <td class="share">
                        <div class="bar">
                            <div class="bar-fill" style=format!("width:{pct:.1}%")></div>
                        </div>
                        <span>{format::share(&g.share)}</span>
                    </td>
                    <td class="num">{format::count(g.totals.calls)}</td>
                    <td class="num">{format::count(g.totals.input_tokens + g.totals.output_tokens)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card" data-breakdown=dim>
            <div class="card-head">
                <h2>{title}</h2>
            </div>
            <table class="table">
                <thead>
                    <tr>
                        <th>{dim}</th>
                        <th class="num">"Cost"</th>
                        <th>"Share"</th>
                        <th class="num">"Calls"</th>
                        <th class="num">"Tokens"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}
