//! Background work each process runs beside serving: alert delivery, and
//! housekeeping (expired sessions, old failed sign-ins).

pub mod alerts;
pub mod housekeeping;
pub mod retention;
