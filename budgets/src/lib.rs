//! Budgets as a service, shared by the REST API and the pages' server
//! functions: saving a budget (checked, and only within the teams a lead
//! answers for), deleting one, and showing where each stands.
//!
//! The pre-call cap check lives in [`caps`]; the forecast sweep in [`sweep`].

pub mod caps;
pub mod gather;
pub mod leases;
pub mod sweep;
pub mod webhook;

use chrono::{DateTime, Duration, DurationRound, Utc};
use domain::budgets::budget::{BudgetPeriod, BudgetSpec, SplitBy};
use domain::budgets::budget_view::{build, BudgetView, Parts, Reservations};
use domain::budgets::draft::{validate, Context, Draft};
use domain::budgets::window::{self, Tz};
use domain::people::users::{Person, Role};
use domain::{Dimension, FieldError, Filter, Granularity, Nanos, SpendQuery};
use rand::RngCore;
use std::sync::Arc;
use store::{BudgetRecord, Change, Store, StoreError};

/// Who is changing a budget.
#[derive(Clone, Debug)]
pub enum Actor {
    /// A signed-in person; leads may touch only budgets scoped to their teams.
    Person(Person),
    /// An API key with the admin scope (checked by the caller).
    Key { name: String },
}

impl Actor {
    /// How the actor is recorded: an email, or `key:<name>`.
    pub fn label(&self) -> String {
        match self {
            Actor::Person(p) => p.email.clone(),
            Actor::Key { name } => format!("key:{name}"),
        }
    }

    /// Whether the actor may own a budget with this scope.
    fn may_edit(&self, spec: &BudgetSpec) -> Result<(), String> {
        let Actor::Person(p) = self else { return Ok(()) };
        match (p.role, spec.scope_team()) {
            (Role::Admin, _) => Ok(()),
            (Role::Viewer, _) => Err("viewers cannot change budgets; ask a lead or an admin".into()),
            (Role::Lead, Some(team)) if p.can_edit_team(team) => Ok(()),
            (Role::Lead, Some(team)) => {
                Err(format!("you lead {}; a budget scoped to team={team} is not yours to set", p.teams.join(", ")))
            }
            (Role::Lead, None) => Err(format!(
                "a lead's budget must be scoped to one of their teams: add team={} to the scope",
                p.teams.first().map(String::as_str).unwrap_or("…")
            )),
        }
    }
}

/// Why a budget change was refused.
pub type BudgetError = store::Refusal;

/// Rewrites a scope's tag values as ingest stores them (the taxonomy's
/// aliases and folding); `None` when nothing changes.
pub type TagRules = Arc<dyn Fn(&domain::TagSet) -> Option<domain::TagSet> + Send + Sync>;

/// The budget service. Cheap to share: hold it in an `Arc`.
pub struct Budgets {
    budget_store: Arc<dyn store::BudgetStore>,
    event_store: Arc<dyn store::EventStore>,
    audit_store: Arc<dyn store::AuditStore>,
    default_zone: String,
    /// Applied to each saved scope, so a budget names tags as calls carry them.
    tag_rules: std::sync::RwLock<Option<TagRules>>,
    /// Which internal webhook destinations the operator allows.
    webhook_policy: std::sync::RwLock<domain::budgets::webhook_target::Policy>,
    /// Hard-capped budgets, for the pre-call check.
    pub caps: caps::CapIndex,
}

impl Budgets {
    /// A service over a store; new budgets get `default_zone` unless they name one.
    pub fn new(store: Arc<dyn Store>, default_zone: &str) -> Arc<Budgets> {
        Arc::new(Budgets {
            caps: caps::CapIndex::new(store.clone()),
            budget_store: store.clone(),
            event_store: store.clone(),
            audit_store: store,
            default_zone: default_zone.to_string(),
            tag_rules: Default::default(),
            webhook_policy: Default::default(),
        })
    }

    /// Sets which internal webhook destinations are allowed (`BURSAR_WEBHOOK_ALLOWED_HOSTS`).
    pub fn set_webhook_policy(&self, policy: domain::budgets::webhook_target::Policy) {
        *self.webhook_policy.write().unwrap_or_else(|p| p.into_inner()) = policy;
    }

    /// Sets the rules saved scopes are normalised with (the server wires in the taxonomy).
    pub fn set_tag_rules(&self, rules: TagRules) {
        *self.tag_rules.write().unwrap_or_else(|p| p.into_inner()) = Some(rules);
    }

    /// The zone new budgets are counted in.
    pub fn default_zone(&self) -> &str {
        &self.default_zone
    }

    /// Tag keys a scope or split may use: the conventional ones and every key seen on a call.
    pub async fn known_keys(&self) -> Result<Vec<String>, StoreError> {
        let mut keys: Vec<String> =
            domain::attribution::tags::CONVENTIONAL_KEYS.iter().map(|k| k.to_string()).collect();
        for k in self.event_store.known_tag_keys().await? {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        Ok(keys)
    }

    /// Checks a draft without saving it.
    pub async fn check(&self, draft: &Draft) -> Result<BudgetSpec, BudgetError> {
        let keys = self.known_keys().await?;
        let ctx =
            Context { known_keys: &keys, default_zone: &self.default_zone, zone_ok: &|z| window::zone(z).is_some() };
        let spec = validate(draft, &ctx).map_err(BudgetError::Invalid)?;
        if let Some(url) = &spec.webhook {
            let policy = self.webhook_policy.read().unwrap_or_else(|p| p.into_inner());
            policy
                .check(url)
                .map_err(|reason| BudgetError::Invalid(vec![FieldError { field: "webhook".into(), reason }]))?;
        }
        Ok(spec)
    }

    /// Creates (`id` None) or replaces a budget.
    pub async fn save(
        &self,
        actor: &Actor,
        id: Option<&str>,
        draft: &Draft,
        now: DateTime<Utc>,
    ) -> Result<BudgetRecord, BudgetError> {
        let mut spec = self.check(draft).await?;
        let rules = self.tag_rules.read().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(scope) = rules.and_then(|r| r(&spec.scope)) {
            // "team=Support" is stored as the taxonomy stores calls' tags ("support").
            spec.scope = scope;
        }
        if spec.owner.is_empty() {
            spec.owner = actor.label();
        }
        actor.may_edit(&spec).map_err(BudgetError::Forbidden)?;
        let existing = match id {
            None => None,
            Some(id) => Some(self.editable(actor, id).await?),
        };
        let (label, updating) = (actor.label(), existing.is_some());
        let before = existing.as_ref().and_then(|old| old.spec.for_audit());
        let rec = match existing {
            None => BudgetRecord {
                id: new_id(),
                spec,
                counted_from: now,
                created_by: label.clone(),
                created: now,
                updated: now,
            },
            Some(old) => BudgetRecord { spec, ..old },
        };
        let action = if updating { "budget.update" } else { "budget.create" };
        let change = Change { actor: &label, action, target: &rec.id, before, after: rec.spec.for_audit() };
        // A budget counted anew (created, or what it counts changed) that would need calls
        // before the retention edge is refused by the store, under its budget lock: the
        // refusal names the field.
        let field = |e: StoreError| match e {
            StoreError::Refused(f) => BudgetError::Invalid(vec![f]),
            e => BudgetError::Store(e),
        };
        let put = async {
            if !updating {
                return self.budget_store.create_budget(&rec, now).await.map_err(field);
            }
            let updated = self.budget_store.update_budget(&rec, now).await.map_err(field)?;
            updated.ok_or_else(|| BudgetError::NotFound(format!("no budget with id {:?}", rec.id)))
        };
        let saved = store::save_audited(&*self.audit_store, change, put).await;
        self.caps.invalidate();
        let saved = saved?;
        tracing::info!(budget = %saved.id, by = %actor.label(), "budget saved");
        Ok(saved)
    }

    /// Deletes a budget; its alerts stay in the history.
    pub async fn delete(&self, actor: &Actor, id: &str) -> Result<(), BudgetError> {
        let old = self.editable(actor, id).await?;
        let label = actor.label();
        let change =
            Change { actor: &label, action: "budget.delete", target: id, before: old.spec.for_audit(), after: None };
        let delete = async {
            match self.budget_store.delete_budget(id).await? {
                true => Ok(()),
                false => Err(BudgetError::NotFound(format!("no budget with id {id:?}"))),
            }
        };
        let deleted = store::save_audited(&*self.audit_store, change, delete).await;
        self.caps.invalidate();
        deleted?;
        tracing::info!(budget = %id, by = %actor.label(), "budget deleted");
        Ok(())
    }

    /// The stored budget `id`, if `actor` may change it.
    ///
    /// Errors: `NotFound` when there is no such budget, `Forbidden` naming who may change it.
    async fn editable(&self, actor: &Actor, id: &str) -> Result<BudgetRecord, BudgetError> {
        let old = self
            .budget_store
            .get_budget(id)
            .await?
            .ok_or_else(|| BudgetError::NotFound(format!("no budget with id {id:?}")))?;
        actor.may_edit(&old.spec).map_err(BudgetError::Forbidden)?;
        Ok(old)
    }

    /// Whether the actor may change this budget (for showing the edit buttons).
    pub fn may_edit(&self, actor: &Actor, spec: &BudgetSpec) -> bool {
        actor.may_edit(spec).is_ok()
    }

    /// One budget and where it stands, with its burn-down.
    pub async fn view(&self, id: &str, now: DateTime<Utc>) -> Result<Option<BudgetView>, StoreError> {
        match self.budget_store.get_budget(id).await? {
            Some(rec) => Ok(Some(self.standing(&rec, now, true).await?)),
            None => Ok(None),
        }
    }

    /// Every budget and where it stands (without burn-downs).
    pub async fn views(&self, now: DateTime<Utc>) -> Result<Vec<BudgetView>, StoreError> {
        let mut out = Vec::new();
        for rec in self.budget_store.list_budgets().await? {
            out.push(self.standing(&rec, now, false).await?);
        }
        Ok(out)
    }

    async fn standing(
        &self,
        rec: &BudgetRecord,
        now: DateTime<Utc>,
        with_burn: bool,
    ) -> Result<BudgetView, StoreError> {
        let zone = window::zone(&rec.spec.time_zone).unwrap_or(Tz::UTC);
        let w = window::window(rec.spec.period, zone, now);
        let counters: Vec<(String, Nanos, i64)> = self
            .budget_store
            .budget_counters(&rec.id, w.start, 50)
            .await?
            .into_iter()
            .map(|c| (c.split_value, c.spent, c.calls))
            .collect();
        let reservations = if rec.spec.hard_cap {
            let r = self.budget_store.reservation_summary(&rec.id, w.start, now).await?;
            Reservations { live: r.live, reserved: r.reserved, expired: r.expired }
        } else {
            Reservations::default()
        };
        let buckets = match (with_burn, counters.first()) {
            (true, Some((nearest, _, _))) => self.burn(&rec.spec, w.start, w.end, nearest, now).await?,
            _ => vec![],
        };
        Ok(build(Parts {
            id: &rec.id,
            spec: &rec.spec,
            created_by: &rec.created_by,
            created: rec.created,
            updated: rec.updated,
            period_start: w.start,
            period_end: w.end,
            counters: &counters,
            buckets: &buckets,
            reservations,
            now,
        }))
    }

    /// Spend per bucket this period of the budget's scope (and its nearest
    /// split value); from the retention edge when the calls before it are
    /// retired and the rollups cannot serve this scope.
    async fn burn(
        &self,
        spec: &BudgetSpec,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        nearest: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<(DateTime<Utc>, Nanos)>, StoreError> {
        let mut filters: Vec<Filter> = spec
            .scope
            .0
            .iter()
            .map(|(k, v)| Filter { dimension: Dimension::Tag(k.clone()), values: vec![Some(v.clone())] })
            .collect();
        match &spec.split_by {
            Some(SplitBy::Task) => return Ok(vec![]),
            Some(SplitBy::Tag(k)) => {
                filters.push(Filter { dimension: Dimension::Tag(k.clone()), values: vec![Some(nearest.to_string())] })
            }
            None => {}
        }
        let (from, granularity) = match spec.period {
            BudgetPeriod::Day => (start, Granularity::Hour),
            // On the hour, so the rollups can serve it once calls before it are retired.
            BudgetPeriod::Total => {
                let back = now - Duration::days(90);
                (start.max(back.duration_trunc(Duration::hours(1)).unwrap_or(back)), Granularity::Day)
            }
            _ => (start, Granularity::Day),
        };
        let to = end.min(now);
        if to <= from {
            return Ok(vec![]);
        }
        let q = SpendQuery { from, to, group_by: vec![], granularity: Some(granularity), filters };
        // Once calls before the retention edge are retired, a burn-down that reads each
        // call (a split by user, a period off the hour) starts at the edge.
        let (report, _) = self.event_store.spend_since_edge(&q).await?;
        Ok(report.series.unwrap_or_default().into_iter().map(|p| (p.start, p.totals.cost)).collect())
    }
}

/// A new budget id: `bgt_` and 12 hex digits.
fn new_id() -> String {
    let mut b = [0u8; 6];
    rand::thread_rng().fill_bytes(&mut b);
    format!("bgt_{}", hex::encode(b))
}
