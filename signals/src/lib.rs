//! Early warnings and the cost model as a service, shared by the REST API,
//! the pages and the background sweep:
//!
//! - signal reports per tag key (cached for a minute per process: they read
//!   a range of daily rollups and the task rollup, summed per value and day;
//!   the task sums of settled days are kept for an hour, see `task_days`);
//! - model tiers (premium or routine), set by admins or defaulted from price;
//! - signal alert rules, judged each day by [`Signals::evaluate`], which fires
//!   through the budgets' alert history and webhook delivery;
//! - saved scenarios, and what a workflow really did for model-vs-actual.
//!
//! Every change is written to the audit log.

mod rules;
mod scenarios;
mod task_days;

use chrono::{Duration, NaiveDate};
use domain::signals::anomaly::AnomalyParams;
use domain::signals::signal::{default_tier, Daily, ModelTier};
use domain::signals::signal_rule::Condition;
use domain::signals::signals_report::SignalsReport;
use domain::Catalog;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use store::{Store, StoreError};

pub use rules::{parse_condition, LOOKBACK_DAYS};

/// Why a signals change was refused.
pub type SigError = store::Refusal;

/// A model's tier as the prices page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierRow {
    pub model: String,
    pub provider: String,
    pub tier: ModelTier,
    /// What its price alone would make it.
    pub default: ModelTier,
    /// Whether an admin set it.
    pub set: bool,
}

/// How long a report is served from memory.
const REPORT_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// Reports kept in memory, by (tag key, days, last day), with when they were built.
type ReportCache = HashMap<(String, u32, NaiveDate), (Instant, Arc<SignalsReport>)>;

/// The service. Cheap to share: hold it in an `Arc`.
pub struct Signals {
    signal_store: Arc<dyn store::SignalStore>,
    budget_store: Arc<dyn store::BudgetStore>,
    catalog_store: Arc<dyn store::CatalogStore>,
    audit_store: Arc<dyn store::AuditStore>,
    reports: Mutex<ReportCache>,
    /// Settled days' task sums, so a report reads only the days that may still change.
    task_days: task_days::DayCache,
    /// Which internal webhook destinations the operator allows.
    webhook_policy: std::sync::RwLock<domain::budgets::webhook_target::Policy>,
}

fn new_id(prefix: &str) -> String {
    use rand::RngCore;
    let mut b = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut b);
    format!("{prefix}_{}", hex::encode(b))
}

impl Signals {
    pub fn new(store: Arc<dyn Store>) -> Arc<Signals> {
        Arc::new(Signals {
            signal_store: store.clone(),
            budget_store: store.clone(),
            catalog_store: store.clone(),
            audit_store: store,
            reports: Mutex::new(HashMap::new()),
            task_days: Default::default(),
            webhook_policy: Default::default(),
        })
    }

    /// Sets which internal webhook destinations are allowed (`BURSAR_WEBHOOK_ALLOWED_HOSTS`).
    pub fn set_webhook_policy(&self, policy: domain::budgets::webhook_target::Policy) {
        *self.webhook_policy.write().unwrap_or_else(|p| p.into_inner()) = policy;
    }

    /// Whether `person` may change (save over, or delete) the signal rule
    /// `id`, by the rule budgets follow: an admin any rule; a lead a rule they
    /// made, or one scoped to `team=` one of their teams. A rule not made yet
    /// (`id` unknown) is theirs.
    ///
    /// Errors: `Forbidden` naming who may change it.
    pub async fn may_change_rule(&self, person: &domain::people::users::Person, id: &str) -> Result<(), SigError> {
        if person.is_admin() {
            return Ok(());
        }
        let Some(rule) = self.signal_store.list_signal_rules().await?.into_iter().find(|r| r.id == id) else {
            return Ok(());
        };
        let team = (rule.spec.key == "team").then_some(rule.spec.value.as_deref()).flatten();
        if rule.created_by == person.email || team.is_some_and(|t| person.can_edit_team(t)) {
            return Ok(());
        }
        Err(SigError::Forbidden(format!(
            "the rule {:?} was made by {} and is not scoped to one of your teams; ask them or an admin",
            rule.spec.name, rule.created_by
        )))
    }

    /// Whether `person` may change the scenario `id`: an admin any; a lead
    /// their own. A scenario not made yet is theirs.
    ///
    /// Errors: `Forbidden` naming who made it.
    pub async fn may_change_scenario(&self, person: &domain::people::users::Person, id: &str) -> Result<(), SigError> {
        if person.is_admin() {
            return Ok(());
        }
        match self.signal_store.list_scenarios().await?.into_iter().find(|s| s.id == id) {
            Some(s) if s.created_by != person.email => Err(SigError::Forbidden(format!(
                "the scenario {:?} was made by {}; ask them or an admin",
                s.name, s.created_by
            ))),
            _ => Ok(()),
        }
    }

    /// Refuses a rule's webhook that points inside the network (400 naming `webhook`).
    fn check_webhook(&self, url: Option<&str>) -> Result<(), SigError> {
        let Some(url) = url else { return Ok(()) };
        let policy = self.webhook_policy.read().unwrap_or_else(|p| p.into_inner());
        policy.check(url).map(|_| ()).map_err(|reason| SigError::field("webhook", reason))
    }

    /// The catalog as stored.
    pub async fn catalog(&self) -> Result<Catalog, StoreError> {
        Catalog::new(self.catalog_store.list_price_models().await?, "database".into())
            .map_err(|e| StoreError::Config(format!("the price catalog is unreadable: {e}")))
    }

    /// Every catalog model's tier.
    pub async fn tiers(&self) -> Result<Vec<TierRow>, StoreError> {
        let models = self.catalog_store.list_price_models().await?;
        self.tiers_of(&models).await
    }

    /// The tiers of these catalog models (admins' choices, else the default from price).
    async fn tiers_of(&self, models: &[domain::pricing::catalog::ModelPrice]) -> Result<Vec<TierRow>, StoreError> {
        let set: HashMap<String, ModelTier> = self.signal_store.model_tiers().await?.into_iter().collect();
        Ok(models
            .iter()
            .map(|m| {
                let default = default_tier(m);
                let chosen = set.get(&m.model).copied();
                TierRow {
                    model: m.model.clone(),
                    provider: m.provider.clone(),
                    tier: chosen.unwrap_or(default),
                    default,
                    set: chosen.is_some(),
                }
            })
            .collect())
    }

    /// Sets a model's tier (`None`: back to its default), audited.
    pub async fn set_tier(&self, actor: &str, model: &str, tier: Option<ModelTier>) -> Result<(), SigError> {
        let before = self.tiers().await?.into_iter().find(|t| t.model == model);
        let Some(before) = before else {
            return Err(SigError::NotFound(format!("no model {model:?} in the price catalog")));
        };
        let after = tier.unwrap_or(before.default);
        let change = store::Change {
            actor,
            action: "price.tier",
            target: model,
            before: Some(serde_json::json!({"tier": before.tier, "set": before.set})),
            after: Some(serde_json::json!({"tier": after, "set": tier.is_some()})),
        };
        store::save_audited(
            &*self.audit_store,
            change,
            self.signal_store.set_model_tier(model, tier, chrono::Utc::now()),
        )
        .await?;
        self.reports.lock().unwrap_or_else(|p| p.into_inner()).clear();
        Ok(())
    }

    /// Whether each sent model name is premium, as a closure over the catalog and tiers.
    async fn premium(&self) -> Result<(impl Fn(&str) -> bool, Vec<String>), StoreError> {
        // One read of the catalog serves both the name lookup and the tiers.
        let models = self.catalog_store.list_price_models().await?;
        let tiers: HashMap<String, ModelTier> =
            self.tiers_of(&models).await?.into_iter().map(|t| (t.model.clone(), t.tier)).collect();
        let catalog = Catalog::new(models, "database".into())
            .map_err(|e| StoreError::Config(format!("the price catalog is unreadable: {e}")))?;
        let premium_names: Vec<String> =
            tiers.iter().filter(|(_, t)| **t == ModelTier::Premium).map(|(m, _)| m.clone()).collect();
        let f = move |sent: &str| {
            catalog.find(sent).is_some_and(|m| tiers.get(&m.model).copied() == Some(ModelTier::Premium))
        };
        let mut names = premium_names;
        names.sort();
        Ok((f, names))
    }

    /// Daily sums of tag `key` over `from..=to`, with per-task sums when `tasks`.
    pub async fn daily(
        &self,
        key: &str,
        from: NaiveDate,
        to: NaiveDate,
        tasks: bool,
        value: Option<&str>,
    ) -> Result<(Daily, Vec<String>), StoreError> {
        let (premium, names) = self.premium().await?;
        let mut days = self.signal_store.signal_days(key, from, to).await?;
        if let Some(v) = value {
            days.retain(|d| d.value.as_deref() == Some(v));
        }
        let task_rows = if tasks {
            let today = chrono::Utc::now().date_naive();
            self.task_days.read(&*self.signal_store, key, (from, to), value, today).await?
        } else {
            Default::default()
        };
        Ok((Daily::build(&days, &task_rows, &premium), names))
    }

    /// The Signals page for tag `key` over the `days` days to `today` (served from memory for a minute).
    pub async fn report(&self, key: &str, days: u32, today: NaiveDate) -> Result<Arc<SignalsReport>, StoreError> {
        let cache_key = (key.to_string(), days, today);
        if let Some((at, r)) = self.reports.lock().unwrap_or_else(|p| p.into_inner()).get(&cache_key) {
            if at.elapsed() < REPORT_TTL {
                return Ok(r.clone());
            }
        }
        let from = today - Duration::days(i64::from(days.max(7)) - 1);
        // Anomalies need a baseline from before the range.
        let read_from = from - Duration::days(domain::signals::anomaly::BASELINE_DAYS as i64);
        let (daily, premium) = self.daily(key, read_from, today, true, None).await?;
        let params = self.anomaly_params(key).await?;
        let report = Arc::new(domain::signals::signals_report::build(key, &daily, from, today, &params, premium));
        let mut cache = self.reports.lock().unwrap_or_else(|p| p.into_inner());
        cache.retain(|_, (at, _)| at.elapsed() < REPORT_TTL);
        cache.insert(cache_key, (Instant::now(), report.clone()));
        Ok(report)
    }

    /// The anomaly settings of the first anomaly rule covering every value of `key`, or the defaults.
    pub async fn anomaly_params(&self, key: &str) -> Result<AnomalyParams, StoreError> {
        Ok(self
            .signal_store
            .list_signal_rules()
            .await?
            .into_iter()
            .find_map(|r| match r.spec.condition {
                Condition::Anomaly(p) if r.spec.key == key && r.spec.value.is_none() => Some(p),
                _ => None,
            })
            .unwrap_or_default())
    }

    /// Forgets cached reports (after data or rules change in a test or the demo).
    pub fn forget_reports(&self) {
        self.reports.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.task_days.clear();
    }
}
