//! The task view: one `task_id`'s calls in order, with its total cost and
//! loop count. This is where a runaway agent shows itself.

use crate::components::calls::CallRow;
use crate::components::format;
use domain::Nanos;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

/// Most calls one task page lists.
pub const MAX_TASK_CALLS: u32 = 5_000;

/// One task and its calls.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskData {
    pub id: String,
    pub calls: Vec<CallRow>,
    /// Cost of the priced calls.
    pub total: Nanos,
    pub unpriced: usize,
    /// Whether more calls exist than are listed.
    pub truncated: bool,
    /// The hard cap this task reached, if one did: from then on the check
    /// refuses its calls, which is where a well-behaved agent stops.
    pub stopped_by: Option<StoppedBy>,
}

/// A hard cap a task reached.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoppedBy {
    pub budget_id: String,
    pub budget_name: String,
    pub limit: Nanos,
    pub spent: Nanos,
}

/// Reads a task's calls, oldest first.
#[server(endpoint = "task")]
pub async fn get_task(id: String) -> Result<TaskData, ServerFnError> {
    use chrono::{TimeZone, Utc};
    let (_, store) = crate::server::context::require(domain::people::users::Role::Viewer).await?;
    let all_time = domain::SpendQuery::new(
        Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).single().unwrap_or_default(),
        Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).single().unwrap_or_default(),
    );
    let q = store::EventQuery { spend: all_time, task_id: Some(id.clone()), limit: MAX_TASK_CALLS + 1, offset: 0 };
    let mut events = store.list_events(&q).await.map_err(|e| {
        tracing::error!(error = %e, "task query failed");
        ServerFnError::new("The task could not be read; the server log has the details.")
    })?;
    let truncated = events.len() > MAX_TASK_CALLS as usize;
    events.truncate(MAX_TASK_CALLS as usize);
    let calls: Vec<CallRow> = events.into_iter().map(crate::components::calls::call_row).collect();
    let total = calls.iter().filter_map(|c| c.cost).fold(Nanos::ZERO, |a, b| a + b);
    let unpriced = calls.iter().filter(|c| c.cost.is_none()).count();
    // The cap alert for this task (a budget split by task keys its alerts by task id).
    let caps = domain::budgets::alert::AlertQuery {
        acked: None,
        budget_id: None,
        kind: Some(domain::budgets::alert::AlertKind::Cap),
        limit: 1000,
    };
    let stopped_by = store
        .list_alerts(&caps)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "task cap alerts query failed");
            ServerFnError::new("The task could not be read; the server log has the details.")
        })?
        .into_iter()
        .find(|a| a.split_value.as_deref() == Some(id.as_str()))
        .map(|a| StoppedBy { budget_id: a.budget_id, budget_name: a.budget_name, limit: a.limit, spent: a.spent });
    Ok(TaskData { id, calls, total, unpriced, truncated, stopped_by })
}

/// The task page.
#[component]
pub fn TaskPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let data = Resource::new(id, get_task);
    view! {
        <crate::components::feedback::Loaded
            data=data
            loading="Loading the task…"
            body=move |t| view! { <TaskBody task=t/> }.into_any()
        />
    }
}

#[component]
fn TaskBody(task: TaskData) -> impl IntoView {
    let loops = task.calls.len();
    let duration = match (task.calls.first(), task.calls.last()) {
        (Some(a), Some(b)) => {
            let secs = (b.at - a.at).num_seconds();
            if secs >= 3600 {
                format!("{}h {}m", secs / 3600, secs % 3600 / 60)
            } else {
                format!("{}m {}s", secs / 60, secs % 60)
            }
        }
        _ => "—".into(),
    };
    let max_input = task.calls.iter().map(|c| c.input_tokens).max().unwrap_or(0);
    let tags =
        task.calls.first().map(|c| c.tags.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" · "));
    let mut running = Nanos::ZERO;
    let rows = task
        .calls
        .iter()
        .enumerate()
        .map(|(i, c)| {
            running += c.cost.unwrap_or_default();
            let width = if max_input > 0 { c.input_tokens as f64 * 100.0 / max_input as f64 } else { 0.0 };
            let (input, how) = crate::components::calls::input_text(c);
            view! {
                <tr>
                    <td class="num">{i + 1}</td>
                    <td class="mono">{c.at.format("%b %d %H:%M:%S").to_string()}</td>
                    {crate::components::calls::model_cell(c)}
                    <td class="context" title=how>
                        <div class="bar"><div class="bar-fill" style=format!("width:{width:.1}%")></div></div>
                        <span>{input}</span>
                    </td>
                    <td class="num">{format::count(c.cached_tokens)}</td>
                    <td class="num">{format::count(c.output_tokens)}</td>
                    <td class="num">{c.cost.map(format::usd).unwrap_or_else(|| "unpriced".into())}</td>
                    <td class="num">{format::usd(running)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="page-head">
            <div>
                <h1>"Task " <span class="mono">{task.id.clone()}</span></h1>
                <p class="subtle">{tags}</p>
            </div>
            <a class="btn secondary" href="/explore">"← Explore"</a>
        </div>
        {task.stopped_by.clone().map(|b| {
            let link = format!("/budgets/{}", b.budget_id);
            // The call that reached the cap is the task's last: the check refused the next.
            let last = task.calls.last().map(|c| c.at.format("%b %d %H:%M:%S UTC").to_string()).unwrap_or_default();
            view! {
                <section class="card notice" data-testid="task-stopped">
                    <strong>"Stopped by a hard cap. "</strong>
                    "Call " {loops} " (" {last} ") took the task to " {format::usd(b.spent)} ", reaching "
                    <a href=link>{b.budget_name}</a> " (" {format::usd(b.limit)} "): the cap alert fired and the check refused its next call."
                </section>
            }
        })}
        <section class="kpis">
            <div class="kpi kpi-main">
                <div class="kpi-label">"Task cost"</div>
                <div class="kpi-value" data-testid="task-total" data-nanos=task.total.0.to_string()>
                    {format::usd(task.total)}
                </div>
                <div class="kpi-foot">{task.unpriced} " unpriced calls"</div>
            </div>
            <div class="kpi">
                <div class="kpi-label">"Loops (calls)"</div>
                <div class="kpi-value" data-testid="task-loops">{loops}</div>
                <div class="kpi-foot">{if task.truncated { "only the first calls are listed" } else { "every call is listed" }}</div>
            </div>
            <div class="kpi">
                <div class="kpi-label">"Duration"</div>
                <div class="kpi-value">{duration}</div>
            </div>
            <div class="kpi">
                <div class="kpi-label">"Largest context"</div>
                <div class="kpi-value">{format::count(max_input)}</div>
                <div class="kpi-foot">"input tokens in one call"</div>
            </div>
        </section>
        <section class="card">
            <table class="table calls">
                <thead>
                    <tr>
                        <th class="num">"#"</th>
                        <th>"Time (UTC)"</th>
                        <th>"Model"</th>
                        <th>"Input tokens (context)"</th>
                        <th class="num">"Cached"</th>
                        <th class="num">"Output"</th>
                        <th class="num">"Cost"</th>
                        <th class="num">"Running total"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}
