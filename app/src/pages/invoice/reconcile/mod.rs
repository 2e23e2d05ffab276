//! The Reconcile page (finance and admins): a month's bills against the
//! spend Bursar attributed. It answers "of what we paid, how much can we
//! explain, and where is the rest?": the headline, each provider's billed,
//! attributed, gap and coverage, a daily chart, the findings that explain
//! the gap, and the days and models with the biggest gaps, each drilling
//! into Explore. Admins also see the latest imports and connector runs.

use crate::components::format;
use domain::invoice::report::Row;
use domain::Nanos;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

mod data;
pub use data::*;

/// The Reconcile page.
#[component]
pub fn ReconcilePage() -> impl IntoView {
    let query = use_query_map();
    let month = move || query.read().get("month").unwrap_or_default();
    let set = ServerAction::<SetTrueUp>::new();
    let data = Resource::new(move || (month(), set.version().get()), |(m, _)| get_reconcile(m));
    view! {
        <crate::components::feedback::Loaded
            data=data
            loading="Reconciling…"
            body=move |d| view! { <ReconcileBody data=d set=set/> }.into_any()
        />
    }
}

fn gap_class(n: Nanos) -> &'static str {
    if n.0 > 0 {
        "num gap-over"
    } else if n.0 < 0 {
        "num gap-under"
    } else {
        "num"
    }
}

/// The badge colour of a finding's kind.
fn badge(kind: &str) -> &'static str {
    match kind {
        "uninstrumented" => "over",
        "price_difference" => "forecast",
        "unmatched" => "muted",
        _ => "warn",
    }
}

fn coverage_cell(r: &Row) -> impl IntoView {
    let pct = r.coverage.as_deref().map(|c| c.parse::<f64>().unwrap_or(0.0) * 100.0);
    let width = pct.unwrap_or(0.0).min(100.0);
    view! {
        <td class="share">
            <div class="bar"><div class="bar-fill" style=format!("width:{width:.1}%")></div></div>
            <span>{pct.map(|p| format!("{p:.1}%")).unwrap_or_else(|| "—".into())}</span>
        </td>
    }
}

/// How a provider's gap shows on the invoice basis: a form for admins, words for others.
fn true_up_cell(data: &ReconcileData, provider: &str, set: ServerAction<SetTrueUp>) -> AnyView {
    let mode = data.true_ups.iter().find(|(p, _)| p == provider).map(|(_, m)| m.clone()).unwrap_or_default();
    if !data.is_admin {
        let text = if mode.is_empty() { "as recorded".to_string() } else { mode };
        return view! { <td class="subtle">{text}</td> }.into_any();
    }
    let (provider, month, testid) = (provider.to_string(), data.month.clone(), format!("true-up-{provider}"));
    let options = [("", "as recorded"), ("uninstrumented", "as uninstrumented"), ("allocated", "allocated to tags")]
        .map(|(value, label)| {
            let selected = mode == value;
            view! { <option value=value selected=selected>{label}</option> }
        })
        .collect_view();
    view! {
        <td>
            <ActionForm action=set attr:class="inline-form" attr:data-testid=testid>
                <input type="hidden" name="provider" value=provider/>
                <input type="hidden" name="month" value=month/>
                <select name="mode" aria-label="How the gap shows on the invoice basis">
                    {options}
                </select>
                <button type="submit" class="btn">"Set"</button>
            </ActionForm>
        </td>
    }
    .into_any()
}

#[component]
fn ReconcileBody(data: ReconcileData, set: ServerAction<SetTrueUp>) -> impl IntoView {
    let usd = data.totals.iter().find(|t| t.currency == "USD").cloned();
    let others: Vec<Row> = data.totals.iter().filter(|t| t.currency != "USD").cloned().collect();
    let headline = match &usd {
        Some(t) => view! {
            <p class="headline" data-testid="reconcile-headline">
                "Of " <strong>{format::usd(t.billed)}</strong> " billed for " {data.label.clone()} ", Bursar's recorded calls explain "
                <strong>{format::usd(t.attributed)}</strong> " (" {t.coverage.as_deref().map(format::share).unwrap_or_default()} "). "
                "The findings below explain " <strong>{format::usd(Nanos(t.gap.0 - data.unexplained.unwrap_or_default().0))}</strong>
                " of the " {format::usd(t.gap)} " gap; " <strong>{format::usd(data.unexplained.unwrap_or_default())}</strong> " is unexplained."
            </p>
        }
        .into_any(),
        None => view! {
            <p class="headline">"No bill is imported for " {data.label.clone()} ". Import one through "
                <code>"POST /api/v1/bills/import"</code> " or configure a connector (README, Invoice)."</p>
        }
        .into_any(),
    };
    let providers = data
        .providers
        .iter()
        .map(|r| {
            view! {
                <tr>
                    <td class="name">{r.provider.clone().unwrap_or_default()}</td>
                    <td>{r.currency.clone()}</td>
                    <td class="num">{format::usd(r.billed)}</td>
                    <td class="num">{format::usd(r.attributed)}</td>
                    <td class=gap_class(r.gap)>{format::usd(r.gap)}</td>
                    {coverage_cell(r)}
                    {true_up_cell(&data, r.provider.as_deref().unwrap_or_default(), set)}
                </tr>
            }
        })
        .collect_view();
    let findings = data
        .findings
        .iter()
        .map(|f| {
            view! {
                <li data-kind=f.kind.clone()>
                    <div class="finding-head">
                        <span class=format!("badge {}", badge(&f.kind))>{f.kind.replace('_', " ")}</span>
                        <strong>{f.provider.clone()}</strong>
                        <span class=gap_class(f.amount)>{format::usd(f.amount)}</span>
                    </div>
                    <p>{f.text.clone()}</p>
                </li>
            }
        })
        .collect_view();
    let gaps = data
        .top_gaps
        .iter()
        .map(|r| {
            let day = r.day.map(|d| d.to_string()).unwrap_or_default();
            let model = r.model.clone().unwrap_or_default();
            let provider = r.provider.clone().unwrap_or_default();
            let explore = format!(
                "/explore?period=custom&from={day}&to={day}&by=workflow&f=provider%3A{provider}&f=model%3A{}",
                model.replace(':', "%3A").replace('/', "%2F")
            );
            view! {
                <tr>
                    <td>{day.clone()}</td>
                    <td class="name">{provider.clone()}</td>
                    <td><code>{if model.is_empty() { "unmatched".to_string() } else { model.clone() }}</code></td>
                    <td class="num">{format::usd(r.billed)}</td>
                    <td class="num">{format::usd(r.attributed)}</td>
                    <td class=gap_class(r.gap)>{format::usd(r.gap)}</td>
                    <td><a href=explore>"Explore"</a></td>
                </tr>
            }
        })
        .collect_view();
    let labels: Vec<String> = data.days.iter().map(|d| d.day.format("%b %d").to_string()).collect();
    let billed: Vec<f64> = data.days.iter().map(|d| d.billed.0 as f64 / 1e9).collect();
    let attributed: Vec<f64> = data.days.iter().map(|d| d.attributed.0 as f64 / 1e9).collect();
    let month = data.month.clone();
    view! {
        <div class="page-head">
            <div>
                <h1>"Reconcile"</h1>
                <p class="subtle">"What providers billed, against the spend Bursar attributed to calls, per provider and day. Amounts are exact; the bill's currency."</p>
            </div>
            <nav class="picker" aria-label="Month">
                <a href=format!("/reconcile?month={}", data.prev)>"← " {data.prev.clone()}</a>
                <a class="active" href=format!("/reconcile?month={month}")>{data.label.clone()}</a>
                {data.next.clone().map(|n| view! { <a href=format!("/reconcile?month={n}")>{n.clone()} " →"</a> })}
            </nav>
        </div>
        <section class="card">{headline}</section>
        <section class="card">
            <div class="card-head"><h2>"By provider · " {data.label.clone()}</h2>
                <span class="subtle">"Recorded spend with no bill imported: " {format::usd(data.unbilled)}</span></div>
            <table class="table" data-testid="reconcile-providers">
                <thead><tr><th>"Provider"</th><th>"Currency"</th><th class="num">"Billed"</th><th class="num">"Attributed"</th>
                    <th class="num">"Gap"</th><th>"Coverage"</th><th title="How the gap shows on the invoice basis (Explore, the spend API, FOCUS)">"Invoice basis"</th></tr></thead>
                <tbody>{providers}</tbody>
            </table>
            {(!others.is_empty()).then(|| view! { <p class="subtle">"Bills in other currencies are shown in their own; recorded costs are USD, so they meet only USD lines."</p> })}
        </section>
        <section class="card">
            <div class="card-head"><h2>"Billed and attributed, day by day"</h2><span class="subtle">"USD lines"</span></div>
            <crate::components::chart::PairChart id="reconcile-daily" label="Billed and attributed per day"
                labels=labels first=("billed", billed) second=("attributed", attributed)/>
        </section>
        <section class="card">
            <div class="card-head"><h2>"What explains the gap"</h2></div>
            <ul class="findings" data-testid="reconcile-findings">{findings}</ul>
        </section>
        <section class="card">
            <div class="card-head"><h2>"Biggest gaps by day and model"</h2></div>
            <table class="table" data-testid="reconcile-gaps">
                <thead><tr><th>"Day"</th><th>"Provider"</th><th>"Model"</th><th class="num">"Billed"</th>
                    <th class="num">"Attributed"</th><th class="num">"Gap"</th><th></th></tr></thead>
                <tbody>{gaps}</tbody>
            </table>
        </section>
        {(!data.unmatched.is_empty()).then(|| view! { <Unmatched rows=data.unmatched.clone()/> })}
        {data.is_admin.then(|| view! { <Runs rows=data.runs.clone()/> })}
    }
}

#[component]
fn Unmatched(rows: Vec<domain::invoice::report::Unmatched>) -> impl IntoView {
    let rows = rows
        .into_iter()
        .map(|u| {
            view! {
                <tr><td>{u.source}</td><td class="name">{u.provider}</td><td>{u.description}</td>
                    <td class="num">{format::usd(u.billed)}</td><td class="subtle">{u.reason}</td></tr>
            }
        })
        .collect_view();
    view! {
        <section class="card">
            <div class="card-head"><h2>"Lines without a known model"</h2>
                <a href="/prices#bill-rules">"Add a mapping rule"</a></div>
            <table class="table"><thead><tr><th>"Source"</th><th>"Provider"</th><th>"Line"</th><th class="num">"Billed"</th><th>"Why"</th></tr></thead>
                <tbody>{rows}</tbody></table>
        </section>
    }
}

#[component]
fn Runs(rows: Vec<RunRow>) -> impl IntoView {
    let rows = rows
        .into_iter()
        .map(|r| {
            view! {
                <tr>
                    <td>{r.started.format("%Y-%m-%d %H:%M UTC").to_string()}</td>
                    <td>{r.source}</td><td>{r.trigger}</td><td>{r.actor}</td>
                    <td>{if r.ok { view! { <span class="badge ok">"ok"</span> }.into_any() } else { view! { <span class="badge over">"failed"</span> }.into_any() }}</td>
                    <td class="num">{format::count(r.lines)}</td>
                    <td class="subtle">{r.detail}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card">
            <div class="card-head"><h2>"Imports and connector runs"</h2><span class="subtle">"latest 10 (admins)"</span></div>
            <table class="table" data-testid="reconcile-runs"><thead><tr><th>"Started"</th><th>"Source"</th><th>"How"</th><th>"By"</th>
                <th>"Result"</th><th class="num">"Lines"</th><th>"Days or error"</th></tr></thead>
                <tbody>{rows}</tbody></table>
        </section>
    }
}
