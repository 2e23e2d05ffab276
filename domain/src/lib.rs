//! Bursar's domain: the pure logic behind ingest, pricing and attribution.
//!
//! Nothing here touches the network, the database or a web framework, so it
//! compiles for the server and for the browser alike and its tests run in
//! milliseconds. The store and the HTTP layer call into it; it calls nothing.

pub mod alert;
pub mod anomaly;
pub mod api_catalog;
pub mod audit;
pub mod budget;
pub mod budget_view;
pub mod calibrate;
pub mod conventions;
pub mod costmodel;
pub mod csv_cell;
pub mod event;
pub mod explore;
pub mod focus;
pub mod key_limits;
pub mod litellm;
pub mod model_id;
pub mod money;
pub mod otlp;
pub mod period;
pub mod price_edit;
pub mod pricing;
pub mod query;
pub mod report;
pub mod request_size;
pub mod signal_rule;
pub mod signals;
pub mod signals_report;
pub mod tags;
pub mod taxonomy;
pub mod time;
pub mod users;
pub mod webhook_target;
#[cfg(feature = "tz")]
pub mod window;

pub use event::{Event, FieldError, IngestBody, Usage};
pub use money::Nanos;
pub use pricing::{Catalog, CostSource, PricedEvent};
pub use query::{Dimension, Filter, Granularity, SpendQuery};
pub use report::{SpendReport, SpendRow};
pub use tags::{TagKey, TagSet};
