//! Ingestion: one call event as the API and OTLP carry it, the instrumentation conventions that read token counts, the size a request may have, and the tag values a key may write.

pub mod conventions;
pub mod event;
pub mod field_error;
pub mod key_limits;
pub mod otlp;
pub mod request_size;
pub mod usage;

pub use conventions::{Instrumentation, UsageNote};
pub use event::{BodyError, Event, FieldError, IngestBody, Invalid, Sent};
pub use key_limits::TagLimits;
pub use otlp::{AttrValue, Mapping, Span};
pub use request_size::TooBig;
pub use usage::Usage;
