//! The catalog service as server functions reach it, and the one
//! conversion of its refusals into what a form shows.

#[cfg(feature = "ssr")]
use leptos::prelude::*;

/// The catalog service the server provides.
#[cfg(feature = "ssr")]
pub fn catalog_service() -> Result<std::sync::Arc<catalog::CatalogService>, ServerFnError> {
    use_context::<std::sync::Arc<catalog::CatalogService>>()
        .ok_or_else(|| ServerFnError::new("the catalog service (prices, taxonomy, OTLP mapping) is not configured"))
}
