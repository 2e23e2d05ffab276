//! The Reconcile page's data: a month's reconciliation by provider, by day
//! and by provider, model and day (for the biggest gaps), and, for admins,
//! the latest import and connector runs.

use chrono::{Datelike, Duration, NaiveDate};
use domain::invoice::report::{Finding, Row, Unmatched};
use domain::Nanos;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One import or connector run, as the page lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRow {
    pub source: String,
    pub trigger: String,
    pub actor: String,
    pub started: chrono::DateTime<chrono::Utc>,
    pub ok: bool,
    pub lines: i64,
    /// The days it covered, or the error.
    pub detail: String,
}

/// One day's billed and attributed (USD lines only).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Day {
    pub day: NaiveDate,
    pub billed: Nanos,
    pub attributed: Nanos,
}

/// Everything the page shows for one month.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReconcileData {
    /// `2026-11`.
    pub month: String,
    pub label: String,
    pub prev: String,
    pub next: Option<String>,
    pub totals: Vec<Row>,
    pub providers: Vec<Row>,
    pub days: Vec<Day>,
    /// The provider, model and day groups with the largest gaps (either way), at most 10, two per model.
    pub top_gaps: Vec<Row>,
    pub findings: Vec<Finding>,
    pub unexplained: Option<Nanos>,
    pub unbilled: Nanos,
    pub unmatched: Vec<Unmatched>,
    /// Admins only; empty for others.
    pub runs: Vec<RunRow>,
    /// This month's true-up per provider: `uninstrumented` or `allocated`.
    pub true_ups: Vec<(String, String)>,
    pub is_admin: bool,
}

/// The first day of `month` (`YYYY-MM`), else of last month.
pub fn month_start(month: &str, today: NaiveDate) -> NaiveDate {
    domain::invoice::true_up::parse_month(month).unwrap_or_else(|_| {
        let first = today.with_day(1).unwrap_or(today);
        first.checked_sub_months(chrono::Months::new(1)).unwrap_or(first)
    })
}

/// The first day of the month after `first`.
pub fn next_month(first: NaiveDate) -> NaiveDate {
    first.checked_add_months(chrono::Months::new(1)).unwrap_or(first)
}

/// Reads one month's reconciliation (`YYYY-MM`; default last month).
#[server(endpoint = "reconcile")]
pub async fn get_reconcile(month: String) -> Result<ReconcileData, ServerFnError> {
    use domain::people::users::Role;
    let (person, _) = crate::server::context::require(Role::Viewer).await?;
    let invoices = crate::server::context::invoices()?;
    let today = chrono::Utc::now().date_naive();
    let from = month_start(&month, today);
    let to = next_month(from);
    let fail = |e: store::Refusal| crate::server::errors::refused(e);
    let mut views =
        invoices.reconcile_views(from, to, &[(false, false), (false, true), (true, true)]).await.map_err(fail)?;
    let (detail, by_day, by_provider) = (views.pop(), views.pop(), views.pop());
    let (Some(by_provider), Some(by_day), Some(detail)) = (by_provider, by_day, detail) else {
        return Err(ServerFnError::new("Reconcile answered fewer views than asked."));
    };
    let mut days: Vec<Day> = Vec::new();
    for g in by_day.groups.iter().filter(|g| g.currency == "USD") {
        let Some(day) = g.day else { continue };
        match days.iter_mut().find(|d| d.day == day) {
            Some(d) => {
                d.billed += g.billed;
                d.attributed += g.attributed;
            }
            None => days.push(Day { day, billed: g.billed, attributed: g.attributed }),
        }
    }
    days.sort_by_key(|d| d.day);
    let mut all: Vec<Row> = detail.groups.into_iter().filter(|g| g.gap.0 != 0).collect();
    all.sort_by_key(|g| std::cmp::Reverse(g.gap.0.abs()));
    // At most two days of one model, so one steady gap does not fill the table.
    let mut top_gaps: Vec<Row> = Vec::new();
    for g in all {
        let same = top_gaps.iter().filter(|t| t.provider == g.provider && t.model == g.model).count();
        if same < 2 && top_gaps.len() < 10 {
            top_gaps.push(g);
        }
    }
    let is_admin = person.role >= Role::Admin;
    let runs = if is_admin {
        invoices
            .runs(10)
            .await
            .map_err(fail)?
            .into_iter()
            .map(|r| {
                let detail = if r.run.ok {
                    match (r.run.first_day, r.run.last_day) {
                        (Some(a), Some(b)) => format!("{a} to {b}"),
                        _ => "no days".into(),
                    }
                } else {
                    serde_json::from_str::<serde_json::Value>(&r.run.detail)
                        .ok()
                        .and_then(|v| v["error"].as_str().map(String::from))
                        .unwrap_or_else(|| "failed".into())
                };
                RunRow {
                    source: r.run.source.as_str().into(),
                    trigger: r.run.trigger,
                    actor: r.run.actor,
                    started: r.run.started,
                    ok: r.run.ok,
                    lines: r.run.lines,
                    detail,
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let next = next_month(from);
    let true_ups = invoices
        .true_ups()
        .await
        .map_err(fail)?
        .into_iter()
        .filter(|t| t.month == from)
        .map(|t| (t.provider, t.mode.as_str().to_string()))
        .collect();
    Ok(ReconcileData {
        true_ups,
        month: from.format("%Y-%m").to_string(),
        label: from.format("%B %Y").to_string(),
        prev: (from - Duration::days(1)).format("%Y-%m").to_string(),
        next: (next <= today).then(|| next.format("%Y-%m").to_string()),
        totals: by_provider.totals,
        providers: by_provider.groups,
        days,
        top_gaps,
        findings: by_provider.findings,
        unexplained: by_provider.unexplained,
        unbilled: by_provider.unbilled,
        unmatched: by_provider.unmatched.into_iter().take(20).collect(),
        runs,
        is_admin,
    })
}

/// Sets how a provider's gap shows on the invoice basis for a month (`mode`
/// empty clears it). Admins only; audited.
#[server(endpoint = "set_true_up")]
pub async fn set_true_up(provider: String, month: String, mode: String) -> Result<(), ServerFnError> {
    use domain::invoice::true_up::{parse_month, Mode};
    let (me, _) = crate::server::context::require(domain::people::users::Role::Admin).await?;
    let month = parse_month(&month).map_err(|e| ServerFnError::new(e.to_string()))?;
    let mode = match mode.trim() {
        "" => None,
        m => Some(Mode::parse(m).map_err(|e| ServerFnError::new(e.to_string()))?),
    };
    crate::server::context::invoices()?
        .set_true_up(&me.email, &provider, month, mode)
        .await
        .map_err(crate::server::errors::refused)
}
