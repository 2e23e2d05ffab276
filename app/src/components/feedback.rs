//! How a page says it is working or that something failed: the "Updating…"
//! flag, a server function's error in a person's words, and the error box.

use leptos::prelude::*;

/// "Updating…" for a page whose data follows `key`: set when the key
/// changes (effects run only in the browser), cleared by the caller when the
/// data arrives. `try_set`/`try_get`, because a replaced page's signal may
/// already be gone when a late write arrives.
pub fn pending_on<K: PartialEq + Clone + Send + Sync + 'static>(key: impl Fn() -> K + 'static) -> RwSignal<bool> {
    let pending = RwSignal::new(false);
    Effect::new(move |prev: Option<K>| {
        let now = key();
        if prev.is_some_and(|p| p != now) {
            pending.try_set(true);
        }
        now
    });
    pending
}

/// A server function's error as a person should read it: the server's own
/// words, without the transport's prefix.
pub fn error_text(e: &ServerFnError) -> String {
    match e {
        ServerFnError::ServerError(m) => m.clone(),
        other => other.to_string(),
    }
}

/// The alert a page shows when its data could not be read.
pub fn error_box(e: &ServerFnError) -> AnyView {
    view! { <div class="error-box" role="alert">{error_text(e)}</div> }.into_any()
}

/// A page's data as it arrives: `loading` until it does, then `body` of the
/// data, or the error box when it could not be read. `pending` (see
/// [`pending_on`]) is cleared when the data arrives.
#[component]
pub fn Loaded<T, F>(
    data: Resource<Result<T, ServerFnError>>,
    loading: &'static str,
    body: F,
    #[prop(optional)] pending: Option<RwSignal<bool>>,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    F: Fn(T) -> AnyView + Clone + Send + Sync + 'static,
{
    view! {
        <Transition fallback=move || view! { <div class="loading">{loading}</div> }>
            {move || {
                let body = body.clone();
                Suspend::new(async move {
                    let result = data.await;
                    if let Some(p) = pending {
                        p.try_set(false);
                    }
                    match result {
                        Ok(d) => body(d),
                        Err(e) => error_box(&e),
                    }
                })
            }}
        </Transition>
    }
}

/// A page's heading: its title and a line saying what the page is for
/// (`children`, shown under the title in the subtle style).
#[component]
pub fn PageHead(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="page-head">
            <div>
                <h1>{title}</h1>
                <p class="subtle">{children()}</p>
            </div>
        </div>
    }
}
