//! Signals and the cost model: the early warnings with their rules, and the modeller.

pub mod modeller;
pub mod signals;
