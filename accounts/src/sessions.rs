//! A tower-sessions store on Bursar's database, so that sessions survive
//! restarts and are shared by every Bursar process on one Postgres.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use store::{AccountStore, Store};
use tower_sessions::cookie::time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// The session key holding the signed-in person's id.
pub const USER_KEY: &str = "user_id";
/// The session key holding when the person signed in (Unix microseconds).
const SIGNED_IN_KEY: &str = "signed_in_us";
/// The session key holding when the session ends however active it is (Unix microseconds).
const ENDS_KEY: &str = "ends_us";

/// How long a session may last from sign-in, however active: the absolute
/// lifetime beside the idle one (OWASP ASVS 3.3.1, 3.3.2). Provided to the
/// web app as context; `BURSAR_SESSION_MAX_DAYS` sets it (default 7 days).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionPolicy {
    pub absolute: chrono::Duration,
}

impl Default for SessionPolicy {
    fn default() -> SessionPolicy {
        SessionPolicy { absolute: chrono::Duration::days(7) }
    }
}

/// Signs a person in on this session: a fresh session id (so an id planted
/// before is worthless), who they are, and when the session must end.
pub async fn start_session(
    session: &tower_sessions::Session,
    person_id: &str,
    policy: SessionPolicy,
    now: DateTime<Utc>,
) -> Result<(), tower_sessions::session::Error> {
    session.cycle_id().await?;
    session.insert(USER_KEY, person_id).await?;
    restamp(session, policy, now).await
}

/// Marks this session as signed in `now` (after the person changed their own
/// password, so this session outlives the change while their others end).
pub async fn restamp(
    session: &tower_sessions::Session,
    policy: SessionPolicy,
    now: DateTime<Utc>,
) -> Result<(), tower_sessions::session::Error> {
    session.insert(SIGNED_IN_KEY, now.timestamp_micros()).await?;
    session.insert(ENDS_KEY, (now + policy.absolute).timestamp_micros()).await
}

/// Sessions kept in the `sessions` table; it needs only the account area.
#[derive(Clone)]
pub struct DbSessionStore(pub Arc<dyn AccountStore>);

impl std::fmt::Debug for DbSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbSessionStore")
    }
}

fn backend(e: store::StoreError) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn to_chrono(t: OffsetDateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(t.unix_timestamp(), t.nanosecond()).unwrap_or_default()
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Ids are 128 random bits; a clash is not a practical concern, but never overwrite one.
        while self.0.load_session(&record.id.to_string(), Utc::now()).await.map_err(backend)?.is_some() {
            record.id = Id::default();
        }
        self.save(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = serde_json::to_string(&record.data).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        self.0.save_session(&record.id.to_string(), &data, to_chrono(record.expiry_date)).await.map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some((data, expiry)) = self.0.load_session(&id.to_string(), Utc::now()).await.map_err(backend)? else {
            return Ok(None);
        };
        let data = serde_json::from_str(&data).map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = OffsetDateTime::from_unix_timestamp(expiry.timestamp())
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record { id: *id, data, expiry_date }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.0.delete_session(&id.to_string()).await.map_err(backend)
    }
}

/// The person a session belongs to, if it is signed in, within its absolute
/// lifetime, signed in after the person's password last changed, and the
/// person is still active (looked up on every request, so deactivation and
/// a password reset take effect at once). A session past any of these is
/// forgotten.
pub async fn current_person(
    store: &Arc<dyn Store>,
    session: &tower_sessions::Session,
) -> Option<domain::people::users::Person> {
    let id: String = session.get(USER_KEY).await.ok().flatten()?;
    let signed_in: i64 = session.get(SIGNED_IN_KEY).await.ok().flatten().unwrap_or(0);
    let ends: i64 = session.get(ENDS_KEY).await.ok().flatten().unwrap_or(0);
    let user = store.find_user(&id).await.ok().flatten()?;
    let stale = user.password_changed.is_some_and(|t| t.timestamp_micros() > signed_in);
    if Utc::now().timestamp_micros() >= ends || stale {
        let _ = session.flush().await;
        return None;
    }
    crate::person(&user)
}
