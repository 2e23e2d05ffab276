//! Budgets and caps: budget specs and their validation, where a budget stands, which counters a call moves and what a change fires, alerts and their webhook bodies, periods in time zones, and where a webhook may point.

pub mod alert;
pub mod budget;
pub mod budget_view;
pub mod cap;
#[cfg(feature = "tz")]
pub mod counting;
pub mod draft;
pub mod period;
pub mod webhook_target;
#[cfg(feature = "tz")]
pub mod window;

pub use alert::{Alert, AlertKind, AlertQuery, Attempt, Delivery};
pub use budget::{BudgetPeriod, BudgetSpec, SplitBy};
pub use budget_view::{BudgetView, SplitView};
#[cfg(feature = "tz")]
pub use counting::CountingBudget;
pub use draft::Draft;
pub use period::ViewPeriod;
#[cfg(feature = "tz")]
pub use window::Window;
