//! The alert history: every alert that fired, newest first, with its
//! delivery attempts and who acknowledged it; filters by status, budget and
//! kind; leads and admins acknowledge from here.

use domain::budgets::alert::{Alert, AlertKind, Attempt, Delivery};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// An alert and its delivery attempts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertRow {
    pub alert: Alert,
    pub attempts: Vec<Attempt>,
    /// Whether the reader may acknowledge it (a lead of the budget's team, or an admin).
    pub ackable: bool,
}

/// The history page's data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertsData {
    pub rows: Vec<AlertRow>,
    /// Budgets for the filter: (id, name).
    pub budgets: Vec<(String, String)>,
}

/// Alerts matching the filters (`status`: open, acked or all; `kind`; `budget` id).
#[server(endpoint = "alerts")]
pub async fn get_alerts(status: String, kind: String, budget: String) -> Result<AlertsData, ServerFnError> {
    use domain::people::users::Role;
    let (person, svc) = crate::server::context::budgets(Role::Viewer).await?;
    let store = crate::server::context::store_context()?;
    let records = store.list_budgets().await.map_err(crate::server::errors::store_failed)?;
    let actor = budgets::Actor::Person(person.clone());
    let params = [("status", status), ("kind", kind), ("budget", budget), ("limit", "200".to_string())]
        .map(|(k, v)| (k.to_string(), v));
    let q = domain::budgets::alert::AlertQuery::from_params(&params).map_err(|e| ServerFnError::new(e.to_string()))?;
    let alerts = store.list_alerts(&q).await.map_err(crate::server::errors::store_failed)?;
    let mut rows = Vec::with_capacity(alerts.len());
    let admin = person.is_admin();
    let attempted: Vec<i64> = alerts.iter().filter(|a| a.attempts > 0).map(|a| a.id).collect();
    let mut attempts_by = store.alerts_attempts(&attempted).await.map_err(crate::server::errors::store_failed)?;
    for alert in alerts {
        let alert = if admin { alert } else { alert.for_reader() };
        let attempts = attempts_by.remove(&alert.id).unwrap_or_default();
        let ackable = person.role >= Role::Lead
            && match records.iter().find(|b| b.id == alert.budget_id) {
                Some(b) => svc.may_edit(&actor, &b.spec),
                // Signal rules watch the whole organisation: any lead may answer them.
                None => admin || alert.kind.from_rule(),
            };
        rows.push(AlertRow { alert, attempts, ackable });
    }
    let mut budgets: Vec<(String, String)> = records.into_iter().map(|b| (b.id, b.spec.name)).collect();
    let rules = crate::server::context::signals()?.rules().await.map_err(crate::server::errors::store_failed)?;
    budgets.extend(rules.into_iter().map(|r| (r.id, format!("Signal rule: {}", r.spec.name))));
    Ok(AlertsData { rows, budgets })
}

/// Acknowledges an alert as the signed-in lead (of the budget's team) or admin.
#[server(endpoint = "ack_alert")]
pub async fn ack_alert(id: i64) -> Result<(), ServerFnError> {
    let (person, svc) = crate::server::context::budgets(domain::people::users::Role::Lead).await?;
    let store = crate::server::context::store_context()?;
    let alert = store
        .get_alert(id)
        .await
        .map_err(crate::server::errors::store_failed)?
        .ok_or_else(|| ServerFnError::new("There is no such alert."))?;
    // A lead answers for their own teams' budgets; a deleted budget's alerts are an admin's.
    let budget = store.get_budget(&alert.budget_id).await.map_err(crate::server::errors::store_failed)?;
    let allowed = match &budget {
        Some(b) => svc.may_edit(&budgets::Actor::Person(person.clone()), &b.spec),
        None => person.is_admin() || alert.kind.from_rule(),
    };
    if !allowed {
        if let Some(r) = use_context::<leptos_axum::ResponseOptions>() {
            r.set_status(http::StatusCode::FORBIDDEN);
        }
        return Err(ServerFnError::new("Only a lead of the budget's team, or an admin, may acknowledge this alert."));
    }
    store.ack_alert(id, &person.email, chrono::Utc::now()).await.map_err(crate::server::errors::store_failed)?;
    Ok(())
}

/// The alert history page.
#[component]
pub fn AlertsPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &'static str| move || query.read().get(k).unwrap_or_default();
    let (status, kind, budget) = (get("status"), get("kind"), get("budget"));
    let ack = ServerAction::<AckAlert>::new();
    let data =
        Resource::new(move || (status(), kind(), budget(), ack.version().get()), |(s, k, b, _)| get_alerts(s, k, b));
    view! {
        <crate::components::feedback::PageHead title="Alerts">
            "Every threshold crossed, forecast breach and cap reached, once per budget, value and period; and every signal rule that started to hold, once per rule, value and window."
        </crate::components::feedback::PageHead>
        <crate::components::feedback::Loaded
            data=data
            loading="Loading alerts…"
            body=move |d| view! { <AlertsBody data=d status=status() kind=kind() budget=budget() ack=ack/> }.into_any()
        />
    }
}

#[component]
fn AlertsBody(
    data: AlertsData,
    status: String,
    kind: String,
    budget: String,
    ack: ServerAction<AckAlert>,
) -> impl IntoView {
    let option = |value: &str, label: &str, current: &str| {
        let selected = value == current;
        view! { <option value=value.to_string() selected=selected>{label.to_string()}</option> }
    };
    let statuses = [("", "Any status"), ("open", "Open"), ("acked", "Acknowledged")]
        .map(|(v, l)| option(v, l, &status))
        .collect_view();
    let kinds = std::iter::once(option("", "Any kind", &kind))
        .chain(AlertKind::ALL.iter().map(|k| option(k.as_str(), k.label(), &kind)))
        .collect_view();
    let budgets = std::iter::once(option("", "Any budget or rule", &budget))
        .chain(data.budgets.iter().map(|(id, name)| option(id, name, &budget)))
        .collect_view();
    let empty = data.rows.is_empty();
    let rows = data
        .rows
        .into_iter()
        .map(|row| {
            let exists = data.budgets.iter().any(|(id, _)| *id == row.alert.budget_id);
            view! { <AlertLine row=row exists=exists ack=ack/> }
        })
        .collect_view();
    view! {
        <form class="filters card" method="get" action="/alerts">
            <label>"Status" <select name="status" onchange=crate::csp::SUBMIT_ON_CHANGE>{statuses}</select></label>
            <label>"Kind" <select name="kind" onchange=crate::csp::SUBMIT_ON_CHANGE>{kinds}</select></label>
            <label>"Budget or rule" <select name="budget" onchange=crate::csp::SUBMIT_ON_CHANGE>{budgets}</select></label>
            <noscript>
                <button type="submit" class="btn">"Filter"</button>
            </noscript>
        </form>
        {if empty {
            view! { <div class="card empty-card"><p class="subtle">"No alerts match."</p></div> }.into_any()
        } else {
            view! {
                <section class="card">
                    <table class="table alerts-table" data-testid="alerts">
                        <thead>
                            <tr>
                                <th>"Fired"</th>
                                <th>"Budget or rule"</th>
                                <th>"Kind"</th>
                                <th class="num">"Spent"</th>
                                <th class="num">"Limit"</th>
                                <th>"Delivery"</th>
                                <th>"Acknowledged"</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                </section>
            }
                .into_any()
        }}
    }
}

#[component]
fn AlertLine(row: AlertRow, exists: bool, ack: ServerAction<AckAlert>) -> impl IntoView {
    let can_ack = row.ackable;
    let a = row.alert;
    let what = match a.kind {
        AlertKind::Threshold => format!("{}% crossed", a.threshold),
        AlertKind::Forecast => {
            format!("forecast {}", a.forecast.map(crate::components::format::usd).unwrap_or_default())
        }
        AlertKind::Cap => "cap reached".to_string(),
        AlertKind::Signal => "signal".to_string(),
        AlertKind::Anomaly => "spend anomaly".to_string(),
    };
    let from_rule = a.kind.from_rule();
    let budget_link = if from_rule { "/signals#rules".to_string() } else { format!("/budgets/{}", a.budget_id) };
    let exists = exists || from_rule;
    let message = a.message.clone().filter(|_| from_rule);
    let money = move |n: domain::Nanos| {
        if from_rule && n.0 == 0 {
            "—".to_string()
        } else {
            crate::components::format::usd(n)
        }
    };
    let period = if a.period_end.timestamp() - a.period_start.timestamp() > 100 * 366 * 86_400 {
        "no reset".to_string()
    } else {
        format!("period {} – {}", a.period_start.format("%b %d"), a.period_end.format("%b %d"))
    };
    let delivery_class = match a.delivery {
        Delivery::Delivered => "badge ok",
        Delivery::Failed => "badge over",
        Delivery::Pending => "badge warn",
        Delivery::None => "badge muted",
    };
    let delivery_label = match a.delivery {
        Delivery::None => "no webhook".to_string(),
        d => format!("{} · {} attempt{}", d.as_str(), a.attempts, if a.attempts == 1 { "" } else { "s" }),
    };
    let attempts = (!row.attempts.is_empty()).then(|| {
        let items = row
            .attempts
            .iter()
            .map(|t| {
                let outcome = match (&t.status, &t.error) {
                    (_, Some(e)) => e.clone(),
                    (Some(s), None) => format!("HTTP {s}"),
                    (None, None) => "sent".into(),
                };
                view! { <li>{format!("#{} {} · {} · {} ms", t.attempt, t.at.format("%b %d %H:%M:%S"), outcome, t.duration_ms)}</li> }
            })
            .collect_view();
        view! {
            <details>
                <summary>"attempts"</summary>
                <ul class="attempts">{items}</ul>
            </details>
        }
    });
    let acked = match (&a.acked_by, a.acked_at) {
        (Some(by), Some(at)) => {
            view! { <span class="subtle">{format!("{by}, {}", at.format("%b %d %H:%M"))}</span> }.into_any()
        }
        _ if can_ack => {
            let id = a.id;
            view! {
                <ActionForm action=ack attr:class="inline-form">
                    <input type="hidden" name="id" value=id/>
                    <button type="submit" class="btn small" data-testid="ack">"Acknowledge"</button>
                </ActionForm>
            }
            .into_any()
        }
        _ => view! { <span class="subtle">"open"</span> }.into_any(),
    };
    view! {
        <tr data-testid="alert-row" data-kind=a.kind.as_str() data-threshold=a.threshold>
            <td>{a.fired_at.format("%b %d %H:%M:%S").to_string()}</td>
            <td>
                {if exists {
                    view! { <a href=budget_link>{a.budget_name.clone()}</a> }.into_any()
                } else {
                    view! { <span title="this budget has been deleted">{a.budget_name.clone()} " (deleted)"</span> }
                        .into_any()
                }}
                {a.split_value.clone().map(|v| view! { <span class="subtle">" · " {v}</span> })}
                {message.map(|m| view! { <div class="hint alert-message" data-testid="alert-message">{m}</div> })}
            </td>
            <td>
                <span class=format!("badge {}", a.kind.as_str())>{what}</span>
                <div class="hint">{period}</div>
            </td>
            <td class="num">{money(a.spent)}</td>
            <td class="num">{money(a.limit)}</td>
            <td>
                <span class=delivery_class>{delivery_label}</span>
                {attempts}
            </td>
            <td>{acked}</td>
        </tr>
    }
}
