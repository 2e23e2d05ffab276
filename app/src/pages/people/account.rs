//! The account page: who you are, and changing your own password (which
//! signs you out on every other device; this one stays signed in).

use leptos::prelude::*;

/// Changes the signed-in person's password, given their current one.
#[server(endpoint = "change_password")]
pub async fn change_password(current: String, password: String, confirm: String) -> Result<(), ServerFnError> {
    use accounts::AccountError;
    let (person, store) = crate::server::context::require(domain::people::users::Role::Viewer).await?;
    if password != confirm {
        return Err(ServerFnError::new("confirm: the two new passwords differ"));
    }
    let now = chrono::Utc::now();
    match accounts::change_own_password(&store, &person, &current, &password, now).await {
        Ok(()) => {
            let session: tower_sessions::Session = leptos_axum::extract().await?;
            let policy = use_context::<accounts::SessionPolicy>().unwrap_or_default();
            accounts::restamp(&session, policy, now).await.map_err(|e| ServerFnError::new(e.to_string()))?;
            tracing::info!(user = %person.email, "password changed");
            Ok(())
        }
        Err(AccountError::Store(e)) => Err(crate::server::errors::store_failed(e)),
        Err(e @ AccountError::Busy(_)) => {
            if let Some(r) = use_context::<leptos_axum::ResponseOptions>() {
                r.set_status(http::StatusCode::TOO_MANY_REQUESTS);
                r.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from_static("1"));
            }
            Err(ServerFnError::new(e.to_string()))
        }
        Err(e) => Err(ServerFnError::new(e.to_string())),
    }
}

/// The account page.
#[component]
pub fn AccountPage() -> impl IntoView {
    let me = Resource::new(|| (), |_| crate::components::user_menu::get_me());
    let action = ServerAction::<ChangePassword>::new();
    let error = move || action.value().get().and_then(|r| r.err()).map(|e| crate::components::feedback::error_text(&e));
    let done = move || matches!(action.value().get(), Some(Ok(())));
    view! {
        <div class="page-head">
            <div>
                <h1>"Your account"</h1>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        me.await.ok().flatten().map(|p| {
                            let teams = if p.teams.is_empty() { String::new() } else { format!(" of {}", p.teams.join(", ")) };
                            view! { <p class="subtle">{format!("{}: {}{teams}.", p.email, p.role.as_str())}</p> }
                        })
                    })}
                </Transition>
            </div>
        </div>
        <section class="card form-card">
            <div class="card-head">
                <h2>"Change your password"</h2>
            </div>
            <ActionForm action=action attr:class="form" attr:data-testid="change-password">
                <label>
                    "Current password"
                    <input type="password" name="current" required=true autocomplete="current-password"/>
                </label>
                <div class="form-row">
                    <label>
                        "New password (at least 10 characters)"
                        <input type="password" name="password" required=true minlength="10" autocomplete="new-password"/>
                    </label>
                    <label>
                        "New password again"
                        <input type="password" name="confirm" required=true minlength="10" autocomplete="new-password"/>
                    </label>
                </div>
                {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                {move || done().then(|| view! {
                    <p class="subtle" role="status">"Changed. Every other device you were signed in on is now signed out."</p>
                })}
                <div class="form-actions">
                    <button type="submit" class="btn primary">"Change password"</button>
                </div>
            </ActionForm>
        </section>
    }
}
