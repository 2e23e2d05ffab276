//! The governance service as server functions reach it, and the one
//! conversion of its refusals into what a form shows.

#[cfg(feature = "ssr")]
use leptos::prelude::*;

/// The governance service the server provides.
#[cfg(feature = "ssr")]
pub fn governance() -> Result<std::sync::Arc<governance::Governance>, ServerFnError> {
    use_context::<std::sync::Arc<governance::Governance>>()
        .ok_or_else(|| ServerFnError::new("the governance service is not configured"))
}

/// A refused change as the form shows it; store failures are logged, not shown.
#[cfg(feature = "ssr")]
pub fn refused(e: governance::GovError) -> ServerFnError {
    match e {
        governance::GovError::Store(e) => {
            tracing::error!(error = %e, "governance change failed");
            ServerFnError::new("The change could not be saved; the server log has the details.")
        }
        other => ServerFnError::new(other.to_string()),
    }
}
