//! Explore: slice spend by any one or two dimensions, filter, sort, drill
//! down row by row to the calls, export the table as CSV. The URL holds the
//! whole state, so every view can be bookmarked and shared.

use crate::components::calls::{input_text, model_cell};
use crate::components::chart::{BreakdownBars, StackedChart};
use crate::components::format;
use crate::components::range::CustomRange;
use crate::explore_state::{ExploreState, DIMENSIONS};
use domain::budgets::period::ViewPeriod;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

mod data;
pub use data::*;

fn href(s: &ExploreState) -> String {
    format!("/explore?{}", s.to_query())
}

/// The Explore page.
#[component]
pub fn ExplorePage() -> impl IntoView {
    let location = use_location();
    let search = move || location.search.get();
    let data = Resource::new(search, get_explore);
    let pending = crate::components::feedback::pending_on(search);
    view! {
        <div class="page-head">
            <div>
                <h1>"Explore"</h1>
                <p class="subtle">"Group spend by any tag, filter, and drill down to the calls."</p>
            </div>
            <span class="updating" class:show=move || pending.try_get().unwrap_or(false)>"Updating…"</span>
        </div>
        <crate::components::feedback::Loaded
            data=data
            loading="Loading spend…"
            pending=pending
            body=move |d| view! { <ExploreBody data=d/> }.into_any()
        />
    }
}

#[component]
fn ExploreBody(data: ExploreData) -> impl IntoView {
    let s = data.state.clone();
    let extra_keys = data.extra_keys.clone();
    let periods = ViewPeriod::ALL
        .iter()
        .map(|p| {
            let to = ExploreState { period: p.key().to_string(), from: None, to: None, page: 0, ..s.clone() };
            let active = s.period == p.key();
            view! { <a href=href(&to) class:active=active data-period=p.key()>{p.label()}</a> }
        })
        .collect_view();
    let options = |selected: &str, none: bool| {
        let mut v: Vec<AnyView> = Vec::new();
        if none {
            v.push(view! { <option value="" selected=selected.is_empty()>"(none)"</option> }.into_any());
        }
        for d in DIMENSIONS.iter().map(|d| d.to_string()).chain(extra_keys.iter().cloned()) {
            let is = selected == d;
            v.push(view! { <option value=d.clone() selected=is>{d.clone()}</option> }.into_any());
        }
        v
    };
    let chips = s
        .filters
        .iter()
        .map(|f| {
            let (k, v) = f.split_once(':').unwrap_or((f, ""));
            let label = format!("{k} = {}", if v.is_empty() { "untagged" } else { v });
            view! {
                <a class="chip" href=href(&s.without_filter(f)) title="Remove this filter">
                    {label}
                    <span aria-hidden="true">" ×"</span>
                </a>
            }
        })
        .collect_view();
    let csv_href = format!("/explore.csv?{}", s.to_query());
    // FOCUS covers whole UTC days: those the view's range touches.
    let focus_href = format!(
        "/focus.csv?from={}&to={}",
        data.from.date_naive(),
        (data.to - chrono::Duration::microseconds(1)).date_naive()
    );
    let (keep_filters, keep_by, keep_then) = (s.filters.clone(), s.by.clone(), s.then.clone());
    let change =
        if data.previous_retired { "—".to_string() } else { format::change(data.total.cost, data.previous_total) };
    let retired = data.retired_before.filter(|edge| data.from < *edge || data.starts_at_edge).map(|edge| {
        let when = edge.format("%b %d %Y %H:%M UTC").to_string();
        if data.starts_at_edge {
            return view! {
                <p class="subtle" data-testid="retired-note">
                    "Calls before " {when} " are retired, and this grouping needs each call, so the view starts there. "
                    "Group by team, product, workflow, project or task type to see the whole period from the rollups."
                </p>
            }
            .into_any();
        }
        let also = if data.previous_retired {
            " The previous period needs retired calls for this grouping, so no change is shown."
        } else {
            ""
        };
        view! {
            <p class="subtle" data-testid="retired-note">
                "Calls before " {when} " are retired: totals come from the rollups, and the calls listed start there."
                {also}
            </p>
        }
        .into_any()
    });
    let invoice = s.basis == "invoice";
    let bases = [("recorded", "Recorded"), ("invoice", "Invoice basis")]
        .map(|(b, label)| {
            let to = ExploreState { basis: b.to_string(), page: 0, ..s.clone() };
            view! { <a href=href(&to) class:active=s.basis == b data-basis=b title="Invoice basis adds each provider's bill gap where an admin set a true-up (Reconcile)">{label}</a> }
        })
        .collect_view();
    view! {
        <div class="period-row">
            <nav class="picker" aria-label="Period">{periods}</nav>
            <nav class="picker" aria-label="Basis">{bases}</nav>
            <CustomRange action="/explore" from=s.from.clone() to=s.to.clone() active=s.period == "custom">
                {keep_filters.into_iter().map(|f| view! { <input type="hidden" name="f" value=f/> }).collect_view()}
                <input type="hidden" name="by" value=keep_by/>
                {keep_then.map(|t| view! { <input type="hidden" name="then" value=t/> })}
                {invoice.then(|| view! { <input type="hidden" name="basis" value="invoice"/> })}
            </CustomRange>
        </div>
        {retired}
        <form class="controls" method="get" action="/explore">
            <input type="hidden" name="period" value=s.period.clone()/>
            {s.from.clone().map(|f| view! { <input type="hidden" name="from" value=f/> })}
            {s.to.clone().map(|t| view! { <input type="hidden" name="to" value=t/> })}
            {s.filters.iter().map(|f| view! { <input type="hidden" name="f" value=f.clone()/> }).collect_view()}
            {invoice.then(|| view! { <input type="hidden" name="basis" value="invoice"/> })}
            <label>"Group by" <select name="by" data-testid="group-by">{options(&s.by, false)}</select></label>
            <label>"then by" <select name="then">{options(s.then.as_deref().unwrap_or(""), true)}</select></label>
            <label>
                "Granularity"
                <select name="g">
                    {["day", "week", "month"]
                        .map(|g| view! { <option value=g selected=s.granularity == g>{g}</option> })
                        .collect_view()}
                </select>
            </label>
            <label>
                "Filter"
                <span class="filter-pair">
                    <select name="fk" aria-label="Filter key">{options("", true)}</select>
                    <input type="text" name="fv" placeholder="value (empty = untagged)" aria-label="Filter value"/>
                </span>
            </label>
            <button type="submit" class="btn primary">"Apply"</button>
            <a class="btn secondary" href=csv_href data-testid="export-csv" download="bursar-explore.csv">
                "Export CSV"
            </a>
            <a class="btn secondary" href=focus_href data-testid="export-focus" download="bursar-focus.csv"
                title="FOCUS 1.2: one row per day, model, token class and tag set, for FinOps tools">
                "FOCUS export"
            </a>
        </form>
        <div class="chips">{chips}</div>
        <section class="kpis kpis-3">
            <div class="kpi kpi-main">
                <div class="kpi-label">"Spend · " {data.label.clone()}</div>
                <div class="kpi-value" data-testid="explore-total" data-nanos=data.total.cost.0.to_string()>
                    {format::usd(data.total.cost)}
                </div>
                <div class="kpi-foot">{change} " vs previous period"</div>
            </div>
            <div class="kpi">
                <div class="kpi-label">"Calls"</div>
                <div class="kpi-value">{format::count(data.total.calls)}</div>
            </div>
            <div class="kpi">
                <div class="kpi-label">"Groups"</div>
                <div class="kpi-value">{data.rows.len()}</div>
            </div>
        </section>
        <div class="chart-row">
            <section class="card">
                <div class="card-head">
                    <h2>"Spend over time"</h2>
                    <span class="subtle">"stacked by " {data.dims.join(" · ")}</span>
                </div>
                <StackedChart report=data.series.clone() id="explore-chart" area=true label="Spend over time"/>
            </section>
            <section class="card">
                <div class="card-head">
                    <h2>"Breakdown"</h2>
                    <span class="subtle">"largest first"</span>
                </div>
                <BreakdownBars report=data.series.clone() id="explore-bars" label="Spend by group"/>
            </section>
        </div>
        <ExploreTable data=data.clone()/>
        <CallsList data=data/>
    }
}

#[component]
fn ExploreTable(data: ExploreData) -> impl IntoView {
    let s = data.state.clone();
    let head = |col: &'static str, text: String, num: bool| {
        let arrow = if s.sort == col {
            if s.desc {
                " ↓"
            } else {
                " ↑"
            }
        } else {
            ""
        };
        view! {
            <th class:num=num>
                <a href=href(&s.sorted_by(col)) data-sort=col>{text}{arrow}</a>
            </th>
        }
    };
    let rows = data
        .rows
        .iter()
        .map(|r| {
            let names: Vec<String> = r.values.iter().map(format::label).collect();
            let drill = href(&s.drill(&r.values));
            let pct: f64 = r.share.parse().unwrap_or(0.0) * 100.0;
            let untagged = r.values.iter().any(Option::is_none);
            let missing_required: Vec<String> = r
                .values
                .iter()
                .zip(&data.dims)
                .filter(|(v, d)| v.is_none() && data.required.contains(d))
                .map(|(_, d)| d.clone())
                .collect();
            view! {
                <tr class:untagged=untagged>
                    <td class="name">
                        <a href=drill class="drill" title="Drill down">{names.join(" · ")}</a>
                        {(!missing_required.is_empty()).then(|| view! {
                            <span class="badge warn" title="The taxonomy requires this key">{format!("no {}", missing_required.join(", "))}</span>
                        })}
                    </td>
                    <td class="num" data-nanos=r.cost.0.to_string()>{format::usd(r.cost)}</td>
                    <td class="share">
                        <div class="bar">
                            <div class="bar-fill" style=format!("width:{pct:.1}%")></div>
                        </div>
                        <span>{format::share(&r.share)}</span>
                    </td>
                    <td class="num">{format::count(r.calls)}</td>
                    <td class="num">{format::count(r.tokens)}</td>
                    <td class="num">
                        {if data.previous_retired { "—".to_string() } else { format::change(r.cost, r.previous) }}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card" data-testid="explore-table">
            <table class="table">
                <thead>
                    <tr>
                        {head("name", data.dims.join(" · "), false)}
                        {head("cost", "Cost".into(), true)}
                        {head("share", "Share".into(), false)}
                        {head("calls", "Calls".into(), true)}
                        {head("tokens", "Tokens".into(), true)}
                        {head("change", "Change".into(), true)}
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}

#[component]
fn CallsList(data: ExploreData) -> impl IntoView {
    let s = data.state.clone();
    let rows = data
        .calls
        .iter()
        .map(|c| {
            let tags = c.tags.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ");
            let task = c.task_id.clone().map(|t| {
                let link = format!("/tasks/{}", crate::explore_state::encode(&t));
                view! { <a href=link data-testid="task-link">{t}</a> }
            });
            let (input, how) = input_text(c);
            view! {
                <tr>
                    <td class="mono">{c.at.format("%b %d %H:%M:%S").to_string()}</td>
                    {model_cell(c)}
                    <td class="num" title=how>{input}</td>
                    <td class="num">{format::count(c.cached_tokens)}</td>
                    <td class="num">{format::count(c.output_tokens)}</td>
                    <td class="num">{c.cost.map(format::usd).unwrap_or_else(|| "unpriced".into())}</td>
                    <td>{task}</td>
                    <td class="tags">{tags}</td>
                </tr>
            }
        })
        .collect_view();
    let prev = (s.page > 0).then(|| href(&ExploreState { page: s.page - 1, ..s.clone() }));
    let next = data.more_calls.then(|| href(&ExploreState { page: s.page + 1, ..s.clone() }));
    view! {
        <section class="card" data-testid="calls">
            <div class="card-head">
                <h2>"Calls"</h2>
                <span class="subtle">"newest first · page " {s.page + 1}</span>
            </div>
            <table class="table calls">
                <thead>
                    <tr>
                        <th>"Time (UTC)"</th>
                        <th>"Model"</th>
                        <th class="num">"Input"</th>
                        <th class="num">"Cached"</th>
                        <th class="num">"Output"</th>
                        <th class="num">"Cost"</th>
                        <th>"Task"</th>
                        <th>"Tags"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            <div class="pager">
                {prev.map(|h| view! { <a href=h>"← Newer"</a> })}
                {next.map(|h| view! { <a href=h>"Older →"</a> })}
            </div>
        </section>
    }
}
