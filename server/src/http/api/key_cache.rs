//! API keys found valid in the last second ([`KEY_CACHE_TTL`]), by hash, so
//! hot paths such as the pre-call check cost no key lookup, while a revoked
//! key stops working on every process within that second.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;
use store::ApiKeyRecord;

/// How long a key found valid is trusted before it is looked up again.
pub const KEY_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(1);
/// Most keys remembered at once (the cache is cleared when it is full).
const KEY_CACHE_MAX: usize = 10_000;

/// Recently validated keys, by hash.
#[derive(Default)]
pub struct KeyCache(Mutex<HashMap<String, (Instant, ApiKeyRecord)>>);

impl KeyCache {
    pub(crate) fn get(&self, hash: &str) -> Option<ApiKeyRecord> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.get(hash).filter(|(at, _)| at.elapsed() < KEY_CACHE_TTL).map(|(_, k)| k.clone())
    }

    pub(crate) fn put(&self, hash: String, key: ApiKeyRecord) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= KEY_CACHE_MAX {
            map.clear();
        }
        map.insert(hash, (Instant::now(), key));
    }

    /// Records, on the cached copy, that the key was used at `at`, so the
    /// next requests do not write its last use again.
    pub(crate) fn used(&self, hash: &str, at: chrono::DateTime<chrono::Utc>) {
        if let Some((_, cached)) = self.0.lock().unwrap_or_else(|p| p.into_inner()).get_mut(hash) {
            cached.last_used = Some(at);
        }
    }
}
