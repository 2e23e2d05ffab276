//! Bursar's domain: the pure logic behind ingest, pricing and attribution.
//!
//! Nothing here touches the network, the database or a web framework, so it
//! compiles for the server and for the browser alike and its tests run in
//! milliseconds. The store and the HTTP layer call into it; it calls nothing.

pub mod attribution;
pub mod budgets;
pub mod costmodel;
pub mod ingest;
pub mod invoice;
pub mod people;
pub mod pricing;
pub mod signals;

pub use attribution::query::{Dimension, Filter, Granularity, SpendQuery};
pub use attribution::report::{SpendReport, SpendRow};
pub use attribution::tags::{TagKey, TagSet};
pub use ingest::event::{Event, FieldError, IngestBody, Usage};
pub use pricing::catalog::{Catalog, CostSource, PricedEvent};
pub use pricing::money::Nanos;
