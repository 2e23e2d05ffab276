//! The bill connectors' settings: which providers' cost APIs Bursar polls,
//! with which admin key, at which base URL, how often and how far back.
//!
//! - `BURSAR_OPENAI_ADMIN_KEY`, `BURSAR_OPENAI_BASE_URL` (default
//!   `https://api.openai.com`): OpenAI's Costs API.
//! - `BURSAR_ANTHROPIC_ADMIN_KEY`, `BURSAR_ANTHROPIC_BASE_URL` (default
//!   `https://api.anthropic.com`): Anthropic's cost report.
//! - `BURSAR_BILLS_POLL_HOURS` (default 24) and `BURSAR_BILLS_LOOKBACK_DAYS`
//!   (default 35, so last month is restated once it settles).
//!
//! A base URL must be `https://` and pass the outbound policy
//! (`BURSAR_WEBHOOK_ALLOWED_HOSTS` for an internal proxy).

use crate::config_error::ConfigError;
use domain::budgets::webhook_target::Policy;
use domain::invoice::BillSource;
use std::time::Duration;

/// A provider admin key: never printed, never serialised.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminKey(String);

impl AdminKey {
    /// The key, for the request header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for AdminKey {
    fn from(k: &str) -> AdminKey {
        AdminKey(k.to_string())
    }
}

impl std::fmt::Debug for AdminKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminKey(…)")
    }
}

/// One provider's connector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BillConnector {
    pub source: BillSource,
    /// Without a trailing slash.
    pub base_url: String,
    pub key: AdminKey,
}

/// Every connector's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BillConnectors {
    pub connectors: Vec<BillConnector>,
    pub poll_every: Duration,
    pub lookback_days: u32,
}

/// Reads the connectors' variables through `get`; errors name the variable.
pub fn read(get: &dyn Fn(&str) -> Option<String>, policy: &Policy) -> Result<BillConnectors, ConfigError> {
    let mut connectors = Vec::new();
    let sources = [
        (BillSource::OpenAi, "BURSAR_OPENAI_ADMIN_KEY", "BURSAR_OPENAI_BASE_URL", "https://api.openai.com"),
        (BillSource::Anthropic, "BURSAR_ANTHROPIC_ADMIN_KEY", "BURSAR_ANTHROPIC_BASE_URL", "https://api.anthropic.com"),
    ];
    for (source, key_var, url_var, default) in sources {
        let Some(key) = get(key_var).map(|k| k.trim().to_string()).filter(|k| !k.is_empty()) else { continue };
        let base = get(url_var).map(|u| u.trim().trim_end_matches('/').to_string()).filter(|u| !u.is_empty());
        let base_url = base.unwrap_or_else(|| default.to_string());
        if !base_url.starts_with("https://") {
            return Err(ConfigError { var: url_var, reason: format!("must be an https:// URL (got {base_url:?})") });
        }
        policy.check(&base_url).map_err(|reason| ConfigError { var: url_var, reason })?;
        connectors.push(BillConnector { source, base_url, key: AdminKey(key) });
    }
    let num = |var: &'static str, default: u64, max: u64| -> Result<u64, ConfigError> {
        match get(var).map(|v| v.trim().to_string()).filter(|v| !v.is_empty()) {
            None => Ok(default),
            Some(v) => match v.parse::<u64>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(ConfigError { var, reason: format!("must be a whole number from 1 to {max} (got {v:?})") }),
            },
        }
    };
    Ok(BillConnectors {
        connectors,
        poll_every: Duration::from_secs(num("BURSAR_BILLS_POLL_HOURS", 24, 24 * 31)? * 3600),
        lookback_days: num("BURSAR_BILLS_LOOKBACK_DAYS", 35, 180)? as u32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_hidden_and_urls_checked() {
        let policy = Policy::parse("").unwrap();
        let get = |k: &str| match k {
            "BURSAR_OPENAI_ADMIN_KEY" => Some("sk-admin-secret".to_string()),
            "BURSAR_ANTHROPIC_ADMIN_KEY" => Some("sk-ant-admin-secret".to_string()),
            "BURSAR_ANTHROPIC_BASE_URL" => Some("http://api.anthropic.com".to_string()),
            _ => None,
        };
        let e = read(&get, &policy).unwrap_err();
        assert_eq!(e.var, "BURSAR_ANTHROPIC_BASE_URL");
        let get = |k: &str| (k == "BURSAR_OPENAI_ADMIN_KEY").then(|| "sk-admin-secret".to_string());
        let c = read(&get, &policy).unwrap();
        assert_eq!(c.connectors[0].base_url, "https://api.openai.com");
        assert!(!format!("{c:?}").contains("secret"));
        let get = |k: &str| match k {
            "BURSAR_OPENAI_ADMIN_KEY" => Some("k".to_string()),
            "BURSAR_OPENAI_BASE_URL" => Some("https://127.0.0.1:8443".to_string()),
            _ => None,
        };
        assert_eq!(read(&get, &policy).unwrap_err().var, "BURSAR_OPENAI_BASE_URL", "loopback needs the allow-list");
    }
}
