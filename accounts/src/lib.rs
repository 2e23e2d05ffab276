//! People and their sessions: creating accounts, signing in (with argon2
//! hashes and throttling kept in the database, so every process agrees),
//! the one-time setup token for the first admin, and a session store on
//! Bursar's own database. Also API keys: generating, hashing, scopes.

pub mod keys;
mod password;
mod sessions;

pub use password::{hash_password, verify_password};
pub use sessions::{current_person, DbSessionStore, USER_KEY};

use chrono::{DateTime, Duration, Utc};
use domain::users::{check_password, parse_teams, Email, Person, Role};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use store::{Store, StoreError, UserRecord};

/// Failed sign-ins allowed per email within [`THROTTLE_WINDOW`].
pub const MAX_FAILURES: i64 = 5;
/// The window failed sign-ins are counted over.
pub const THROTTLE_WINDOW: Duration = Duration::minutes(15);

/// Why an account operation failed, in words a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("email: an account with this email already exists")]
    EmailTaken,
    #[error("the email or password is wrong")]
    BadCredentials,
    #[error("too many failed sign-ins for this email; try again in 15 minutes")]
    Throttled,
    #[error("this setup link is invalid or has been used")]
    BadSetupToken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

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
        password_hash: hash_password(new.password),
        role: role.as_str().to_string(),
        teams: if role == Role::Lead { teams } else { Vec::new() },
        created: Utc::now(),
        deactivated: None,
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
    let entry = domain::audit::Entry::new(actor, "user.create", &p.email, None, after);
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
    let entry = domain::audit::Entry::new(
        &by.email,
        "user.update",
        &existing.email,
        Some(audit_view(&existing)),
        Some(audit_view(&after)),
    );
    store.record_audit(&entry).await?;
    Ok(())
}

/// Checks an email and password. Failures are counted per email in the
/// database; past [`MAX_FAILURES`] in [`THROTTLE_WINDOW`] even a right
/// password is refused until the window passes.
pub async fn sign_in(
    store: &Arc<dyn Store>,
    email: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<Person, AccountError> {
    let email = email.trim().to_lowercase();
    if store.count_login_failures(&email, now - THROTTLE_WINDOW).await? >= MAX_FAILURES {
        return Err(AccountError::Throttled);
    }
    let found = store.find_user_by_email(&email).await?;
    let ok = match &found {
        Some(u) => verify_password(password, &u.password_hash),
        // Spend the same time as a real check, so timing does not reveal which emails exist.
        None => {
            let _ = verify_password(password, password::DUMMY_HASH);
            false
        }
    };
    match found.as_ref().filter(|_| ok).and_then(person) {
        Some(p) => {
            store.clear_login_failures(&email).await?;
            Ok(p)
        }
        None => {
            store.record_login_failure(&email, now).await?;
            Err(AccountError::BadCredentials)
        }
    }
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
    if !store.use_setup_token(&token_hash(token.trim()), Utc::now()).await? {
        return Err(AccountError::BadSetupToken);
    }
    create_account_by(store, NewAccount { email, password, role: "admin", teams: "" }, "setup").await
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
