//! The saved scenarios beside the modeller: open, compare side by side, delete.

use super::*;

#[component]
pub(super) fn ScenarioList(
    saved: Vec<Saved>,
    catalog: StoredValue<Option<Catalog>>,
    compared: RwSignal<Vec<String>>,
    open: impl Fn(Saved) + Copy + Send + Sync + 'static,
    delete: ServerAction<DeleteScenario>,
    can_edit: bool,
) -> impl IntoView {
    let now = chrono::Utc::now();
    let priced: Vec<(Saved, Option<Estimate>)> = saved
        .into_iter()
        .map(|s| {
            let e = catalog.get_value().and_then(|c| estimate(&s.spec, &c, now).ok());
            (s, e)
        })
        .collect();
    let rows = priced
        .iter()
        .map(|(s, e)| {
            let (s, e) = (s.clone(), e.clone());
            let id = s.id.clone();
            let id2 = s.id.clone();
            let id3 = s.id.clone();
            let to_open = s.clone();
            view! {
                <tr data-testid="scenario-row">
                    <td><input type="checkbox" aria-label="compare" prop:checked=move || compared.get().contains(&id)
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            compared.update(|c| { c.retain(|x| *x != id2); if on { c.push(id2.clone()); } });
                        }/></td>
                    <td><strong>{s.name.clone()}</strong><div class="hint">{format!("by {} · {}", s.created_by, s.updated.format("%b %d %H:%M"))}</div></td>
                    <td>{s.workflow.clone().unwrap_or_else(|| "—".into())}</td>
                    <td class="num">{e.as_ref().map(|e| money(e.cost_per_task_mean)).unwrap_or_else(|| "—".into())}</td>
                    <td class="num">{e.as_ref().map(|e| format::usd(e.cost_per_month)).unwrap_or_else(|| "—".into())}</td>
                    <td>
                        <button type="button" class="btn small" on:click=move |_| open(to_open.clone())>"Open"</button>
                        {can_edit.then(|| view! {
                            <ActionForm action=delete attr:class="inline-form">
                                <input type="hidden" name="id" value=id3.clone()/>
                                <button type="submit" class="btn small">"Delete"</button>
                            </ActionForm>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    let empty = priced.is_empty();
    let comparison = move || {
        let chosen: Vec<(Saved, Option<Estimate>)> =
            priced.iter().filter(|(s, _)| compared.get().contains(&s.id)).cloned().collect();
        (chosen.len() >= 2).then(|| {
            let head = chosen.iter().map(|(s, _)| view! { <th class="num">{s.name.clone()}</th> }).collect_view();
            type Cell = fn(&Scenario, &Estimate) -> String;
            let lines: [(&str, Cell); 9] = [
                ("Tasks per day", |s, _| s.tasks_per_day.normalize().to_string()),
                ("Calls per task", |_, e| e.calls_per_task.normalize().to_string()),
                ("Calls per task (p95)", |_, e| e.p95_loops.to_string()),
                ("Models", |s, _| if s.escalation_rate.is_zero() { s.routine_model.clone() } else { format!("{} / {} {}%", s.routine_model, s.escalation_model, s.escalation_rate.normalize()) }),
                ("Cache hit (prefix)", |s, _| format!("{}%", s.cache_hit_rate.normalize())),
                ("Cost per task", |_, e| money(e.cost_per_task_mean)),
                ("Cost per task (p95)", |_, e| money(e.cost_per_task_p95)),
                ("Cost per month", |_, e| format::usd(e.cost_per_month)),
                ("Month 12", |_, e| e.months.last().map(|m| format::usd(m.cost)).unwrap_or_default()),
            ];
            let body = lines
                .iter()
                .map(|(label, f)| {
                    let cells = chosen
                        .iter()
                        .map(|(s, e)| view! { <td class="num">{e.as_ref().map(|e| f(&s.spec, e)).unwrap_or_else(|| "—".into())}</td> })
                        .collect_view();
                    view! { <tr><td>{*label}</td>{cells}</tr> }
                })
                .collect_view();
            view! {
                <table class="table compact" data-testid="comparison">
                    <thead><tr><th></th>{head}</tr></thead>
                    <tbody>{body}</tbody>
                </table>
            }
        })
    };
    view! {
        <section class="card" data-testid="scenarios">
            <div class="card-head"><h2>"Saved scenarios"</h2><span class="subtle">"tick two or more to compare side by side"</span></div>
            {if empty {
                view! { <p class="subtle">"No scenario is saved yet."</p> }.into_any()
            } else {
                view! {
                    <table class="table">
                        <thead><tr><th></th><th>"Scenario"</th><th>"Workflow"</th><th class="num">"Per task"</th><th class="num">"Per month"</th><th></th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                }.into_any()
            }}
            {comparison}
        </section>
    }
}
