//! The state every handler and server function shares.

use crate::config::Config;
use axum::extract::FromRef;
use budgets::Budgets;
use catalog::CatalogService;
use domain::Catalog;
use leptos::prelude::LeptosOptions;
use std::sync::Arc;
use store::Store;
use tokio::sync::{Notify, Semaphore};

/// The price catalog shipped with Bursar (see `catalog/README.md`).
pub const BUNDLED_CATALOG: &str = include_str!("../../catalog/prices.json");

/// Shared, cheaply cloned application state.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub store: Arc<dyn Store>,
    /// The price catalog and the tag taxonomy (kept in the database), and changes to them.
    pub catalog_service: Arc<CatalogService>,
    pub config: Arc<Config>,
    /// The ingest slots (the ingest service's): bounds concurrent ingest work, so overload is answered with 503, not a pile-up.
    pub ingest_slots: Arc<Semaphore>,
    /// The ingest service: parse, taxonomy, price, store, caps.
    pub ingest: Arc<ingest::Ingest>,
    /// Budgets, caps and forecasts.
    pub budgets: Arc<Budgets>,
    /// Wakes the alert delivery worker when new alerts are recorded.
    pub alerts_fired: Arc<Notify>,
    /// Counters and histograms for `/metrics`.
    pub metrics: Arc<ingest::Metrics>,
    /// Signal reports and rules, model tiers and scenarios.
    pub signals: Arc<signals::Signals>,
    /// API keys validated in the last second.
    pub api_keys: Arc<crate::http::api::key_cache::KeyCache>,
    /// Posts alerts to webhooks (HTTPS with the system's roots or `SSL_CERT_FILE`).
    pub webhooks: Arc<budgets::webhook::Sender>,
    /// Imported bills, mapping rules and reconcile.
    pub invoices: Arc<catalog::invoice::Invoices>,
}

impl AppState {
    /// Builds the state around an opened (and migrated) store, adding the
    /// shipped catalog's models to the database's catalog where it lacks them.
    pub async fn new(leptos_options: LeptosOptions, store: Arc<dyn Store>, config: Config) -> anyhow::Result<AppState> {
        let shipped = Catalog::from_json(BUNDLED_CATALOG)?;
        let catalog_service = CatalogService::load(store.clone(), &shipped).await?;
        let budgets = Budgets::new(store.clone(), &config.time_zone);
        let rules = catalog_service.clone();
        budgets.set_tag_rules(std::sync::Arc::new(move |scope| rules.taxonomy().remap(scope)));
        budgets.set_webhook_policy(config.webhook_policy.clone());
        budgets.caps.set_reservation_ttl(config.reservation_ttl);
        budgets.caps.leases.set_ttl(config.cap_lease);
        let signals = signals::Signals::new(store.clone());
        signals.set_webhook_policy(config.webhook_policy.clone());
        let webhooks = budgets::webhook::Sender::new(crate::config::WEBHOOK_TIMEOUT, config.webhook_policy.clone())
            .map_err(anyhow::Error::msg)?;
        let (slots, metrics, alerts_fired) = (
            Arc::new(Semaphore::new(config.ingest_concurrency)),
            Arc::new(ingest::Metrics::default()),
            Arc::new(Notify::new()),
        );
        let ingest = ingest::Ingest::new(
            store.clone(),
            catalog_service.clone(),
            alerts_fired.clone(),
            slots.clone(),
            config.ingest_queue_wait,
            metrics.clone(),
        );
        ingest.set_retention(config.retain_calls_days);
        Ok(AppState {
            invoices: catalog::invoice::Invoices::new(store.clone(), catalog_service.clone()),
            webhooks: Arc::new(webhooks),
            leptos_options,
            budgets,
            alerts_fired,
            api_keys: Arc::default(),
            signals,
            metrics,
            ingest,
            store,
            catalog_service,
            ingest_slots: slots,
            config: Arc::new(config),
        })
    }
}
