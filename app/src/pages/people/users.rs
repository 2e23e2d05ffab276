//! The users page (admins only): everyone with their role, teams and
//! whether they may sign in; add a person; change a role or a lead's teams;
//! deactivate or reactivate (which takes effect on their next request).

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A person as the page lists them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub role: String,
    pub teams: Vec<String>,
    pub created: DateTime<Utc>,
    pub active: bool,
    /// The admin reading the page.
    pub me: bool,
}

/// Everyone, by email.
#[server(endpoint = "users")]
pub async fn get_users() -> Result<Vec<UserRow>, ServerFnError> {
    let (me, store) = crate::server::context::require(domain::people::users::Role::Admin).await?;
    let users = store.list_users().await.map_err(crate::server::errors::store_failed)?;
    Ok(users
        .into_iter()
        .map(|u| UserRow {
            me: u.id == me.id,
            id: u.id,
            email: u.email,
            role: u.role,
            teams: u.teams,
            created: u.created,
            active: u.deactivated.is_none(),
        })
        .collect())
}

/// Adds a person with a password they can change later.
#[server(endpoint = "add_user")]
pub async fn add_user(email: String, password: String, role: String, teams: String) -> Result<(), ServerFnError> {
    let (me, store) = crate::server::context::require(domain::people::users::Role::Admin).await?;
    let new = accounts::NewAccount { email: &email, password: &password, role: &role, teams: &teams };
    match accounts::create_account_by(&store, new, &me.email).await {
        Ok(p) => {
            tracing::info!(user = %p.email, role = %p.role.as_str(), by = %me.email, "person added");
            Ok(())
        }
        Err(accounts::AccountError::Store(e)) => Err(crate::server::errors::store_failed(e)),
        Err(e) => Err(ServerFnError::new(e.to_string())),
    }
}

/// Changes a person's role, teams and whether they may sign in.
#[server(endpoint = "change_user")]
pub async fn change_user(id: String, role: String, teams: String, active: Option<String>) -> Result<(), ServerFnError> {
    let (me, store) = crate::server::context::require(domain::people::users::Role::Admin).await?;
    let change = accounts::Change { role: &role, teams: &teams, active: active.is_some() };
    match accounts::change_account(&store, &me, &id, change, Utc::now()).await {
        Ok(()) => {
            tracing::info!(user = %id, role = %role, by = %me.email, "person changed");
            Ok(())
        }
        Err(accounts::AccountError::Store(e)) => Err(crate::server::errors::store_failed(e)),
        Err(e) => Err(ServerFnError::new(e.to_string())),
    }
}

/// Sets someone else's password; they are signed out everywhere.
#[server(endpoint = "reset_password")]
pub async fn reset_password(id: String, password: String) -> Result<(), ServerFnError> {
    let (me, store) = crate::server::context::require(domain::people::users::Role::Admin).await?;
    match accounts::reset_password(&store, &me, &id, &password, Utc::now()).await {
        Ok(()) => {
            tracing::info!(user = %id, by = %me.email, "password reset");
            Ok(())
        }
        Err(accounts::AccountError::Store(e)) => Err(crate::server::errors::store_failed(e)),
        Err(e) => Err(ServerFnError::new(e.to_string())),
    }
}

/// The users page.
#[component]
pub fn UsersPage() -> impl IntoView {
    let add = ServerAction::<AddUser>::new();
    let change = ServerAction::<ChangeUser>::new();
    let reset = ServerAction::<ResetPassword>::new();
    let users = Resource::new(move || (add.version().get(), change.version().get()), |_| get_users());
    let reset_note = move || match reset.value().get() {
        Some(Ok(())) => Some(("status", "Password reset; they are signed out everywhere.".to_string())),
        Some(Err(e)) => Some(("alert", crate::components::feedback::error_text(&e))),
        None => None,
    };
    let add_error =
        move || add.value().get().and_then(|r| r.err()).map(|e| crate::components::feedback::error_text(&e));
    let change_error =
        move || change.value().get().and_then(|r| r.err()).map(|e| crate::components::feedback::error_text(&e));
    let roles = || ["viewer", "lead", "admin"].map(|r| view! { <option value=r>{r}</option> }).collect_view();
    view! {
        <crate::components::feedback::PageHead title="Users">
            "Viewers read spend; leads also set budgets for their teams; admins manage everything. "
            "A deactivated person is signed out on their next request."
        </crate::components::feedback::PageHead>
        <section class="card form-card">
            <div class="card-head">
                <h2>"Add a person"</h2>
            </div>
            <ActionForm action=add attr:class="form" attr:data-testid="add-user">
                <div class="form-row">
                    <label>"Email" <input type="email" name="email" required=true/></label>
                    <label>"Password (at least 10 characters)" <input type="password" name="password" required=true minlength="10" autocomplete="new-password"/></label>
                </div>
                <div class="form-row">
                    <label>"Role" <select name="role">{roles()}</select></label>
                    <label>"Teams (for a lead, comma separated)" <input type="text" name="teams" placeholder="platform, data"/></label>
                </div>
                {move || add_error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <div class="form-actions">
                    <button type="submit" class="btn primary">"Add"</button>
                </div>
            </ActionForm>
        </section>
        {move || change_error().map(|e| view! { <div class="error-box" role="alert">{e}</div> })}
        {move || reset_note().map(|(role, text)| {
            let class = if role == "alert" { "error-box" } else { "notice" };
            view! { <div class=class role=role data-testid="reset-note">{text}</div> }
        })}
        <crate::components::feedback::Loaded
            data=users
            loading="Loading people…"
            body=move |rows| view! { <UserTable rows=rows change=change reset=reset/> }.into_any()
        />
    }
}

#[component]
fn UserTable(
    rows: Vec<UserRow>,
    change: ServerAction<ChangeUser>,
    reset: ServerAction<ResetPassword>,
) -> impl IntoView {
    let body = rows
        .into_iter()
        .map(|u| {
            let options = ["viewer", "lead", "admin"]
                .map(|r| {
                    let selected = r == u.role;
                    view! { <option value=r selected=selected>{r}</option> }
                })
                .collect_view();
            let (reset_id, reset_label) = (u.id.clone(), format!("New password for {}", u.email));
            view! {
                <tr data-testid="user-row" data-email=u.email.clone() class:inactive=!u.active>
                    <td class="name">{u.email.clone()} {u.me.then(|| view! { <span class="mine-badge">"you"</span> })}</td>
                    <td colspan="4">
                        <ActionForm action=change attr:class="row-form">
                            <input type="hidden" name="id" value=u.id.clone()/>
                            <select name="role" aria-label="Role">{options}</select>
                            <input type="text" name="teams" value=u.teams.join(", ") aria-label="Teams" placeholder="teams (leads)"/>
                            <label class="check">
                                <input type="checkbox" name="active" value="on" checked=u.active/>
                                "active"
                            </label>
                            <button type="submit" class="btn small">"Save"</button>
                        </ActionForm>
                    </td>
                    <td>
                        {(!u.me).then(|| view! {
                            <ActionForm action=reset attr:class="row-form">
                                <input type="hidden" name="id" value=reset_id/>
                                <input type="password" name="password" required=true minlength="10" autocomplete="new-password"
                                    aria-label=reset_label placeholder="new password"/>
                                <button type="submit" class="btn small" data-testid="reset-password">"Reset"</button>
                            </ActionForm>
                        })}
                    </td>
                    <td>{u.created.format("%b %d %Y").to_string()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card">
            <table class="table" data-testid="users">
                <thead>
                    <tr>
                        <th>"Email"</th>
                        <th colspan="4">"Role, teams, active"</th>
                        <th>"Reset password"</th>
                        <th>"Added"</th>
                    </tr>
                </thead>
                <tbody>{body}</tbody>
            </table>
        </section>
    }
}
