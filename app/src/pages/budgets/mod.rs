//! Budgets and caps: the budgets with their standing, the budget form, and the alert history.

pub mod alerts;
pub mod budget_form;
pub mod budgets;
