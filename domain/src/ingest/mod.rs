//! Ingestion: one call event as the API and OTLP carry it, the instrumentation conventions that read token counts, the size a request may have, and the tag values a key may write.

pub mod conventions;
pub mod event;
pub mod key_limits;
pub mod otlp;
pub mod request_size;
pub mod usage;
