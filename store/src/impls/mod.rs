//! Each area trait's implementation, one file per trait (plus `counting.rs`, the budget counting they share), shared by the
//! SQLite and Postgres backends through a macro (the SQL is written once).

pub(crate) mod accounts;
pub(crate) mod audit;
pub(crate) mod bills;
pub(crate) mod budgets;
pub(crate) mod catalog;
pub(crate) mod counting;
pub(crate) mod events;
pub(crate) mod reservations;
pub(crate) mod settings;
pub(crate) mod signals;
pub(crate) mod tasks;
