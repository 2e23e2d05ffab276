//! Budgets and caps: budget specs and their validation, where a budget stands, alerts and their webhook bodies, periods in time zones, and where a webhook may point.

pub mod alert;
pub mod budget;
pub mod budget_view;
pub mod draft;
pub mod period;
pub mod webhook_target;
#[cfg(feature = "tz")]
pub mod window;
