//! The Signals page's data and server functions: the report for a tag key over an offered period, the rules, saving and deleting a rule (with the ownership check), and the signals service as server functions reach it.

#![allow(clippy::too_many_arguments)]
use domain::signals::signals_report::SignalsReport;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A rule as the page lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleRow {
    pub id: String,
    pub name: String,
    pub scope: String,
    pub describe: String,
    pub created_by: String,
    pub webhook: Option<String>,
}

/// The page's data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignalsData {
    pub report: SignalsReport,
    pub rules: Vec<RuleRow>,
    /// Leads and admins write rules.
    pub can_edit: bool,
    /// Tag keys to look at signals by.
    pub keys: Vec<String>,
}

/// Reads the report for a tag key over `days` days, and the rules.
#[server(endpoint = "signals")]
pub async fn get_signals(key: String, days: u32) -> Result<SignalsData, ServerFnError> {
    use domain::people::users::Role;
    let (person, store) = crate::server::context::require(Role::Viewer).await?;
    let svc = crate::server::context::signals()?;
    let key = domain::TagKey::parse(if key.is_empty() { "workflow" } else { &key }).map_err(ServerFnError::new)?;
    let days = if domain::signals::signals_report::PERIODS.contains(&days) { days } else { 90 };
    let report = svc
        .report(key.as_str(), days, chrono::Utc::now().date_naive())
        .await
        .map_err(crate::server::errors::store_failed)?;
    let admin = person.is_admin();
    let rules = svc
        .rules()
        .await
        .map_err(crate::server::errors::store_failed)?
        .into_iter()
        .map(|r| RuleRow {
            id: r.id,
            name: r.spec.name.clone(),
            scope: r.spec.scope_text(),
            describe: r.spec.condition.describe(),
            created_by: r.created_by,
            webhook: r
                .spec
                .webhook
                .map(|w| if admin { w } else { domain::budgets::webhook_target::redact_webhook(&w) }),
        })
        .collect();
    let mut keys: Vec<String> = vec!["workflow".into(), "team".into(), "product".into()];
    for k in store.known_tag_keys().await.map_err(crate::server::errors::store_failed)? {
        if !keys.contains(&k) && k != "user" {
            keys.push(k);
        }
    }
    Ok(SignalsData { report: (*report).clone(), rules, can_edit: person.role >= Role::Lead, keys })
}

/// Saves a new signal rule from the form.
#[server(endpoint = "save_signal_rule")]
pub async fn save_signal_rule(
    name: String,
    key: String,
    value: String,
    condition: String,
    signal: String,
    amount: String,
    window_days: String,
    min_amount: String,
    webhook: String,
) -> Result<(), ServerFnError> {
    let (person, _) = crate::server::context::require(domain::people::users::Role::Lead).await?;
    let condition = signals::parse_condition(&condition, &signal, &amount, &window_days, &min_amount)
        .map_err(crate::server::errors::refused)?;
    let spec = domain::signals::signal_rule::RuleSpec {
        name,
        key,
        value: Some(value),
        condition,
        min_calls: 20,
        webhook: Some(webhook),
    };
    crate::server::context::signals()?
        .save_rule(&person.email, None, spec, None)
        .await
        .map_err(crate::server::errors::refused)?;
    Ok(())
}

/// Deletes a signal rule.
#[server(endpoint = "delete_signal_rule")]
pub async fn delete_signal_rule(id: String) -> Result<(), ServerFnError> {
    let (person, _) = crate::server::context::require(domain::people::users::Role::Lead).await?;
    let svc = crate::server::context::signals()?;
    svc.may_change_rule(&person, &id).await.map_err(crate::server::errors::refused)?;
    svc.delete_rule(&person.email, &id).await.map_err(crate::server::errors::refused)?;
    Ok(())
}
