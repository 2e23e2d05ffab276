//! A call's token counts by class, as Bursar keeps them.

use serde::{Deserialize, Serialize};

/// Token counts of one call. `input_tokens` includes the cached tokens (read
/// and written), as in OpenTelemetry; `output_tokens` includes reasoning.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cache_read_tokens: i64,
    pub cache_write_tokens: i64,
    pub reasoning_tokens: i64,
}

impl Usage {
    /// Input tokens that were neither read from nor written to a cache.
    pub fn uncached_input(&self) -> i64 {
        self.input_tokens - self.cache_read_tokens - self.cache_write_tokens
    }
}
