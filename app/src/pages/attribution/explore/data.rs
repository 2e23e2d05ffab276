//! The Explore page's data and server functions: a view's spend report and its page of calls, read on the server for the URL state, and the query-string helpers.

use crate::components::calls::CallRow;
use crate::explore_state::{ExploreState, Row};
use chrono::{DateTime, Utc};
use domain::attribution::report::{SpendReport, Totals};
use domain::Nanos;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Calls listed per page under the table.
pub const CALLS_PER_PAGE: u32 = 25;

/// Everything the Explore page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExploreData {
    pub state: ExploreState,
    pub label: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub dims: Vec<String>,
    pub rows: Vec<Row>,
    pub total: Totals,
    pub previous_total: Nanos,
    pub series: SpendReport,
    pub calls: Vec<CallRow>,
    pub more_calls: bool,
    /// Tag keys the taxonomy defines beyond the usual dimensions (offered for grouping and filters).
    pub extra_keys: Vec<String>,
    /// Keys the taxonomy requires: a group missing one is untagged spend.
    pub required: Vec<String>,
    /// The retention edge: calls before it are deleted, their spend is in the rollups.
    pub retired_before: Option<DateTime<Utc>>,
    /// The previous period needs retired calls for this view, so no change is shown.
    pub previous_retired: bool,
    /// The view needs each call (a key the rollups do not keep), so it starts at the retention edge.
    pub starts_at_edge: bool,
}

/// Loads a view: this period grouped (with a series), the previous period
/// for the change column, and a page of the calls behind it.
#[cfg(feature = "ssr")]
pub async fn load(
    store: &std::sync::Arc<dyn store::Store>,
    invoices: &catalog::invoice::Invoices,
    state: ExploreState,
) -> Result<ExploreData, store::StoreError> {
    // On the invoice basis a view adds the bills' true-up gaps (the calls listed stay the calls).
    let spend = |q: domain::SpendQuery| {
        let invoice = state.basis == "invoice";
        async move {
            if !invoice {
                return store.spend(&q).await;
            }
            invoices.spend(&q).await.map_err(|r| match r {
                store::Refusal::Store(e) => e,
                store::Refusal::Invalid(mut f) if !f.is_empty() => store::StoreError::Refused(f.remove(0)),
                other => {
                    store::StoreError::Refused(domain::FieldError { field: "basis".into(), reason: other.to_string() })
                }
            })
        }
    };
    let range = domain::budgets::period::resolve(&state.period, state.from.as_deref(), state.to.as_deref(), Utc::now());
    let (mut from, to) = (range.from, range.to);
    let (pfrom, pto) = range.previous();
    let retired_before = store.retired_before().await?;
    // A view that needs calls from before the retention edge starts at the edge instead, and says so.
    let (current, starts_at_edge) = match spend(state.query(from, to, true)).await {
        Err(store::StoreError::Refused(_)) if retired_before.is_some_and(|e| from < e && e < to) => {
            from = retired_before.unwrap_or(from);
            (spend(state.query(from, to, true)).await?, true)
        }
        other => (other?, false),
    };
    let previous_q = state.query(pfrom, pto, false);
    let (previous, previous_retired) = match spend(previous_q.clone()).await {
        Err(store::StoreError::Refused(_)) => (domain::attribution::report::build_report(&previous_q, vec![]), true),
        other => (other?, false),
    };
    let rows = crate::explore_state::rows(&current, &previous, &state.sort, state.desc);
    let calls_q = store::EventQuery {
        spend: state.query(from, to, false),
        task_id: None,
        limit: CALLS_PER_PAGE + 1,
        offset: state.page * CALLS_PER_PAGE,
    };
    let mut events = store.list_events(&calls_q).await?;
    let more_calls = events.len() > CALLS_PER_PAGE as usize;
    events.truncate(CALLS_PER_PAGE as usize);
    let taxonomy = store.taxonomy().await?;
    Ok(ExploreData {
        extra_keys: taxonomy
            .keys
            .iter()
            .map(|r| r.key.clone())
            .filter(|k| !crate::explore_state::DIMENSIONS.contains(&k.as_str()))
            .collect(),
        required: taxonomy.required_keys(),
        label: if starts_at_edge { format!("since {}", from.format("%b %d %Y")) } else { range.label.clone() },
        from,
        to,
        dims: current.group_by.clone(),
        total: current.total,
        previous_total: previous.total.cost,
        rows,
        series: current,
        calls: events.into_iter().map(crate::components::calls::call_row).collect(),
        more_calls,
        state,
        retired_before,
        previous_retired: previous_retired || starts_at_edge,
        starts_at_edge,
    })
}

/// Reads an Explore view from its URL query string.
#[server(endpoint = "explore")]
pub async fn get_explore(query: String) -> Result<ExploreData, ServerFnError> {
    let (_, store) = crate::server::context::require(domain::people::users::Role::Viewer).await?;
    let invoices = crate::server::context::invoices()?;
    let params: Vec<(String, String)> = parse_query(&query);
    load(&store, &invoices, ExploreState::from_params(&params)).await.map_err(|e| match e {
        // A view that needs retired calls: the sentence says which and what to do.
        store::StoreError::Refused(reason) => ServerFnError::new(reason.reason),
        e => {
            tracing::error!(error = %e, "explore query failed");
            ServerFnError::new("Spend could not be read; the server log has the details.")
        }
    })
}

/// Splits `a=1&b=2` into decoded pairs.
pub fn parse_query(q: &str) -> Vec<(String, String)> {
    q.trim_start_matches('?')
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.replace('+', " ").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&String::from_utf8_lossy(&bytes[i + 1..i + 3]), 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
