//! Attribution: tags and the taxonomy that governs them, the spend query and its report, time buckets, the FOCUS export and the one CSV cell writer.

pub mod csv_cell;
pub mod focus;
pub mod query;
pub mod report;
pub mod tags;
pub mod taxonomy;
pub mod time;
