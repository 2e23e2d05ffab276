//! The `AccountStore` area of the store.

use crate::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// People, their sessions and sign-in attempts, setup tokens, and API keys.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Saves a new API key.
    async fn create_api_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError>;

    /// Finds a key by the SHA-256 of its text (revoked keys too).
    async fn find_api_key(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>, StoreError>;

    /// Records that a key was used.
    async fn touch_api_key(&self, id: &str, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// Every key, newest first (revoked ones too).
    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError>;

    /// Revokes a key; false when there is no such key or it was already revoked.
    async fn revoke_api_key(&self, id: &str, at: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Saves a new person; an email already used is a `Conflict`.
    async fn create_user(&self, user: &UserRecord) -> Result<(), StoreError>;

    /// Finds a person by id.
    async fn find_user(&self, id: &str) -> Result<Option<UserRecord>, StoreError>;

    /// Finds a person by (lower-cased) email.
    async fn find_user_by_email(&self, email: &str) -> Result<Option<UserRecord>, StoreError>;

    /// Everyone, by email.
    async fn list_users(&self) -> Result<Vec<UserRecord>, StoreError>;

    /// Changes a person's role, teams and whether they are deactivated; false when there is no such person.
    async fn update_user(
        &self,
        id: &str,
        role: &str,
        teams: &[String],
        deactivated: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError>;

    /// How many people there are.
    async fn count_users(&self) -> Result<i64, StoreError>;

    /// Creates or replaces a session's data.
    async fn save_session(&self, id: &str, data: &str, expiry: DateTime<Utc>) -> Result<(), StoreError>;

    /// A session's data and expiry, unless it has expired.
    async fn load_session(&self, id: &str, now: DateTime<Utc>) -> Result<Option<(String, DateTime<Utc>)>, StoreError>;

    /// Forgets a session.
    async fn delete_session(&self, id: &str) -> Result<(), StoreError>;

    /// Forgets every expired session; returns how many.
    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64, StoreError>;

    /// Records a sign-in attempt for an email from a client address (kept as a
    /// failure unless [`Store::clear_login_failures`] follows a success), and
    /// answers, counting it, the attempts since `since` for that email from
    /// that client and for that client over every email. Recording comes
    /// first, so parallel attempts cannot all pass one stale count.
    async fn record_login_attempt(
        &self,
        email: &str,
        client: &str,
        at: DateTime<Utc>,
        since: DateTime<Utc>,
    ) -> Result<(i64, i64), StoreError>;

    /// Forgets failed sign-ins recorded at or before `before`; returns how many.
    async fn prune_login_failures(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;

    /// Replaces a person's password hash and records when (sessions signed in
    /// before then stop working); false when there is no such person.
    async fn set_password(&self, id: &str, hash: &str, at: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Failed sign-ins for an email since a time.
    async fn count_login_failures(&self, email: &str, since: DateTime<Utc>) -> Result<i64, StoreError>;

    /// Forgets an email's failed sign-ins (after a success).
    async fn clear_login_failures(&self, email: &str) -> Result<(), StoreError>;

    /// Saves the hash of a one-time setup token.
    async fn create_setup_token(&self, token_hash: &str, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// Marks a setup token used; true only the first time, for a token that
    /// exists and was issued after `issued_after` (older tokens have expired).
    async fn use_setup_token(
        &self,
        token_hash: &str,
        at: DateTime<Utc>,
        issued_after: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}
