//! What server functions reach on the server: the store, the signed-in
//! person (checked for a role before anything is read or changed), and the
//! services the server provides (budgets, signals, the catalog).

use domain::people::users::Person;
use leptos::prelude::*;

/// The store the server provides to every page and server function.
pub fn store_context() -> Result<std::sync::Arc<dyn store::Store>, ServerFnError> {
    use_context::<std::sync::Arc<dyn store::Store>>().ok_or_else(|| ServerFnError::new("the store is not configured"))
}

/// The signed-in person and the store, or an error that says what to do.
/// Every server function that reads or changes data calls this first; the
/// server's page guard is a second line, not the only one.
pub async fn require(
    min: domain::people::users::Role,
) -> Result<(Person, std::sync::Arc<dyn store::Store>), ServerFnError> {
    use http::StatusCode;
    let store = store_context()?;
    let session: tower_sessions::Session = leptos_axum::extract().await?;
    let resp = use_context::<leptos_axum::ResponseOptions>();
    let Some(person) = accounts::current_person(&store, &session).await else {
        if let Some(r) = &resp {
            r.set_status(StatusCode::UNAUTHORIZED);
        }
        return Err(ServerFnError::new("Sign in first."));
    };
    if person.role < min {
        if let Some(r) = &resp {
            r.set_status(StatusCode::FORBIDDEN);
        }
        return Err(ServerFnError::new("Your role does not allow this."));
    }
    Ok((person, store))
}

/// The catalog service the server provides.
pub fn catalog_service() -> Result<std::sync::Arc<catalog::CatalogService>, ServerFnError> {
    use_context::<std::sync::Arc<catalog::CatalogService>>()
        .ok_or_else(|| ServerFnError::new("the catalog service (prices, taxonomy, OTLP mapping) is not configured"))
}

/// The budget service and the signed-in person (at least `min`), or an error that says what to do.
pub async fn budgets(
    min: domain::people::users::Role,
) -> Result<(domain::people::users::Person, std::sync::Arc<budgets::Budgets>), ServerFnError> {
    let (person, _) = require(min).await?;
    let svc = use_context::<std::sync::Arc<budgets::Budgets>>()
        .ok_or_else(|| ServerFnError::new("budgets are not configured"))?;
    Ok((person, svc))
}

/// The signals service the server provides.
pub fn signals() -> Result<std::sync::Arc<signals::Signals>, ServerFnError> {
    use_context::<std::sync::Arc<signals::Signals>>().ok_or_else(|| ServerFnError::new("signals are not configured"))
}

/// The invoice service (bills, mapping rules, reconcile) the server provides.
pub fn invoices() -> Result<std::sync::Arc<catalog::invoice::Invoices>, ServerFnError> {
    use_context::<std::sync::Arc<catalog::invoice::Invoices>>()
        .ok_or_else(|| ServerFnError::new("bills are not configured"))
}
