//! Background jobs: applying the taxonomy to stored calls, and repricing
//! unpriced calls. A job runs in the process that started it; its progress
//! is saved as it goes, so any process's page shows it. Both jobs are
//! idempotent step by step, so one cut short (its process stopped) is marked
//! interrupted and can simply be run again.

use crate::{CatalogError, CatalogService};
use chrono::Utc;
use rand::RngCore;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{JobRecord, StoreError};

/// A running job whose heartbeat is older than this is taken to have died
/// with its process. Generous: one step (a large tag set's move, or the
/// budget recount) writes no heartbeat while it runs.
pub const STALE_AFTER: Duration = Duration::from_secs(15 * 60);

/// Calls repriced per transaction.
const REPRICE_STEP: i64 = 1000;

impl CatalogService {
    /// Records a job and runs it in the background.
    pub(crate) async fn start_job(
        self: &Arc<Self>,
        actor: &str,
        kind: &str,
        params: serde_json::Value,
    ) -> Result<JobRecord, CatalogError> {
        let mut id = [0u8; 8];
        rand::thread_rng().fill_bytes(&mut id);
        let now = Utc::now();
        let job = JobRecord {
            id: format!("job_{}", hex::encode(id)),
            kind: kind.to_string(),
            params,
            state: "running".into(),
            done: 0,
            total: 0,
            detail: "starting".into(),
            created_by: actor.to_string(),
            created: now,
            heartbeat: now,
            finished: None,
        };
        self.catalog_store.create_job(&job).await?;
        let gov = self.clone();
        let mut running = job.clone();
        tokio::spawn(async move {
            let result = match running.kind.as_str() {
                "taxonomy.apply" => gov.run_apply(&mut running).await,
                "price.reprice" => gov.run_reprice(&mut running).await,
                other => Err(StoreError::Config(format!("unknown job kind {other}"))),
            };
            running.heartbeat = Utc::now();
            running.finished = Some(running.heartbeat);
            match result {
                Ok(()) => running.state = "done".into(),
                Err(e) => {
                    tracing::error!(job = %running.id, error = %e, "job failed");
                    running.state = "failed".into();
                    running.detail = format!("failed after {} of {}: {e}", running.done, running.total);
                }
            }
            if let Err(e) = gov.catalog_store.update_job(&running).await {
                tracing::error!(job = %running.id, error = %e, "could not record the job's end");
            }
        });
        Ok(job)
    }

    /// Saves progress at most every 200 ms (and always when `force`).
    async fn progress(&self, job: &mut JobRecord, last: &mut Instant, force: bool) -> Result<(), StoreError> {
        if force || last.elapsed() >= Duration::from_millis(200) {
            job.heartbeat = Utc::now();
            self.catalog_store.update_job(job).await?;
            *last = Instant::now();
        }
        Ok(())
    }

    /// Moves every stored call whose tags the rules change to its new tag
    /// set, then recounts budgets. Repeats (up to three passes) in case a
    /// process still on the old rules stored calls meanwhile.
    async fn run_apply(&self, job: &mut JobRecord) -> Result<(), StoreError> {
        tokio::time::sleep(self.settle).await;
        self.refresh().await?;
        let tax = self.taxonomy();
        let mut last = Instant::now();
        let (mut sets, mut moved) = (0i64, 0i64);
        for _pass in 0..3 {
            let changes: Vec<(i64, domain::TagSet)> = self
                .catalog_store
                .tagsets_with_events()
                .await?
                .into_iter()
                .filter_map(|(id, tags)| tax.remap(&tags).map(|to| (id, to)))
                .collect();
            if changes.is_empty() {
                break;
            }
            job.total += changes.len() as i64;
            for (id, to) in changes {
                moved += self.catalog_store.remap_tagset(id, &to).await?;
                sets += 1;
                job.done += 1;
                job.detail = format!("moved {moved} calls from {sets} tag sets");
                self.progress(job, &mut last, false).await?;
            }
        }
        if moved > 0 {
            job.detail = format!("moved {moved} calls from {sets} tag sets; recounting budgets");
            self.progress(job, &mut last, true).await?;
            let n = self.budget_store.recount_budgets(Utc::now()).await?;
            job.detail = format!("moved {moved} calls from {sets} tag sets; recounted {n} budgets");
        } else {
            job.detail = "every stored call already follows the rules".into();
        }
        Ok(())
    }

    /// Prices the unpriced calls of the job's models with the current
    /// catalog, then recounts budgets.
    async fn run_reprice(&self, job: &mut JobRecord) -> Result<(), StoreError> {
        self.refresh().await?;
        let catalog = self.catalog();
        let models: Vec<String> = job.params["models"]
            .as_array()
            .map(|a| a.iter().filter_map(|m| m.as_str().map(String::from)).collect())
            .unwrap_or_default();
        let counts = self.catalog_store.unpriced_models().await?;
        job.total = counts.iter().filter(|u| models.contains(&u.model)).map(|u| u.calls).sum();
        let mut last = Instant::now();
        let (mut repriced, mut left) = (0i64, 0i64);
        for model in &models {
            let mut after = 0;
            loop {
                let step = self.catalog_store.reprice(model, &catalog, after, REPRICE_STEP).await?;
                let Some(seq) = step.last_seq else { break };
                after = seq;
                repriced += step.repriced;
                left += step.still_unpriced;
                job.done += step.repriced + step.still_unpriced;
                job.detail = format!("priced {repriced} calls");
                self.progress(job, &mut last, false).await?;
            }
        }
        job.detail = format!("priced {repriced} calls; recounting budgets");
        self.progress(job, &mut last, true).await?;
        let n = self.budget_store.recount_budgets(Utc::now()).await?;
        job.detail = if left > 0 {
            format!("priced {repriced} calls; {left} are older than the model's first price and stay unpriced; recounted {n} budgets")
        } else {
            format!("priced {repriced} calls; recounted {n} budgets")
        };
        Ok(())
    }

    /// Marks jobs whose process stopped as interrupted (run at start-up).
    pub async fn interrupt_stale_jobs(&self) -> Result<u64, StoreError> {
        let before = Utc::now() - chrono::Duration::from_std(STALE_AFTER).unwrap_or_default();
        self.catalog_store.interrupt_stale_jobs(before).await
    }

    /// Waits until a job has ended (for tests and the CLI); its last record.
    pub async fn wait_for(&self, id: &str, timeout: Duration) -> Result<Option<JobRecord>, StoreError> {
        let until = Instant::now() + timeout;
        loop {
            let job = self.catalog_store.get_job(id).await?;
            if job.as_ref().is_none_or(|j| j.state != "running") || Instant::now() >= until {
                return Ok(job);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
