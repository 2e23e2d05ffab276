//! Saved cost-model scenarios, and what a linked workflow really did.

use crate::{new_id, SigError, Signals};
use chrono::{Duration, NaiveDate, Utc};
use domain::costmodel::calibrate::{Actual, Observed};
use domain::costmodel::Scenario;
use store::{save_audited, Change, ScenarioRecord, StoreError};

impl Signals {
    /// Every saved scenario, by name.
    pub async fn scenarios(&self) -> Result<Vec<ScenarioRecord>, StoreError> {
        self.signal_store.list_scenarios().await
    }

    /// One scenario.
    pub async fn scenario(&self, id: &str) -> Result<ScenarioRecord, SigError> {
        self.scenarios()
            .await?
            .into_iter()
            .find(|s| s.id == id)
            .ok_or_else(|| SigError::NotFound(format!("no scenario {id:?}")))
    }

    /// Saves a scenario (new when `id` is `None`), checked against the catalog.
    pub async fn save_scenario(
        &self,
        actor: &str,
        id: Option<&str>,
        name: &str,
        workflow: Option<&str>,
        spec: Scenario,
    ) -> Result<ScenarioRecord, SigError> {
        let name = name.trim();
        let mut errs = Vec::new();
        if name.is_empty() || name.chars().count() > 120 {
            errs.push(domain::FieldError {
                field: "name".into(),
                reason: "is required (at most 120 characters)".into(),
            });
        }
        let workflow = workflow.map(str::trim).filter(|w| !w.is_empty());
        if let Some(w) = workflow {
            if let Err(r) = domain::attribution::tags::check_value(w) {
                errs.push(domain::FieldError { field: "workflow".into(), reason: r });
            }
        }
        errs.extend(spec.validate(&self.catalog().await?).into_iter().map(|mut e| {
            e.field = format!("scenario.{}", e.field);
            e
        }));
        if !errs.is_empty() {
            return Err(SigError::Invalid(errs));
        }
        let existing = match id {
            Some(id) => Some(self.scenario(id).await?),
            None => None,
        };
        let now = Utc::now();
        let record = ScenarioRecord {
            id: existing.as_ref().map(|s| s.id.clone()).unwrap_or_else(|| new_id("scn")),
            name: name.to_string(),
            workflow: workflow.map(String::from),
            spec,
            created_by: existing.as_ref().map(|s| s.created_by.clone()).unwrap_or_else(|| actor.to_string()),
            created: existing.as_ref().map(|s| s.created).unwrap_or(now),
            updated: now,
        };
        let action = if existing.is_some() { "scenario.update" } else { "scenario.create" };
        let (before, after) = (existing.as_ref().and_then(shown), shown(&record));
        let change = Change { actor, action, target: &record.id, before, after };
        save_audited(&*self.audit_store, change, self.signal_store.put_scenario(&record)).await?;
        Ok(record)
    }

    /// Deletes a scenario.
    pub async fn delete_scenario(&self, actor: &str, id: &str) -> Result<(), SigError> {
        let before = self.scenario(id).await?;
        let change = Change { actor, action: "scenario.delete", target: id, before: shown(&before), after: None };
        save_audited(&*self.audit_store, change, self.signal_store.delete_scenario(id)).await?;
        Ok(())
    }

    /// What `workflow` did over the `days` days to `today`.
    pub async fn actual(&self, workflow: &str, days: u32, today: NaiveDate) -> Result<Actual, SigError> {
        if !(1..=365).contains(&days) {
            return Err(SigError::field("days", "must be from 1 to 365"));
        }
        let from = today - Duration::days(i64::from(days) - 1);
        // One read each of the day sums, the task sums and the tiers.
        let (premium, _) = self.premium().await?;
        let mut day_rows = self.signal_store.signal_days("workflow", from, today).await?;
        day_rows.retain(|d| d.value.as_deref() == Some(workflow));
        let tasks = self.signal_store.signal_task_days("workflow", from, today, Some(workflow)).await?;
        let daily = domain::signals::signal::Daily::build(&day_rows, &tasks, &premium);
        let value = Some(workflow.to_string());
        let agg = daily.window(&value, from, today);
        let mut models: std::collections::BTreeMap<String, i64> = Default::default();
        for r in day_rows {
            *models.entry(r.model).or_default() += r.calls;
        }
        let mut models: Vec<(String, i64, bool)> =
            models.into_iter().map(|(m, c)| (m.clone(), c, premium(&m))).collect();
        models.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let observed = Observed::of(&agg, days, models);
        let calibrated = observed.calibrate(agg.cache_read_tokens);
        Ok(Actual { workflow: workflow.to_string(), from, to: today, observed, calibrated })
    }
}

/// A scenario as the audit log shows it.
fn shown(s: &ScenarioRecord) -> Option<serde_json::Value> {
    Some(serde_json::json!({"name": s.name, "workflow": s.workflow, "scenario": s.spec}))
}
