//! The one place server functions turn a failure into what a page shows:
//! a store failure is logged and answered in general words; a service's
//! refusal says what to fix (a refusal of the person's role or ownership
//! answers 403).

#[cfg(feature = "ssr")]
use leptos::prelude::*;

/// A store failure: logged with its detail, shown in general words.
#[cfg(feature = "ssr")]
pub fn store_failed(e: store::StoreError) -> ServerFnError {
    if let store::StoreError::Refused(f) = &e {
        return ServerFnError::new(f.to_string());
    }
    tracing::error!(error = %e, "a page's query failed");
    ServerFnError::new("The data could not be read; the server log has the details.")
}

/// A service's refusal as the form shows it; store failures are logged, not shown.
#[cfg(feature = "ssr")]
pub fn refused(e: store::Refusal) -> ServerFnError {
    match e {
        store::Refusal::Store(e) => {
            tracing::error!(error = %e, "a change failed");
            ServerFnError::new("The change could not be saved; the server log has the details.")
        }
        store::Refusal::Forbidden(m) => {
            if let Some(r) = use_context::<leptos_axum::ResponseOptions>() {
                r.set_status(http::StatusCode::FORBIDDEN);
            }
            ServerFnError::new(m)
        }
        other => ServerFnError::new(other.to_string()),
    }
}
