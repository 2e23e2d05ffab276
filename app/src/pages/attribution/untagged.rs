//! Untagged spend: for each required tag key (the taxonomy says which; the
//! conventional keys when none is required yet), the spend and calls that
//! lack it, and the key's coverage per day, so gaps in instrumentation can
//! be found and closed.

use crate::components::format;
use chrono::{DateTime, Utc};
use domain::budgets::period::ViewPeriod;
use domain::Nanos;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// Coverage of one tag key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeyCoverage {
    pub key: String,
    pub missing_cost: Nanos,
    pub missing_calls: i64,
    /// Share of spend that has the key, 0-1, 4 places.
    pub coverage: String,
    /// Coverage of spend per day (None on a day without spend).
    pub daily: Vec<(DateTime<Utc>, Option<f64>)>,
}

/// The untagged-spend page's data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UntaggedData {
    pub label: String,
    pub total: Nanos,
    pub keys: Vec<KeyCoverage>,
    /// Whether the keys are the taxonomy's required ones (else the conventional ones).
    pub from_taxonomy: bool,
}

/// Reads coverage of every conventional key over a period.
#[server(endpoint = "untagged")]
pub async fn get_untagged(period: String) -> Result<UntaggedData, ServerFnError> {
    use domain::attribution::query::{Dimension, Filter, SpendQuery};
    use domain::Granularity;
    let (_, store) = crate::server::context::require(domain::people::users::Role::Viewer).await?;
    let p = ViewPeriod::parse(&period);
    let (from, to) = p.range(Utc::now());
    let fail = |e: store::StoreError| {
        tracing::error!(error = %e, "untagged query failed");
        ServerFnError::new("Spend could not be read; the server log has the details.")
    };
    let all = SpendQuery { granularity: Some(Granularity::Day), ..SpendQuery::new(from, to) };
    let total = store.spend(&all).await.map_err(fail)?;
    let days = total.series.clone().unwrap_or_default();
    let required = store.taxonomy().await.map_err(fail)?.required_keys();
    let from_taxonomy = !required.is_empty();
    let chosen: Vec<String> = if from_taxonomy {
        required
    } else {
        domain::attribution::tags::CONVENTIONAL_KEYS.iter().map(|k| k.to_string()).collect()
    };
    let mut keys = Vec::new();
    for key in &chosen {
        let dimension = Dimension::parse(key).map_err(ServerFnError::new)?;
        let q = SpendQuery { filters: vec![Filter { dimension, values: vec![None] }], ..all.clone() };
        // A key the rollups do not keep (user) reads each call: once calls are retired, its
        // coverage is over the time since the retention edge, and earlier days have none.
        let (missing, since) = store.spend_since_edge(&q).await.map_err(fail)?;
        let base = match since {
            // The whole view is before the edge: nothing is left to measure this key by.
            Some(edge) if edge >= to => domain::attribution::report::build_report(&all, vec![]),
            Some(edge) => store.spend(&SpendQuery { from: edge, ..all.clone() }).await.map_err(fail)?,
            None => total.clone(),
        };
        let msr: std::collections::HashMap<_, _> =
            missing.series.unwrap_or_default().into_iter().map(|m| (m.start, m.totals.cost.0)).collect();
        let daily = days
            .iter()
            .map(|d| {
                let m = msr.get(&d.start).copied().filter(|_| since.is_none_or(|edge| d.start >= edge));
                let cov = m.filter(|_| d.totals.cost.0 > 0).map(|m| 1.0 - m as f64 / d.totals.cost.0 as f64);
                (d.start, cov)
            })
            .collect();
        let covered = Nanos(base.total.cost.0 - missing.total.cost.0);
        let total_cost = base.total.cost;
        keys.push(KeyCoverage {
            key: key.to_string(),
            missing_cost: missing.total.cost,
            missing_calls: missing.total.calls,
            coverage: domain::attribution::report::share(covered, total_cost),
            daily,
        });
    }
    Ok(UntaggedData { label: p.label().to_string(), total: total.total.cost, keys, from_taxonomy })
}

/// The untagged-spend page.
#[component]
pub fn UntaggedPage() -> impl IntoView {
    let query = use_query_map();
    let period = move || query.read().get("period").unwrap_or_else(|| "30d".to_string());
    let data = Resource::new(period, get_untagged);
    view! {
        <div class="page-head">
            <div>
                <h1>"Untagged spend"</h1>
                <p class="subtle">"Spend missing each required tag, and how coverage moves day by day. The taxonomy (admins) says which keys are required."</p>
            </div>
            <nav class="picker" aria-label="Period">
                {ViewPeriod::ALL
                    .iter()
                    .map(|p| {
                        let key = p.key();
                        view! {
                            <a href=format!("/untagged?period={key}") class:active=move || period() == key>
                                {p.label()}
                            </a>
                        }
                    })
                    .collect_view()}
            </nav>
        </div>
        <crate::components::feedback::Loaded
            data=data
            loading="Loading coverage…"
            body=move |d| view! { <UntaggedBody data=d/> }.into_any()
        />
    }
}

#[component]
fn UntaggedBody(data: UntaggedData) -> impl IntoView {
    let rows = data
        .keys
        .iter()
        .map(|k| {
            let cov: f64 = k.coverage.parse().unwrap_or(0.0) * 100.0;
            let by = if k.key == "team" { "workflow" } else { "team" };
            let explore = format!("/explore?by={by}&f={}%3A", k.key);
            let strip = k
                .daily
                .iter()
                .map(|(day, c)| {
                    let (h, title) = match c {
                        Some(c) => ((c * 100.0).round(), format!("{}: {:.1}% tagged", day.format("%b %d"), c * 100.0)),
                        None => (0.0, format!("{}: no spend", day.format("%b %d"))),
                    };
                    view! { <span class="spark-bar" style=format!("height:{h}%") title=title></span> }
                })
                .collect_view();
            view! {
                <tr data-key=k.key.clone()>
                    <td class="name"><code>{k.key.clone()}</code></td>
                    <td class="num">{format::usd(k.missing_cost)}</td>
                    <td class="num">{format::count(k.missing_calls)}</td>
                    <td class="share">
                        <div class="bar"><div class="bar-fill" style=format!("width:{cov:.1}%")></div></div>
                        <span>{format::share(&k.coverage)}</span>
                    </td>
                    <td><div class="spark" aria-label="daily coverage">{strip}</div></td>
                    <td><a href=explore>"See where"</a></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card">
            <div class="card-head">
                <h2>
                    {if data.from_taxonomy { "Coverage of the required keys · " } else { "Coverage of the conventional keys (none is required yet) · " }}
                    {data.label.clone()}
                </h2>
                <span class="subtle">"of " {format::usd(data.total)} " total spend"</span>
            </div>
            <table class="table">
                <thead>
                    <tr>
                        <th>"Tag key"</th>
                        <th class="num">"Untagged spend"</th>
                        <th class="num">"Untagged calls"</th>
                        <th>"Coverage (by spend)"</th>
                        <th>"Daily coverage"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}
