//! Pricing: exact money, the price catalog and the model-id rules that find a price, LiteLLM imports and price edits.

pub mod catalog;
pub mod litellm;
pub mod model_id;
pub mod money;
pub mod price_edit;

pub use catalog::{Catalog, CostSource, ModelPrice, PriceVersion, PricedEvent, Rates};
pub use litellm::Diff;
pub use money::Nanos;
pub use price_edit::PriceDraft;
