//! People and their sessions: creating accounts, signing in (with argon2
//! hashes and throttling kept in the database, so every process agrees),
//! the one-time setup token for the first admin, and a session store on
//! Bursar's own database. Also API keys: generating, hashing, scopes.

pub mod keys;
mod password;
mod sessions;

pub use password::{hash_password, verify_password, Busy, HASH_QUEUE_WAIT};
pub use sessions::{current_person, restamp, start_session, DbSessionStore, SessionPolicy, USER_KEY};

use chrono::{DateTime, Duration, Utc};
use domain::people::users::{check_password, parse_teams, Email, Person, Role};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use store::{Store, StoreError, UserRecord};

/// Failed sign-ins allowed per email from one client address within [`THROTTLE_WINDOW`].
pub const MAX_FAILURES: i64 = 5;
/// Failed sign-ins allowed from one client address, over every email, within
/// [`THROTTLE_WINDOW`]: guessing across many accounts stops here, while the
/// per-email count is per address, so knowing an admin's email is not
/// enough to lock them out from everywhere.
pub const MAX_CLIENT_FAILURES: i64 = 20;
/// The window failed sign-ins are counted over; older rows are pruned.
pub const THROTTLE_WINDOW: Duration = Duration::minutes(15);
/// The longest email accepted anywhere (RFC 5321 §4.5.3.1.3: a path is at most 256 octets).
pub const MAX_EMAIL_LEN: usize = 254;
/// The longest password a sign-in reads; longer is refused before hashing.
pub const MAX_PASSWORD_LEN: usize = 1024;
/// How long a setup token works after it is issued.
pub const SETUP_TOKEN_TTL: Duration = Duration::hours(24);

/// Why an account operation failed, in words a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("email: an account with this email already exists")]
    EmailTaken,
    #[error("the email or password is wrong")]
    BadCredentials,
    #[error("too many failed sign-ins from this address; try again in 15 minutes")]
    Throttled,
    /// Every hashing slot is busy: answered 429 with `Retry-After`.
    #[error(transparent)]
    Busy(#[from] Busy),
    #[error("this setup link is invalid, has been used, or has expired (it works for 24 hours); restart Bursar to print a new one")]
    BadSetupToken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The client address a request came from, as the server judged it (the
/// peer address, or the last hop of `BURSAR_CLIENT_IP_HEADER` behind a
/// proxy); put in the request's extensions for sign-in throttling. Empty
/// when unknown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientAddress(pub String);

/// What a new account needs.
pub struct NewAccount<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub role: &'a str,
    pub teams: &'a str,
}

/// The person a stored record describes, unless deactivated.
pub fn person(u: &UserRecord) -> Option<Person> {
    if u.deactivated.is_some() {
        return None;
    }
    Some(Person { id: u.id.clone(), email: u.email.clone(), role: Role::parse(&u.role).ok()?, teams: u.teams.clone() })
}

/// Validates and creates an account.
pub async fn create_account(store: &Arc<dyn Store>, new: NewAccount<'_>) -> Result<Person, AccountError> {
    let email = Email::parse(new.email).map_err(|reason| AccountError::Invalid { field: "email", reason })?;
    let role = Role::parse(new.role).map_err(|reason| AccountError::Invalid { field: "role", reason })?;
    check_password(new.password).map_err(|reason| AccountError::Invalid { field: "password", reason })?;
    let teams = parse_teams(new.teams).map_err(|reason| AccountError::Invalid { field: "teams", reason })?;
    if role == Role::Lead && teams.is_empty() {
        return Err(AccountError::Invalid { field: "teams", reason: "a lead needs at least one team".into() });
    }
    let mut id = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut id);
    let record = UserRecord {
        id: hex::encode(id),
        email: email.as_str().to_string(),
        password_hash: password::hash(new.password).await?,
        role: role.as_str().to_string(),
        teams: if role == Role::Lead { teams } else { Vec::new() },
        created: Utc::now(),
        deactivated: None,
        password_changed: None,
    };
    match store.create_user(&record).await {
        Ok(()) => Ok(person(&record).ok_or(AccountError::BadCredentials)?),
        Err(StoreError::Conflict(_)) => Err(AccountError::EmailTaken),
        Err(e) => Err(e.into()),
    }
}

/// A person as the audit log records them (never a password hash).
pub fn audit_view(u: &UserRecord) -> serde_json::Value {
    serde_json::json!({ "email": u.email, "role": u.role, "teams": u.teams, "active": u.deactivated.is_none() })
}

/// Creates an account on someone's behalf (`actor`: an email or `cli`), and audits it.
pub async fn create_account_by(
    store: &Arc<dyn Store>,
    new: NewAccount<'_>,
    actor: &str,
) -> Result<Person, AccountError> {
    let p = create_account(store, new).await?;
    let after = store.find_user(&p.id).await?.map(|u| audit_view(&u));
    let entry = domain::people::audit::Entry::new(actor, "user.create", &p.email, None, after);
    store.record_audit(&entry).await?;
    Ok(p)
}

/// What an admin may change about a person.
pub struct Change<'a> {
    pub role: &'a str,
    pub teams: &'a str,
    pub active: bool,
}

/// Changes a person's role, teams and whether they may sign in. An admin
/// may not demote or deactivate themselves (someone must stay able to undo it).
pub async fn change_account(
    store: &Arc<dyn Store>,
    by: &Person,
    id: &str,
    change: Change<'_>,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let role = Role::parse(change.role).map_err(|reason| AccountError::Invalid { field: "role", reason })?;
    let teams = parse_teams(change.teams).map_err(|reason| AccountError::Invalid { field: "teams", reason })?;
    if role == Role::Lead && teams.is_empty() {
        return Err(AccountError::Invalid { field: "teams", reason: "a lead needs at least one team".into() });
    }
    if by.id == id && (role != Role::Admin || !change.active) {
        return Err(AccountError::Invalid {
            field: "role",
            reason: "you cannot demote or deactivate yourself; ask another admin".into(),
        });
    }
    let existing = store
        .find_user(id)
        .await?
        .ok_or(AccountError::Invalid { field: "id", reason: "there is no such person".into() })?;
    let deactivated = if change.active { None } else { existing.deactivated.or(Some(now)) };
    let teams = if role == Role::Lead { teams } else { Vec::new() };
    store.update_user(id, role.as_str(), &teams, deactivated).await?;
    let after = UserRecord { role: role.as_str().to_string(), teams, deactivated, ..existing.clone() };
    let entry = domain::people::audit::Entry::new(
        &by.email,
        "user.update",
        &existing.email,
        Some(audit_view(&existing)),
        Some(audit_view(&after)),
    );
    store.record_audit(&entry).await?;
    Ok(())
}

/// Checks an email and password from a client address (`""` when unknown).
///
/// Every attempt is recorded before it is counted; past [`MAX_FAILURES`] for
/// this email from this address, or [`MAX_CLIENT_FAILURES`] from this
/// address, within [`THROTTLE_WINDOW`], even a right password is refused
/// until the window passes. A success forgets the email's failures.
///
/// Errors: `Invalid` for an email over [`MAX_EMAIL_LEN`] or a password over
/// [`MAX_PASSWORD_LEN`] (nothing recorded), `Throttled`, `Busy` when the
/// hashing pool is full, `BadCredentials`.
pub async fn sign_in(
    store: &Arc<dyn Store>,
    email: &str,
    password: &str,
    client: &str,
    now: DateTime<Utc>,
) -> Result<Person, AccountError> {
    let email = email.trim().to_lowercase();
    if email.chars().count() > MAX_EMAIL_LEN {
        return Err(AccountError::Invalid { field: "email", reason: format!("at most {MAX_EMAIL_LEN} characters") });
    }
    if password.len() > MAX_PASSWORD_LEN {
        return Err(AccountError::Invalid { field: "password", reason: format!("at most {MAX_PASSWORD_LEN} bytes") });
    }
    let client: String = client.chars().take(64).collect();
    let (for_email, for_client) = store.record_login_attempt(&email, &client, now, now - THROTTLE_WINDOW).await?;
    if for_email > MAX_FAILURES || for_client > MAX_CLIENT_FAILURES {
        return Err(AccountError::Throttled);
    }
    let found = store.find_user_by_email(&email).await?;
    // An unknown email spends the same time as a real check, so timing does not reveal which emails exist.
    let hash = found.as_ref().map_or(password::DUMMY_HASH, |u| u.password_hash.as_str());
    let ok = password::verify(password, hash).await? && found.is_some();
    match found.as_ref().filter(|_| ok).and_then(person) {
        Some(p) => {
            store.clear_login_failures(&email).await?;
            Ok(p)
        }
        None => Err(AccountError::BadCredentials),
    }
}

/// Forgets failed sign-ins older than [`THROTTLE_WINDOW`]; returns how many.
pub async fn prune_login_failures(store: &Arc<dyn Store>, now: DateTime<Utc>) -> Result<u64, AccountError> {
    Ok(store.prune_login_failures(now - THROTTLE_WINDOW).await?)
}

/// A person changes their own password, giving the current one. Their other
/// sessions end (the caller re-stamps the session making the change); audited
/// as `user.password_change`.
///
/// Errors: `BadCredentials` when `current` is wrong, `Invalid` naming
/// `password` for a new password the rules refuse, `Busy`.
pub async fn change_own_password(
    store: &Arc<dyn Store>,
    by: &Person,
    current: &str,
    new: &str,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let user = store.find_user(&by.id).await?.ok_or(AccountError::BadCredentials)?;
    if current.len() > MAX_PASSWORD_LEN || !password::verify(current, &user.password_hash).await? {
        return Err(AccountError::Invalid { field: "current", reason: "is not your current password".into() });
    }
    set_password(store, &by.email, &user, new, "user.password_change", now).await
}

/// An admin sets someone else's password; that person is signed out
/// everywhere. Audited as `user.password_reset`.
///
/// Errors: `Invalid` naming `id` (no such person, or the admin themselves:
/// they change their own on the account page) or `password`, `Busy`.
pub async fn reset_password(
    store: &Arc<dyn Store>,
    by: &Person,
    id: &str,
    new: &str,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    if by.id == id {
        return Err(AccountError::Invalid {
            field: "id",
            reason: "change your own password on the Account page, with your current one".into(),
        });
    }
    let user = store
        .find_user(id)
        .await?
        .ok_or(AccountError::Invalid { field: "id", reason: "there is no such person".into() })?;
    set_password(store, &by.email, &user, new, "user.password_reset", now).await
}

async fn set_password(
    store: &Arc<dyn Store>,
    actor: &str,
    user: &UserRecord,
    new: &str,
    action: &str,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    check_password(new).map_err(|reason| AccountError::Invalid { field: "password", reason })?;
    if new.len() > MAX_PASSWORD_LEN {
        return Err(AccountError::Invalid { field: "password", reason: format!("at most {MAX_PASSWORD_LEN} bytes") });
    }
    let hash = password::hash(new).await?;
    store.set_password(&user.id, &hash, now).await?;
    // The audit says that it changed and when, never the hash.
    let note = serde_json::json!({ "password": "changed", "sessions": "signed out" });
    let entry = domain::people::audit::Entry::new(actor, action, &user.email, None, Some(note));
    store.record_audit(&entry).await?;
    Ok(())
}

/// Issues a one-time token for creating the first admin; returns the token.
pub async fn issue_setup_token(store: &Arc<dyn Store>) -> Result<String, AccountError> {
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    store.create_setup_token(&token_hash(&token), Utc::now()).await?;
    Ok(token)
}

/// Creates the first admin with a setup token; the token works once, and
/// only while there are no accounts.
pub async fn redeem_setup_token(
    store: &Arc<dyn Store>,
    token: &str,
    email: &str,
    password: &str,
) -> Result<Person, AccountError> {
    if store.count_users().await? > 0 {
        return Err(AccountError::BadSetupToken);
    }
    // Validate first, so a typo does not burn the token.
    Email::parse(email).map_err(|reason| AccountError::Invalid { field: "email", reason })?;
    check_password(password).map_err(|reason| AccountError::Invalid { field: "password", reason })?;
    let now = Utc::now();
    if !store.use_setup_token(&token_hash(token.trim()), now, now - SETUP_TOKEN_TTL).await? {
        return Err(AccountError::BadSetupToken);
    }
    create_account_by(store, NewAccount { email, password, role: "admin", teams: "" }, "setup").await
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
