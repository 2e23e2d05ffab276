//! Attribution: tags and the taxonomy that governs them, the spend query and its report, time buckets, the FOCUS export and the one CSV cell writer.

pub mod csv_cell;
pub mod focus;
pub mod query;
pub mod report;
#[cfg(feature = "tz")]
pub mod retention;
pub mod shares;
pub mod tags;
pub mod taxonomy;
pub mod time;

pub use query::{Dimension, Filter, SpendQuery};
pub use report::{Group, SpendReport, SpendRow, Totals};
pub use tags::{TagKey, TagSet};
pub use taxonomy::{Flag, KeyRule, Taxonomy};
pub use time::Granularity;
