//! The sign-in page and the first admin's setup page, with their server
//! functions (signing out is in the user menu, `crate::components::user_menu`).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Signs in and goes to `next` (a path on this site) or the overview.
/// Failures are counted per email and client address (see
/// `accounts::sign_in`); a full hashing pool answers 429 with `Retry-After`.
#[server(endpoint = "login")]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), ServerFnError> {
    use accounts::AccountError;
    let store = crate::server::context::store_context()?;
    let session: tower_sessions::Session = leptos_axum::extract().await?;
    let client = use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<accounts::ClientAddress>().cloned())
        .unwrap_or_default();
    let now = chrono::Utc::now();
    match accounts::sign_in(&store, &email, &password, &client.0, now).await {
        Ok(person) => {
            let policy = use_context::<accounts::SessionPolicy>().unwrap_or_default();
            accounts::start_session(&session, &person.id, policy, now)
                .await
                .map_err(|e| ServerFnError::new(e.to_string()))?;
            leptos_axum::redirect(&safe_next(next.as_deref()));
            Ok(())
        }
        Err(e @ (AccountError::Throttled | AccountError::Busy(_))) => {
            if let Some(r) = use_context::<leptos_axum::ResponseOptions>() {
                r.set_status(http::StatusCode::TOO_MANY_REQUESTS);
                let wait = if matches!(e, AccountError::Busy(_)) { "1" } else { "900" };
                r.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from_static(wait));
            }
            Err(ServerFnError::new(e.to_string()))
        }
        Err(e @ (AccountError::BadCredentials | AccountError::Invalid { .. })) => {
            if let Some(r) = use_context::<leptos_axum::ResponseOptions>() {
                let bad = matches!(e, AccountError::Invalid { .. });
                r.set_status(if bad { http::StatusCode::BAD_REQUEST } else { http::StatusCode::UNAUTHORIZED });
            }
            Err(ServerFnError::new(e.to_string()))
        }
        Err(e) => {
            tracing::error!(error = %e, "sign-in failed");
            Err(ServerFnError::new("Signing in failed; the server log has the details."))
        }
    }
}

/// Creates the first admin with the one-time token printed at first start.
#[server(endpoint = "setup")]
pub async fn setup_admin(token: String, email: String, password: String) -> Result<(), ServerFnError> {
    let store = crate::server::context::store_context()?;
    let session: tower_sessions::Session = leptos_axum::extract().await?;
    let person = accounts::redeem_setup_token(&store, &token, &email, &password)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))?;
    let policy = use_context::<accounts::SessionPolicy>().unwrap_or_default();
    accounts::start_session(&session, &person.id, policy, chrono::Utc::now())
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Where to go after sign-in: `next` only when it is a path on this site,
/// judged after percent-decoding (so `/%09/evil.example` and `/%5cevil`
/// cannot turn into another host in a browser), with no control characters
/// (which would also make the redirect header invalid); else the overview.
pub fn safe_next(next: Option<&str>) -> String {
    let Some(n) = next else { return "/".to_string() };
    let decoded = percent_decode(n);
    let local = |p: &str| {
        p.starts_with('/')
            && !p.starts_with("//")
            && !p.contains('\\')
            && !p.chars().any(|c| c.is_control() || c.is_whitespace())
    };
    if local(n) && local(&decoded) && n.len() <= 2000 {
        n.to_string()
    } else {
        "/".to_string()
    }
}

/// `%XX` sequences decoded, repeatedly until nothing changes (a double
/// encoding must not hide a second slash); invalid UTF-8 becomes U+FFFD.
fn percent_decode(s: &str) -> String {
    let mut cur = s.to_string();
    for _ in 0..4 {
        let b = cur.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            match (b[i], b.get(i + 1).copied().and_then(hex), b.get(i + 2).copied().and_then(hex)) {
                (b'%', Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                }
                (c, _, _) => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        let next = String::from_utf8_lossy(&out).into_owned();
        if next == cur {
            break;
        }
        cur = next;
    }
    cur
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_paths_on_this_site_are_followed_after_decoding() {
        for ok in ["/", "/explore?group=team&period=7d", "/budgets/42/edit", "/explore?q=a%2Fb"] {
            assert_eq!(safe_next(Some(ok)), ok);
        }
        for bad in [
            "/%09/evil.example",
            "/\t/evil.example",
            "//evil.example",
            "/%2F/evil.example",
            "/%252F/evil.example",
            "/%5Cevil.example",
            "/\\evil.example",
            "https://evil.example",
            "/ok\r\nLocation: https://evil.example",
            "/%0d%0aSet-Cookie:x=1",
            "evil.example",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}

/// The centred card the sign-in and setup pages share.
#[component]
fn AuthCard(title: &'static str, lead: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="auth-wrap">
            <div class="auth-card">
                <div class="auth-brand">
                    <span class="brand-mark">"B"</span>
                    <span>"Bursar"</span>
                </div>
                <h1>{title}</h1>
                <p class="subtle">{lead}</p>
                {children()}
            </div>
        </div>
    }
}

/// The sign-in page.
#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = move || action.value().get().and_then(|r| r.err()).map(|e| crate::components::feedback::error_text(&e));
    view! {
        <AuthCard title="Sign in" lead="See where your organisation's LLM spend goes.">
                <ActionForm action=action attr:class="form">
                    <input type="hidden" name="next" value=next/>
                    <label>
                        "Email" <input type="email" name="email" autocomplete="username" required=true autofocus=true/>
                    </label>
                    <label>
                        "Password"
                        <input type="password" name="password" autocomplete="current-password" required=true/>
                    </label>
                    {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                    <button type="submit" class="btn primary" disabled=move || action.pending().get()>
                        {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
        </AuthCard>
    }
}

/// The first admin's page, reached through the link printed at first start.
#[component]
pub fn SetupPage() -> impl IntoView {
    let action = ServerAction::<SetupAdmin>::new();
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let error = move || action.value().get().and_then(|r| r.err()).map(|e| crate::components::feedback::error_text(&e));
    view! {
        <AuthCard title="Create the first admin" lead="This link works once. The admin can then invite everyone else.">
                <ActionForm action=action attr:class="form">
                    <input type="hidden" name="token" value=token/>
                    <label>"Email" <input type="email" name="email" autocomplete="username" required=true/></label>
                    <label>
                        "Password (at least 10 characters)"
                        <input type="password" name="password" autocomplete="new-password" required=true minlength="10"/>
                    </label>
                    {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                    <button type="submit" class="btn primary">"Create admin and sign in"</button>
                </ActionForm>
        </AuthCard>
    }
}
