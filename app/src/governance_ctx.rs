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
