//! The API keys page (admins only): every key with its prefix, scopes,
//! creator, created date and last use; create one (its text is shown once);
//! revoke one. A revoked key is refused within a second on every process
//! (each trusts a key it found valid for at most that long).

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A key as the page lists it (never its hash or text).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeyRow {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<String>,
    /// `team=search, …`: the tag values the key may write; empty for any.
    pub tags: String,
    pub created_by: String,
    pub created: DateTime<Utc>,
    pub last_used: Option<DateTime<Utc>>,
    pub revoked: Option<DateTime<Utc>>,
}

/// Every key, newest first.
#[server(endpoint = "keys")]
pub async fn get_keys() -> Result<Vec<KeyRow>, ServerFnError> {
    let (_, store) = crate::server::context::require(domain::people::users::Role::Admin).await?;
    let keys = store.list_api_keys().await.map_err(crate::server::errors::store_failed)?;
    Ok(keys
        .into_iter()
        .map(|k| KeyRow {
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            scopes: k.scopes,
            tags: k.tag_limits.map(|l| l.text()).unwrap_or_default(),
            created_by: k.created_by,
            created: k.created,
            last_used: k.last_used,
            revoked: k.revoked,
        })
        .collect())
}

/// Creates a key; answers with its text, which is shown this once.
#[server(endpoint = "create_key")]
pub async fn create_key(
    name: String,
    ingest: Option<String>,
    read: Option<String>,
    admin: Option<String>,
    tags: Option<String>,
) -> Result<String, ServerFnError> {
    use accounts::keys::Scope;
    let (person, store) = crate::server::context::require(domain::people::users::Role::Admin).await?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(ServerFnError::new("name: must be 1-80 characters"));
    }
    let scopes: Vec<Scope> = [(ingest, Scope::Ingest), (read, Scope::Read), (admin, Scope::Admin)]
        .into_iter()
        .filter(|(on, _)| on.is_some())
        .map(|(_, s)| s)
        .collect();
    if scopes.is_empty() {
        return Err(ServerFnError::new("scopes: choose at least one of ingest, read, admin"));
    }
    let limits = domain::ingest::key_limits::TagLimits::parse(tags.as_deref().unwrap_or(""))
        .map_err(|r| ServerFnError::new(format!("tags: {r}")))?;
    let (record, secret) = accounts::keys::create_restricted(&store, name, &scopes, Some(limits), &person.email)
        .await
        .map_err(crate::server::errors::store_failed)?;
    tracing::info!(key = %record.prefix, by = %person.email, "API key created");
    Ok(secret.expose().to_string())
}

/// Revokes a key.
#[server(endpoint = "revoke_key")]
pub async fn revoke_key(id: String) -> Result<(), ServerFnError> {
    let (person, store) = crate::server::context::require(domain::people::users::Role::Admin).await?;
    if !accounts::keys::revoke_audited(&store, &id, &person.email, Utc::now())
        .await
        .map_err(crate::server::errors::store_failed)?
    {
        return Err(ServerFnError::new("There is no such key, or it is already revoked."));
    }
    tracing::info!(key = %id, by = %person.email, "API key revoked");
    Ok(())
}

/// The API keys page.
#[component]
pub fn KeysPage() -> impl IntoView {
    let create = ServerAction::<CreateKey>::new();
    let revoke = ServerAction::<RevokeKey>::new();
    let keys = Resource::new(move || (create.version().get(), revoke.version().get()), |_| get_keys());
    let created = move || create.value().get().and_then(|r| r.ok());
    let create_error =
        move || create.value().get().and_then(|r| r.err()).map(|e| crate::components::feedback::error_text(&e));
    view! {
        <crate::components::feedback::PageHead title="API keys">
            "Keys let services send calls (ingest), read spend (read) or manage budgets (admin). "
            "A revoked key is refused within a second."
        </crate::components::feedback::PageHead>
        <section class="card form-card">
            <div class="card-head">
                <h2>"New key"</h2>
            </div>
            <ActionForm action=create attr:class="form key-form" attr:data-testid="key-form">
                <div class="form-row">
                    <label>
                        "Name" <input type="text" name="name" required=true maxlength="80" placeholder="support-bot production"/>
                    </label>
                    <fieldset class="scopes">
                        <legend>"Scopes"</legend>
                        <label class="check"><input type="checkbox" name="ingest" value="on" checked=true/>"ingest"</label>
                        <label class="check"><input type="checkbox" name="read" value="on"/>"read"</label>
                        <label class="check"><input type="checkbox" name="admin" value="on"/>"admin"</label>
                    </fieldset>
                </div>
                <label>
                    "Restrict to tags (optional)"
                    <input type="text" name="tags" maxlength="2000" placeholder="team=search, team=search-infra" data-testid="key-tags"/>
                    <span class="hint">
                        "Calls this key sends, and checks it asks, must carry these values; others are refused, naming the tag. Leave empty for a key any team may use."
                    </span>
                </label>
                {move || create_error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <div class="form-actions">
                    <button type="submit" class="btn primary" data-testid="create-key">"Create key"</button>
                </div>
            </ActionForm>
            {move || {
                created()
                    .map(|text| {
                        view! {
                            <div class="secret" role="status">
                                <p>"Copy this key now: it is shown once and cannot be recovered."</p>
                                <code data-testid="new-key">{text}</code>
                            </div>
                        }
                    })
            }}
        </section>
        <crate::components::feedback::Loaded
            data=keys
            loading="Loading keys…"
            body=move |rows| view! { <KeyTable rows=rows revoke=revoke/> }.into_any()
        />
    }
}

#[component]
fn KeyTable(rows: Vec<KeyRow>, revoke: ServerAction<RevokeKey>) -> impl IntoView {
    let when =
        |t: Option<DateTime<Utc>>| t.map(|t| t.format("%b %d %Y %H:%M").to_string()).unwrap_or_else(|| "never".into());
    let body = rows
        .into_iter()
        .map(|k| {
            let state = match k.revoked {
                Some(t) => {
                    view! { <span class="badge over">{format!("revoked {}", t.format("%b %d"))}</span> }.into_any()
                }
                None => {
                    let id = k.id.clone();
                    view! {
                        <ActionForm action=revoke attr:class="inline-form">
                            <input type="hidden" name="id" value=id/>
                            <button type="submit" class="btn small danger" data-testid="revoke-key">"Revoke"</button>
                        </ActionForm>
                    }
                    .into_any()
                }
            };
            view! {
                <tr data-testid="key-row" data-prefix=k.prefix.clone()>
                    <td class="name">{k.name.clone()}</td>
                    <td class="mono">{k.prefix.clone()}</td>
                    <td>
                        {k.scopes.join(", ")}
                        {(!k.tags.is_empty()).then(|| view! { <div class="subtle">{format!("only {}", k.tags)}</div> })}
                    </td>
                    <td>{if k.created_by.is_empty() { "—".to_string() } else { k.created_by.clone() }}</td>
                    <td>{k.created.format("%b %d %Y").to_string()}</td>
                    <td>{when(k.last_used)}</td>
                    <td>{state}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card">
            <table class="table" data-testid="keys">
                <thead>
                    <tr>
                        <th>"Name"</th>
                        <th>"Prefix"</th>
                        <th>"Scopes"</th>
                        <th>"Created by"</th>
                        <th>"Created"</th>
                        <th>"Last used"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>{body}</tbody>
            </table>
        </section>
    }
}
