//! Changing the tag taxonomy, and applying it to calls already stored.

use crate::{json, CatalogError, CatalogService};
use domain::attribution::taxonomy::{KeyRule, Taxonomy};
use std::sync::Arc;
use store::{Change, JobRecord};

impl CatalogService {
    /// Replaces the whole taxonomy after checking it. Audited.
    pub async fn put_taxonomy(&self, actor: &str, next: Taxonomy) -> Result<Taxonomy, CatalogError> {
        let next = next.validate().map_err(CatalogError::Invalid)?;
        let before = self.catalog_store.taxonomy().await?;
        self.save_taxonomy(
            Change { actor, action: "taxonomy.update", target: "taxonomy", before: json(&before), after: json(&next) },
            &next,
        )
        .await?;
        self.refresh().await?;
        self.align_budgets(actor).await?;
        Ok(next)
    }

    /// Adds or replaces one key's rule (`replacing` names the rule being
    /// edited, so a key can be renamed). Audited, as the rule before and after.
    pub async fn save_rule(
        &self,
        actor: &str,
        replacing: Option<&str>,
        rule: KeyRule,
    ) -> Result<Taxonomy, CatalogError> {
        let before = self.catalog_store.taxonomy().await?;
        let old = replacing.and_then(|k| before.rule(k)).cloned();
        if replacing.is_some_and(|k| !k.is_empty()) && old.is_none() {
            return Err(CatalogError::NotFound(format!("the taxonomy has no key {:?}", replacing.unwrap_or(""))));
        }
        let mut keys: Vec<KeyRule> =
            before.keys.iter().filter(|r| Some(r.key.as_str()) != replacing).cloned().collect();
        let index = keys.len();
        keys.push(rule.clone());
        let next = Taxonomy { keys }.validate().map_err(|errs| {
            // Name the fields as the form does: without the `keys[i].` prefix.
            let prefix = format!("keys[{index}].");
            CatalogError::Invalid(
                errs.into_iter()
                    .map(|mut e| {
                        if let Some(rest) = e.field.strip_prefix(&prefix) {
                            e.field = rest.to_string();
                        } else if e.field.ends_with(".key") {
                            e.field = "key".into();
                        }
                        e
                    })
                    .collect(),
            )
        })?;
        let (before, after) = (json(&old), json(&next.rule(&rule.key)));
        self.save_taxonomy(Change { actor, action: "taxonomy.update", target: &rule.key, before, after }, &next)
            .await?;
        self.refresh().await?;
        self.align_budgets(actor).await?;
        Ok(next)
    }

    /// Removes one key's rule. Audited.
    pub async fn delete_rule(&self, actor: &str, key: &str) -> Result<(), CatalogError> {
        let before = self.catalog_store.taxonomy().await?;
        let Some(old) = before.rule(key).cloned() else {
            return Err(CatalogError::NotFound(format!("the taxonomy has no key {key:?}")));
        };
        let next = Taxonomy { keys: before.keys.into_iter().filter(|r| r.key != key).collect() };
        self.save_taxonomy(
            Change { actor, action: "taxonomy.delete", target: key, before: json(&old), after: None },
            &next,
        )
        .await?;
        self.refresh().await?;
        Ok(())
    }

    /// Stores the whole taxonomy `next` and audits `change`.
    async fn save_taxonomy(&self, change: Change<'_>, next: &Taxonomy) -> Result<(), CatalogError> {
        let put = self.catalog_store.put_taxonomy(next, chrono::Utc::now());
        Ok(store::save_audited(&*self.audit_store, change, put).await?)
    }

    /// Rewrites budget scopes the rules now store differently ("team=Support"
    /// becomes "team=support" once `team` folds case), so that budgets and
    /// hard caps keep matching the calls ingest stores. Each is recounted and audited.
    async fn align_budgets(&self, actor: &str) -> Result<usize, CatalogError> {
        let tax = self.taxonomy();
        let mut changed = 0;
        for mut b in self.budget_store.list_budgets().await? {
            let Some(scope) = tax.remap(&b.spec.scope) else { continue };
            let before = b.spec.for_audit();
            b.spec.scope = scope;
            if self.budget_store.update_budget(&b, chrono::Utc::now()).await?.is_some() {
                self.audit(actor, "budget.update", &b.id, before, b.spec.for_audit()).await?;
                changed += 1;
            }
        }
        Ok(changed)
    }

    /// Starts a job that rewrites stored calls' tags under the current rules
    /// (aliases and case-folding; never rejection), keeping rollups exact. Audited.
    pub async fn start_apply_taxonomy(self: &Arc<Self>, actor: &str) -> Result<JobRecord, CatalogError> {
        let job = self.start_job(actor, "taxonomy.apply", serde_json::json!({})).await?;
        let rules = self.taxonomy().keys.len();
        let after = serde_json::json!({ "job": job.id, "rules": rules });
        self.audit(actor, "taxonomy.apply", "stored calls", None, Some(after)).await?;
        Ok(job)
    }
}
