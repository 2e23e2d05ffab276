//! The top bar's user menu: who is signed in, the admin pages' links, and
//! signing out; and `me`, the server function pages ask who is signed in.

use domain::people::users::Person;
use leptos::prelude::*;

/// Who is signed in, if anyone.
#[server(endpoint = "me")]
pub async fn get_me() -> Result<Option<Person>, ServerFnError> {
    let store = crate::server::context::store_context()?;
    let session: tower_sessions::Session = leptos_axum::extract().await?;
    Ok(accounts::current_person(&store, &session).await)
}

/// Signs out: forgets the session everywhere, and goes to the sign-in page.
#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), ServerFnError> {
    let session: tower_sessions::Session = leptos_axum::extract().await?;
    session.flush().await.map_err(|e| ServerFnError::new(e.to_string()))?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// The signed-in person's email, role and a sign-out button, for the top bar.
#[component]
pub fn UserMenu() -> impl IntoView {
    // Asked again on every navigation, so the menu follows signing in and out.
    let location = leptos_router::hooks::use_location();
    let me = Resource::new(move || location.pathname.get(), |_| get_me());
    let action = ServerAction::<Logout>::new();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(p)) => {
                        view! {
                            <div class="user-menu">
                                {p.is_admin()
                                    .then(|| {
                                        view! {
                                            <a class="menu-link" href="/users">"Users"</a>
                                            <a class="menu-link" href="/keys">"API keys"</a>
                                            <a class="menu-link" href="/taxonomy">"Taxonomy"</a>
                                            <a class="menu-link" href="/prices">"Prices"</a>
                                            <a class="menu-link" href="/audit">"Audit log"</a>
                                        }
                                    })}
                                <a class="user-email" href="/account" data-testid="user-email" title="Your account">
                                    {p.email.clone()}
                                </a>
                                <span class="role-badge">{p.role.as_str()}</span>
                                <ActionForm action=action>
                                    <button type="submit" class="btn ghost" data-testid="sign-out">
                                        "Sign out"
                                    </button>
                                </ActionForm>
                            </div>
                        }
                            .into_any()
                    }
                    _ => ().into_any(),
                }
            })}
        </Transition>
    }
}
