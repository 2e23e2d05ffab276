//! The webhook field of the budget and signal-rule forms, with **Send test
//! alert** beside it: people check a webhook when they save it, not when the
//! first real alert is lost. The server posts a sample alert at once (the
//! same client real alerts use, so HTTPS is verified the same way) and the
//! receiver's status or the error shows under the field.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// How the test delivery went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestOutcome {
    pub delivered: bool,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

impl TestOutcome {
    fn sentence(&self) -> String {
        match (&self.error, self.status) {
            (None, Some(s)) => format!("Delivered: the receiver answered HTTP {s} in {} ms.", self.duration_ms),
            (None, None) => "Delivered.".into(),
            (Some(e), _) => format!("Not delivered: {e}."),
        }
    }
}

/// Posts a sample alert to `url` now. Leads and admins only; a URL that is
/// not absolute http(s) is refused with the reason.
#[server(endpoint = "send_test_alert")]
pub async fn send_test_alert(url: String) -> Result<TestOutcome, ServerFnError> {
    crate::server::context::require(domain::people::users::Role::Lead).await?;
    let sender = use_context::<std::sync::Arc<budgets::webhook::Sender>>()
        .ok_or_else(|| ServerFnError::new("webhooks are not configured"))?;
    let out = sender.send_test(&url, None).await.map_err(|e| ServerFnError::new(format!("webhook: {e}")))?;
    Ok(TestOutcome {
        delivered: out.error.is_none(),
        status: out.status,
        error: out.error,
        duration_ms: out.duration_ms,
    })
}

/// A labelled `webhook` input with **Send test alert**; `error` goes under it.
#[component]
pub fn WebhookField(
    #[prop(into)] label: String,
    #[prop(into)] value: String,
    #[prop(into)] hint: String,
    #[prop(optional, into)] error: Option<AnyView>,
) -> impl IntoView {
    let input: NodeRef<leptos::html::Input> = NodeRef::new();
    let test = ServerAction::<SendTestAlert>::new();
    let send = move |_| {
        if let Some(el) = input.get() {
            test.dispatch(SendTestAlert { url: el.value() });
        }
    };
    let result = move || {
        test.value().get().map(|r| match r {
            Ok(o) => {
                let class = if o.delivered { "test-result ok" } else { "test-result bad" };
                view! { <span class=class data-testid="webhook-test-result">{o.sentence()}</span> }
            }
            Err(e) => {
                let msg = crate::components::feedback::error_text(&e);
                view! { <span class="test-result bad" data-testid="webhook-test-result">{msg}</span> }
            }
        })
    };
    view! {
        <label>
            {label}
            <span class="webhook-row">
                <input type="url" name="webhook" value=value node_ref=input placeholder="https://hooks.slack.com/services/…"/>
                <button type="button" class="btn secondary small" on:click=send disabled=move || test.pending().get()
                    data-testid="webhook-test">
                    {move || if test.pending().get() { "Sending…" } else { "Send test alert" }}
                </button>
            </span>
            <span class="hint">{hint}</span>
            {result}
            {error}
        </label>
    }
}
