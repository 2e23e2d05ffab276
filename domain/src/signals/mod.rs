//! Signals: the early warnings per tag value (escalation, cache hits, loops), their reports, the rules that alert on them, and anomalies.

pub mod anomaly;
pub mod drift;
pub mod signal;
pub mod signal_rule;
pub mod signals_report;
pub mod tasks;

pub use anomaly::Anomaly;
pub use drift::Drift;
pub use signal::{ModelTier, Signal, Unit};
pub use signal_rule::{Condition, RuleSpec};
pub use signals_report::SignalsReport;
