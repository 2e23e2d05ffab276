//! The wasm entry point: hydrates the server-rendered page. Nothing else
//! belongs here; the app lives in the `app` crate.

// The pages' view types are deep; release builds lay them out here too.
#![recursion_limit = "512"]

/// Called by the script the page shell emits.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
