//! Background work each process runs beside serving: alert delivery, and
//! housekeeping (expired sessions, old failed sign-ins), retention, and the
//! bill connectors.

pub mod alerts;
pub mod bills;
pub mod housekeeping;
pub mod retention;
