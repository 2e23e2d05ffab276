//! Budgets and caps: the budgets with where each stands (`standing`), the budget form, and the alert history.

pub mod alerts;
pub mod budget_form;
pub mod standing;
