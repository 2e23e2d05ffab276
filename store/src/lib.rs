//! Bursar's persistence: one [`Store`] trait with a SQLite and a Postgres
//! backend, chosen by the database URL's scheme.
//!
//! Raw events are kept forever, keyed by the caller's id (the idempotency
//! key). Hourly and daily rollups are maintained in the same transaction as
//! the events they sum, so spend queries read a few thousand rollup rows
//! instead of millions of events and still agree with them exactly.

mod backend;
mod backend_budgets;
mod backend_governance;
mod backend_people;
mod backend_signals;
mod budgets;
mod error;
mod governance;
mod group;
mod impls;
mod mirror;
mod people;
mod postgres;
mod refusal;
mod rollup;
mod signals;
pub mod sql;
mod sqlite;

pub use budgets::{BudgetRecord, Counter, CounterChange, CounterKey, NewAlert};
pub use domain::budgets::alert::AlertQuery;
pub use error::StoreError;
pub use governance::{JobRecord, RepriceStep, UnpricedModel};
pub use people::{EventQuery, StoredEvent, UserRecord};
pub use postgres::PgStore;
pub use refusal::Refusal;
pub use signals::{ScenarioRecord, SignalRuleRecord};
pub use sqlite::SqliteStore;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::attribution::report::{build_report, SpendReport, SpendRow};
use domain::attribution::time::{plan_segments, Segment, Source};
use domain::{PricedEvent, SpendQuery};
use std::collections::HashSet;
use std::sync::Arc;

/// Which database a store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// What an insert did: the ids that were new. Every other id was already stored.
#[derive(Clone, Debug, Default)]
pub struct InsertOutcome {
    pub inserted: HashSet<String>,
    /// How the new events moved budget counters.
    pub budget_changes: Vec<CounterChange>,
    /// Alerts the new events fired (ids).
    pub alerts: Vec<i64>,
}

/// An API key as stored: never the key itself, only its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: String,
    pub name: String,
    /// Who made it: an email, `cli`, or empty for keys from before this was kept.
    pub created_by: String,
    pub prefix: String,
    pub key_hash: String,
    pub scopes: Vec<String>,
    pub created: DateTime<Utc>,
    pub last_used: Option<DateTime<Utc>>,
    pub revoked: Option<DateTime<Utc>>,
    /// The tag values the key may write and check; `None`: any.
    pub tag_limits: Option<domain::ingest::key_limits::TagLimits>,
}

/// Everything Bursar needs from a database: the sum of the area traits, so
/// that `connect` hands out one `Arc<dyn Store>` while each service can be
/// given only the area it uses. Implemented for every type that implements
/// them all.
pub trait Store:
    EventStore + BudgetStore + CatalogStore + AccountStore + SignalStore + AuditStore + SettingsStore + 'static
{
}

impl<
        T: EventStore + BudgetStore + CatalogStore + AccountStore + SignalStore + AuditStore + SettingsStore + 'static,
    > Store for T
{
}

/// Calls: storing them with their rollups and counters, reading them back, and spend over them.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Stores a batch of events and their rollups atomically. Events whose id
    /// is already stored are skipped, so a replay is counted once. Returns
    /// only after the transaction has committed.
    async fn insert_events(&self, events: &[PricedEvent]) -> Result<InsertOutcome, StoreError>;

    /// Sums for one segment of a query, grouped by the query's dimensions and,
    /// when it has a granularity, by native bucket (hour or day start).
    async fn spend_rows(&self, segment: Segment, q: &SpendQuery) -> Result<Vec<SpendRow>, StoreError>;

    /// How many events are stored.
    async fn count_events(&self) -> Result<i64, StoreError>;

    /// Lists calls: newest first, or a task's calls oldest first.
    async fn list_events(&self, q: &EventQuery) -> Result<Vec<StoredEvent>, StoreError>;

    /// Every tag key some stored call carries.
    async fn known_tag_keys(&self) -> Result<Vec<String>, StoreError>;

    /// The daily rollup rows of one UTC day, each with its tag set's id (for FOCUS exports).
    async fn day_sums(
        &self,
        day: chrono::NaiveDate,
    ) -> Result<Vec<(i64, domain::attribution::focus::DaySum)>, StoreError>;

    /// Answers a spend query from rollups, reading raw events only at the
    /// range's unaligned edges; a query on a key the rollups do not keep
    /// (such as `user`) is answered from the events.
    async fn spend(&self, q: &SpendQuery) -> Result<SpendReport, StoreError> {
        if !q.rollups_suffice() {
            return self.spend_from_events(q).await;
        }
        let allow_days = q.granularity != Some(domain::Granularity::Hour);
        let mut rows = Vec::new();
        for seg in plan_segments(q.from, q.to, allow_days) {
            rows.extend(self.spend_rows(seg, q).await?);
            domain::attribution::report::check_size(q, &rows).map_err(StoreError::Refused)?;
        }
        Ok(build_report(q, rows))
    }

    /// Answers a spend query from raw events alone: slow, and the reference
    /// the rollups are checked against.
    async fn spend_from_events(&self, q: &SpendQuery) -> Result<SpendReport, StoreError> {
        let seg = Segment { source: Source::Raw, from: q.from, to: q.to };
        let rows = self.spend_rows(seg, q).await?;
        domain::attribution::report::check_size(q, &rows).map_err(StoreError::Refused)?;
        Ok(build_report(q, rows))
    }
}

/// Budgets, their counters and caps, and the alerts they fire with their delivery.
#[async_trait]
pub trait BudgetStore: Send + Sync {
    /// Saves a new budget and counts the spend it already covers (this
    /// period and the last). The stored record is returned.
    async fn create_budget(&self, budget: &BudgetRecord, now: DateTime<Utc>) -> Result<BudgetRecord, StoreError>;

    /// Replaces a budget's definition and recounts its spend; `None` when there is no such budget.
    async fn update_budget(
        &self,
        budget: &BudgetRecord,
        now: DateTime<Utc>,
    ) -> Result<Option<BudgetRecord>, StoreError>;

    /// Deletes a budget and its counters; its alerts stay. False when there was none.
    async fn delete_budget(&self, id: &str) -> Result<bool, StoreError>;

    /// One budget.
    async fn get_budget(&self, id: &str) -> Result<Option<BudgetRecord>, StoreError>;

    /// Every budget, by name.
    async fn list_budgets(&self) -> Result<Vec<BudgetRecord>, StoreError>;

    /// A budget's counters for the period starting at `period_start`, biggest first.
    async fn budget_counters(
        &self,
        budget_id: &str,
        period_start: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Counter>, StoreError>;

    /// Committed spend of each counter named (zero for one that has none yet), read from the database.
    async fn cap_spent(&self, keys: &[CounterKey]) -> Result<Vec<domain::Nanos>, StoreError>;

    /// Records an alert unless an identical one exists; its id when new.
    async fn fire_alert(&self, alert: &NewAlert) -> Result<Option<i64>, StoreError>;

    /// Alerts, newest first.
    async fn list_alerts(&self, q: &AlertQuery) -> Result<Vec<domain::budgets::alert::Alert>, StoreError>;

    /// One alert.
    async fn get_alert(&self, id: i64) -> Result<Option<domain::budgets::alert::Alert>, StoreError>;

    /// Acknowledges an alert (the first acknowledgement stands); `None` when there is no such alert.
    async fn ack_alert(
        &self,
        id: i64,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<domain::budgets::alert::Alert>, StoreError>;

    /// An alert's delivery attempts, in order.
    async fn alert_attempts(&self, id: i64) -> Result<Vec<domain::budgets::alert::Attempt>, StoreError> {
        Ok(self.alerts_attempts(&[id]).await?.remove(&id).unwrap_or_default())
    }

    /// The delivery attempts of several alerts, by alert, each in order (one query).
    async fn alerts_attempts(
        &self,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, Vec<domain::budgets::alert::Attempt>>, StoreError>;

    /// Leases alerts due for delivery until `lease_until`, so that one process delivers each.
    async fn claim_alerts(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<domain::budgets::alert::Alert>, StoreError>;

    /// Records a delivery attempt (if one was made) and where delivery now
    /// stands, releasing the lease that ends at `lease_until`. False (and
    /// nothing recorded) when that lease has been lost to another process.
    async fn finish_attempt(
        &self,
        id: i64,
        lease_until: DateTime<Utc>,
        attempt: Option<&domain::budgets::alert::Attempt>,
        delivery: domain::budgets::alert::Delivery,
        next_attempt: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError>;

    /// Recounts every budget's current and previous period from the stored
    /// events and fires what the recounted spend has passed. Returns how many budgets.
    async fn recount_budgets(&self, now: DateTime<Utc>) -> Result<usize, StoreError>;
}

/// The price catalog, the taxonomy, tag sets, and the background jobs that rewrite stored calls.
#[async_trait]
pub trait CatalogStore: Send + Sync {
    /// Every model in the price catalog, by provider and name.
    async fn list_price_models(&self) -> Result<Vec<domain::pricing::catalog::ModelPrice>, StoreError>;

    /// Adds or replaces models in the price catalog (whole records); with
    /// `only_missing`, models already stored are left alone. Returns how many rows changed.
    async fn put_price_models(
        &self,
        models: &[domain::pricing::catalog::ModelPrice],
        at: DateTime<Utc>,
        only_missing: bool,
    ) -> Result<usize, StoreError>;

    /// The tag taxonomy (empty until an admin sets one).
    async fn taxonomy(&self) -> Result<domain::attribution::taxonomy::Taxonomy, StoreError>;

    /// Replaces the tag taxonomy (already validated).
    async fn put_taxonomy(
        &self,
        taxonomy: &domain::attribution::taxonomy::Taxonomy,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Records a new background job.
    async fn create_job(&self, job: &JobRecord) -> Result<(), StoreError>;

    /// Saves a job's state, progress and heartbeat.
    async fn update_job(&self, job: &JobRecord) -> Result<(), StoreError>;

    /// Recent jobs, newest first.
    async fn list_jobs(&self, limit: i64) -> Result<Vec<JobRecord>, StoreError>;

    /// One job.
    async fn get_job(&self, id: &str) -> Result<Option<JobRecord>, StoreError>;

    /// Marks running jobs whose heartbeat stopped before `before` as interrupted.
    async fn interrupt_stale_jobs(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;

    /// Every tag set some stored call carries, with its id.
    async fn tagsets_with_events(&self) -> Result<Vec<(i64, domain::TagSet)>, StoreError>;

    /// Moves every call carrying tag set `from` to the set `to`, moving their
    /// share of the rollups with them, in one transaction. Returns how many calls moved.
    async fn remap_tagset(&self, from: i64, to: &domain::TagSet) -> Result<i64, StoreError>;

    /// Stored calls without a cost, grouped by model name, most calls first.
    async fn unpriced_models(&self) -> Result<Vec<UnpricedModel>, StoreError>;

    /// Prices up to `limit` unpriced calls of `model` (after call `after_seq`)
    /// with the catalog, adding their cost to the rollups in the same transaction.
    async fn reprice(
        &self,
        model: &str,
        catalog: &domain::Catalog,
        after_seq: i64,
        limit: i64,
    ) -> Result<RepriceStep, StoreError>;
}

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

/// Signals read from the rollups, model tiers, signal rules and saved scenarios.
#[async_trait]
pub trait SignalStore: Send + Sync {
    /// Daily sums per model and per value of tag `key`, for the days `from..=to` (UTC), from the rollups.
    async fn signal_days(
        &self,
        key: &str,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<domain::signals::signal::DayRow>, StoreError>;

    /// Per-task sums of the calls made on the days `from..=to` (UTC), with
    /// each task's value of tag `key`; only tasks of `value` when given.
    async fn signal_tasks(
        &self,
        key: &str,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
        value: Option<&str>,
    ) -> Result<Vec<domain::signals::signal::TaskRow>, StoreError>;

    /// The tiers admins have set, by model.
    async fn model_tiers(&self) -> Result<Vec<(String, domain::signals::signal::ModelTier)>, StoreError>;

    /// Sets a model's tier, or with `None` returns it to the default from its price.
    async fn set_model_tier(
        &self,
        model: &str,
        tier: Option<domain::signals::signal::ModelTier>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Every signal alert rule, by name.
    async fn list_signal_rules(&self) -> Result<Vec<SignalRuleRecord>, StoreError>;

    /// Saves a signal alert rule (new or replacing the one with its id).
    async fn put_signal_rule(&self, rule: &SignalRuleRecord) -> Result<(), StoreError>;

    /// Deletes a signal alert rule; its alerts stay. False when there was none.
    async fn delete_signal_rule(&self, id: &str) -> Result<bool, StoreError>;

    /// Every saved scenario, by name.
    async fn list_scenarios(&self) -> Result<Vec<ScenarioRecord>, StoreError>;

    /// Saves a scenario (new or replacing the one with its id).
    async fn put_scenario(&self, scenario: &ScenarioRecord) -> Result<(), StoreError>;

    /// Deletes a scenario; false when there was none.
    async fn delete_scenario(&self, id: &str) -> Result<bool, StoreError>;
}

/// The audit log of who changed what.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends an entry to the audit log.
    async fn record_audit(&self, entry: &domain::people::audit::Entry) -> Result<(), StoreError>;

    /// Audit entries matching a filter, newest first.
    async fn list_audit(
        &self,
        q: &domain::people::audit::Query,
    ) -> Result<Vec<domain::people::audit::Entry>, StoreError>;
}

/// Settings and configuration history, and the database itself: its backend, migrations, pools, readiness and query plans.
#[async_trait]
pub trait SettingsStore: Send + Sync {
    /// Which backend this is.
    fn backend(&self) -> Backend;

    /// Applies pending migrations.
    async fn migrate(&self) -> Result<(), StoreError>;

    /// Each connection pool's (name, open connections, idle connections).
    fn pool_stats(&self) -> Vec<(&'static str, u32, usize)>;

    /// Whether the database answers and every migration this build knows is
    /// applied; the reason when not.
    async fn readiness(&self) -> Result<(), String>;

    /// The plan the database chooses for a built statement, one line per step
    /// (`EXPLAIN QUERY PLAN` on SQLite; `EXPLAIN` on Postgres, with sequential
    /// scans priced out so that any usable index shows). Tests of the hot
    /// queries use it to catch a lost index.
    async fn query_plan(&self, built: &sql::Built) -> Result<Vec<String>, StoreError>;

    /// The revisions of the price catalog and the taxonomy: each moves on every change.
    async fn config_revisions(&self) -> Result<(i64, i64), StoreError>;

    /// A run-time setting's JSON value, if one was saved.
    async fn setting(&self, name: &str) -> Result<Option<String>, StoreError>;

    /// Saves a run-time setting.
    async fn put_setting(&self, name: &str, value: &str, at: DateTime<Utc>) -> Result<(), StoreError>;
}

/// Opens the store a URL names: `sqlite:PATH` (created if missing) or
/// `postgres://…`. Does not migrate.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect(url).await?))
    } else {
        Err(StoreError::Config(format!(
            "database URL must start with sqlite: or postgres:// (got {:?})",
            url.split(':').next().unwrap_or("")
        )))
    }
}
