//! Signals and the cost model: the Signals page's report of early warnings with their rules (`report`), and the modeller.

pub mod modeller;
pub mod report;
