//! The invoice: what providers billed, set against what Bursar attributed
//! (the Reconcile page).

pub mod reconcile;
