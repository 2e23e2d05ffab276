//! The budget pages' data and server functions: every budget and where it stands, one budget with its alerts, deleting one, and the budget service as server functions reach it, with the one conversion of store failures.

use domain::budgets::alert::Alert;
use domain::budgets::budget_view::BudgetView;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A budget on the list, and whether the reader may change it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BudgetRow {
    pub view: BudgetView,
    pub editable: bool,
}

/// The list page's data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BudgetsData {
    pub budgets: Vec<BudgetRow>,
    pub can_create: bool,
}

/// One budget's page data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BudgetPageData {
    pub view: BudgetView,
    pub editable: bool,
    pub alerts: Vec<Alert>,
}

/// Every budget and its standing.
#[server(endpoint = "budgets")]
pub async fn get_budgets() -> Result<BudgetsData, ServerFnError> {
    use domain::people::users::Role;
    let (person, svc) = crate::server::context::budgets(Role::Viewer).await?;
    let actor = budgets::Actor::Person(person.clone());
    let views = svc.views(chrono::Utc::now()).await.map_err(crate::server::errors::store_failed)?;
    let budgets = views
        .into_iter()
        .map(|v| {
            let editable = svc.may_edit(&actor, &v.spec);
            BudgetRow { editable, view: if editable { v } else { v.for_reader() } }
        })
        .collect();
    Ok(BudgetsData { budgets, can_create: person.role >= Role::Lead })
}

/// One budget, its standing and its alerts.
#[server(endpoint = "budget")]
pub async fn get_budget(id: String) -> Result<BudgetPageData, ServerFnError> {
    use domain::people::users::Role;
    let (person, svc) = crate::server::context::budgets(Role::Viewer).await?;
    let Some(view) = svc.view(&id, chrono::Utc::now()).await.map_err(crate::server::errors::store_failed)? else {
        if let Some(r) = use_context::<leptos_axum::ResponseOptions>() {
            r.set_status(http::StatusCode::NOT_FOUND);
        }
        return Err(ServerFnError::new("There is no such budget; it may have been deleted."));
    };
    let store = crate::server::context::store_context()?;
    let q = store::AlertQuery { budget_id: Some(id), limit: 20, ..Default::default() };
    let admin = person.is_admin();
    let alerts = store.list_alerts(&q).await.map_err(crate::server::errors::store_failed)?;
    let alerts = alerts.into_iter().map(|a| if admin { a } else { a.for_reader() }).collect();
    let editable = svc.may_edit(&budgets::Actor::Person(person), &view.spec);
    let view = if editable { view } else { view.for_reader() };
    Ok(BudgetPageData { view, editable, alerts })
}

/// Deletes a budget (its alerts stay) and goes back to the list.
#[server(endpoint = "delete_budget")]
pub async fn delete_budget(id: String) -> Result<(), ServerFnError> {
    let (person, svc) = crate::server::context::budgets(domain::people::users::Role::Lead).await?;
    match svc.delete(&budgets::Actor::Person(person), &id).await {
        Ok(()) => {
            leptos_axum::redirect("/budgets");
            Ok(())
        }
        Err(budgets::BudgetError::Store(e)) => Err(crate::server::errors::store_failed(e)),
        Err(e) => Err(ServerFnError::new(e.to_string())),
    }
}
