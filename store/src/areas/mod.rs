//! The store's area traits, one file each: what each part of Bursar may ask
//! of the database. `Store` (in the crate root) is their sum.

pub mod accounts;
pub mod audit;
pub mod bills;
pub mod budgets;
pub mod catalog;
pub mod events;
pub mod settings;
pub mod signals;
