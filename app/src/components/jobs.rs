//! Background jobs (applying the taxonomy, repricing stored calls) as the
//! admin pages show them: the rows, the server functions that list each
//! kind, and the panel that polls while one runs.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A background job as the page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobRow {
    pub id: String,
    pub kind: String,
    pub state: String,
    pub done: i64,
    pub total: i64,
    pub detail: String,
    pub created_by: String,
    pub created: chrono::DateTime<chrono::Utc>,
}

/// Recent background jobs.
#[cfg(feature = "ssr")]
pub async fn job_rows(store: &std::sync::Arc<dyn store::Store>, kind: &str) -> Result<Vec<JobRow>, ServerFnError> {
    let jobs = store.list_jobs(20).await.map_err(crate::server::errors::store_failed)?;
    Ok(jobs
        .into_iter()
        .filter(|j| j.kind == kind)
        .take(5)
        .map(|j| JobRow {
            id: j.id,
            kind: j.kind,
            state: j.state,
            done: j.done,
            total: j.total,
            detail: j.detail,
            created_by: j.created_by,
            created: j.created,
        })
        .collect())
}

/// Recent apply jobs (the page polls this while one runs).
#[server(endpoint = "taxonomy_jobs")]
pub async fn get_taxonomy_jobs() -> Result<Vec<JobRow>, ServerFnError> {
    let (_, store) = crate::server::context::require(domain::people::users::Role::Admin).await?;
    job_rows(&store, "taxonomy.apply").await
}

/// Recent repricing jobs.
#[server(endpoint = "reprice_jobs")]
pub async fn get_reprice_jobs() -> Result<Vec<JobRow>, ServerFnError> {
    let (_, store) = crate::server::context::require(domain::people::users::Role::Admin).await?;
    job_rows(&store, "price.reprice").await
}

/// Recent jobs of a kind, polled every second while one runs.
#[component]
pub fn JobsPanel(
    kind: &'static str,
    trigger: Signal<usize>,
    /// Bumped each time a job this page saw running ends, so the page can reread what it changed.
    #[prop(optional)]
    finished: Option<RwSignal<usize>>,
) -> impl IntoView {
    let seen_running = StoredValue::new(Vec::<String>::new());
    let tick = RwSignal::new(0u64);
    let jobs = Resource::new(
        move || (trigger.get(), tick.get()),
        move |_| async move {
            match kind {
                "price.reprice" => get_reprice_jobs().await,
                _ => get_taxonomy_jobs().await,
            }
        },
    );
    // Poll while a job runs (in the browser only).
    Effect::new(move |_| {
        let list = jobs.get().and_then(|r| r.ok()).unwrap_or_default();
        let now_running: Vec<String> = list.iter().filter(|j| j.state == "running").map(|j| j.id.clone()).collect();
        let ended = seen_running.with_value(|before| before.iter().any(|id| !now_running.contains(id)));
        seen_running.set_value(now_running.clone());
        if let (true, Some(f)) = (ended, finished) {
            f.update(|n| *n += 1);
        }
        let running = !now_running.is_empty();
        if running {
            set_timeout(move || tick.update(|t| *t += 1), std::time::Duration::from_millis(700));
        }
    });
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let rows = jobs.await.unwrap_or_default();
                (!rows.is_empty()).then(|| {
                    let items = rows
                        .into_iter()
                        .map(|j| {
                            let pct = if j.total > 0 { (j.done * 100 / j.total).min(100) } else if j.state == "done" { 100 } else { 0 };
                            let class = format!("badge {}", match j.state.as_str() { "done" => "ok", "running" => "forecast", _ => "over" });
                            view! {
                                <li class="job" data-testid="job" data-state=j.state.clone()>
                                    <span class=class>{j.state.clone()}</span>
                                    <span class="job-bar"><span class="job-fill" style=format!("width:{pct}%")></span></span>
                                    <span class="job-count">{format!("{} / {}", j.done, j.total)}</span>
                                    <span class="job-detail">{j.detail.clone()}</span>
                                    <span class="subtle">{format!("{} · {}", j.created_by, j.created.format("%b %d %H:%M:%S UTC"))}</span>
                                </li>
                            }
                        })
                        .collect_view();
                    view! {
                        <section class="card">
                            <div class="card-head"><h2>"Background jobs"</h2></div>
                            <ul class="jobs">{items}</ul>
                        </section>
                    }
                })
            })}
        </Transition>
    }
}
