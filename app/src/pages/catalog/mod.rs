//! The catalog admins keep: prices (with model names) and the taxonomy (with the OTLP mapping).

pub mod prices;
pub mod taxonomy;
