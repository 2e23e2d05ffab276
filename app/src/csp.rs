//! The pages' Content-Security-Policy (CSP Level 3). Scripts run only from
//! this site, with this response's nonce (leptos_axum makes one per request
//! and puts it on every inline script Leptos writes: hydration, streamed
//! resources), or as one of the few inline form handlers below, allowed by
//! hash. `'wasm-unsafe-eval'` lets the hydration script compile the wasm.
//! Style attributes are allowed (ours, and ECharts' tooltips); no other
//! inline style, no plugins, no framing (`frame-ancestors 'none'`), and forms
//! post only here.

/// Inline handlers kept in the markup because they work before hydration;
/// each page uses these constants, and the policy allows exactly their hashes.
pub const SUBMIT_ON_CHANGE: &str = "this.form.submit()";
/// Submits through the form's own submit event (so the hydrated handler runs).
pub const REQUEST_SUBMIT_ON_CHANGE: &str = "this.form.requestSubmit()";
/// Asks before a budget is deleted.
pub const CONFIRM_BUDGET_DELETE: &str = "return confirm('Delete this budget? Its alerts stay in the history.')";

/// The header's value for a page whose inline scripts carry `nonce`;
/// `reload_port` adds the live-reload socket in development.
#[cfg(feature = "ssr")]
pub fn policy(nonce: &str, reload_port: Option<u32>) -> String {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let hashes: Vec<String> = [SUBMIT_ON_CHANGE, REQUEST_SUBMIT_ON_CHANGE, CONFIRM_BUDGET_DELETE]
        .iter()
        .map(|h| format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(h.as_bytes()))))
        .collect();
    let reload = reload_port.map(|p| format!(" ws://*:{p} wss://*:{p}")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval' 'unsafe-hashes' {}; \
         style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self'; connect-src 'self'{reload}; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        hashes.join(" ")
    )
}

/// Sets the header on this page's response, from the nonce leptos_axum provided.
#[cfg(feature = "ssr")]
pub fn set_header(options: &leptos::prelude::LeptosOptions) {
    use leptos::prelude::*;
    let (Some(nonce), Some(resp)) = (use_nonce(), use_context::<leptos_axum::ResponseOptions>()) else {
        return;
    };
    let reload =
        std::env::var("LEPTOS_WATCH").is_ok().then(|| options.reload_external_port.unwrap_or(options.reload_port));
    if let Ok(v) = http::HeaderValue::from_str(&policy(&nonce.to_string(), reload)) {
        resp.insert_header(http::header::CONTENT_SECURITY_POLICY, v);
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    #[test]
    fn the_handlers_hashes_are_the_ones_browsers_compute() {
        let p = super::policy("abc", None);
        // printf '%s' 'this.form.submit()' | openssl dgst -sha256 -binary | base64
        assert!(p.contains("'sha256-osjxnKEPL/pQJbFk1dKsF7PYFmTyMWGmVSiL9inhxJY='"), "{p}");
        assert!(p.contains("'sha256-UzlcSmbX0yUJT7hkhoYjXfKWsyloSDaNGC7i5v9WcAE='"), "{p}");
        assert!(p.contains("'sha256-WtfZvqZZM556/dFNDTjyA98uO7/iRaUSloSghXJjHNA='"), "{p}");
        assert!(p.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval'"), "{p}");
        assert!(p.contains("frame-ancestors 'none'"), "{p}");
    }
}
