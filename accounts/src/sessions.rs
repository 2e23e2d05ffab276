//! A tower-sessions store on Bursar's database, so that sessions survive
//! restarts and are shared by every Bursar process on one Postgres.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use store::Store;
use tower_sessions::cookie::time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// The session key holding the signed-in person's id.
pub const USER_KEY: &str = "user_id";

/// Sessions kept in the `sessions` table.
#[derive(Clone)]
pub struct DbSessionStore(pub Arc<dyn Store>);

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

/// The person a session belongs to, if it is signed in and the person is
/// still active (looked up on every request, so deactivation takes effect at once).
pub async fn current_person(
    store: &Arc<dyn Store>,
    session: &tower_sessions::Session,
) -> Option<domain::users::Person> {
    let id: String = session.get(USER_KEY).await.ok().flatten()?;
    let user = store.find_user(&id).await.ok().flatten()?;
    crate::person(&user)
}
