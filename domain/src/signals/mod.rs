//! Signals: the early warnings per tag value (escalation, cache hits, loops), their reports, the rules that alert on them, and anomalies.

pub mod anomaly;
pub mod drift;
pub mod signal;
pub mod signal_rule;
pub mod signals_report;
