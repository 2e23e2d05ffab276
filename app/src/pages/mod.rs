//! Every page, by area. A page's folder holds its view (`mod.rs`) and its
//! server functions (`data.rs`); what two pages share lives in
//! `crate::components`, and no page imports another.

pub mod api;
pub mod attribution;
pub mod budgets;
pub mod catalog;
pub mod invoice;
pub mod people;
pub mod signals;
