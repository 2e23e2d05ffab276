//! Configuration: one typed struct, read once from the environment, failing
//! fast with a message that names the variable.

use std::time::Duration;

/// How long a webhook may take to answer before its delivery counts as failed.
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the default SQLite database lives.
pub const DEFAULT_DATABASE_URL: &str = "sqlite:./data/bursar.db";

/// Bursar's settings. Leptos reads its own (`LEPTOS_SITE_ADDR`, `LEPTOS_SITE_ROOT`, …).
#[derive(Clone)]
pub struct Config {
    /// `BURSAR_DATABASE_URL`: `sqlite:PATH` or `postgres://…`.
    pub database_url: String,
    /// `BURSAR_MAX_BODY_BYTES`: the largest request body accepted (default 10 MiB).
    pub max_body_bytes: usize,
    /// `BURSAR_INGEST_CONCURRENCY`: ingest requests processed at once; more wait briefly, then get 503.
    pub ingest_concurrency: usize,
    /// `BURSAR_INGEST_QUEUE_WAIT_MS`: how long a request may wait for a slot before 503.
    pub ingest_queue_wait: Duration,
    /// `BURSAR_BODY_TIMEOUT_SECS`: how long an ingest body may take to arrive
    /// once its ingest slot is taken (default 30 s), so slow uploads cannot
    /// hold every slot; past it the answer is 408.
    pub body_timeout: Duration,
    /// `BURSAR_CLIENT_IP_HEADER`: behind a reverse proxy, the header naming
    /// the client's address (`X-Forwarded-For`, `X-Real-IP`); its last value
    /// is used, the one the proxy added. Unset: the connection's peer address.
    /// Sign-in failures are counted per client address.
    pub client_ip_header: Option<axum::http::HeaderName>,
    /// `BURSAR_SESSION_MAX_DAYS`: how long a session lasts from sign-in, however
    /// active (default 7); the idle limit is 8 hours.
    pub session_max: chrono::Duration,
    /// `BURSAR_WEBHOOK_ALLOWED_HOSTS`: internal webhook receivers allowed
    /// (host names, addresses, CIDRs, comma separated); by default webhooks
    /// may not reach loopback, link-local, private or unique-local addresses.
    pub webhook_policy: domain::budgets::webhook_target::Policy,
    /// `BURSAR_MIGRATE` (`true`/`false`): run migrations at start-up (default true).
    pub run_migrations: bool,
    /// `BURSAR_PUBLIC_URL`: the address people use, e.g. `https://bursar.example.com`;
    /// an https address makes session cookies Secure.
    pub public_url: Option<String>,
    /// IANA zone budget periods are computed in unless a budget names its own.
    pub time_zone: String,
    /// Where alerts go when their budget names no webhook.
    pub alert_webhook: Option<String>,
    /// How often the forecast sweep runs.
    pub forecast_every: Duration,
    /// `BURSAR_RESERVATION_TTL_SECS`: how long a check's reservation holds its
    /// estimate against the caps when the call is never ingested (default 600).
    pub reservation_ttl: Duration,
    /// `BURSAR_RETAIN_CALLS_DAYS`: raw calls older than this many days are
    /// deleted in the background (the rollups keep them), and ingest refuses
    /// calls that old; 0 (the default, unset) keeps every call.
    pub retain_calls_days: u32,
    /// `BURSAR_CAP_LEASE_MS`: on Postgres, how long a process's lease on a
    /// cap counter lasts (default 2000; 0 reads every check from the database).
    pub cap_lease: Duration,
    /// `BURSAR_OTLP_TAGS` (`attribute=tag,…`, e.g. `app.feature=workflow`) and
    /// `BURSAR_OTLP_TASK_ATTRIBUTE` (e.g. `gen_ai.conversation.id`): where OTLP
    /// spans' tags and task ids come from, beyond the defaults.
    pub otlp_mapping: domain::ingest::otlp::Mapping,
    /// The bill connectors (`BURSAR_OPENAI_ADMIN_KEY`, `BURSAR_ANTHROPIC_ADMIN_KEY`, …;
    /// see `crate::config_bills`).
    pub bills: crate::config_bills::BillConnectors,
}

impl Config {
    /// Whether session cookies are sent only over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("max_body_bytes", &self.max_body_bytes)
            .field("ingest_concurrency", &self.ingest_concurrency)
            .field("ingest_queue_wait", &self.ingest_queue_wait)
            .field("body_timeout", &self.body_timeout)
            .field("client_ip_header", &self.client_ip_header)
            .field("session_max", &self.session_max)
            .field("webhook_policy", &self.webhook_policy)
            .field("run_migrations", &self.run_migrations)
            .field("public_url", &self.public_url)
            .field("time_zone", &self.time_zone)
            // Webhook URLs carry secrets (Slack's do): say only whether one is set.
            .field("alert_webhook", &self.alert_webhook.as_ref().map(|_| "(set)"))
            .field("forecast_every", &self.forecast_every)
            .field("reservation_ttl", &self.reservation_ttl)
            .field("cap_lease", &self.cap_lease)
            .field("otlp_mapping", &self.otlp_mapping)
            .field("bills", &self.bills)
            .finish()
    }
}

/// Reads the OTLP tag mapping (`attribute=tag,…`) and task attribute.
fn otlp_mapping(tags: Option<String>, task: Option<String>) -> Result<domain::ingest::otlp::Mapping, ConfigError> {
    let mut out = domain::ingest::otlp::Mapping::default();
    for pair in tags.unwrap_or_default().split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (attr, key) = pair.split_once('=').map(|(a, k)| (a.trim(), k.trim())).unwrap_or(("", ""));
        let key = domain::TagKey::parse(key).map_err(|r| ConfigError {
            var: "BURSAR_OTLP_TAGS",
            reason: format!("{pair:?} must be attribute=tag with a valid tag key ({r})"),
        })?;
        if attr.is_empty() {
            return Err(ConfigError { var: "BURSAR_OTLP_TAGS", reason: format!("{pair:?} names no attribute") });
        }
        out.tags.push((attr.to_string(), key.as_str().to_string()));
    }
    out.task_attribute = task.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
    Ok(out)
}

/// A database URL with any password hidden, for logs and messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***{}", &url[..s], &url[at..]),
        _ => url.to_string(),
    }
}

pub use crate::config_error::ConfigError;

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads settings through `get` (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let database_url =
            get("BURSAR_DATABASE_URL").filter(|s| !s.trim().is_empty()).unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError {
                var: "BURSAR_DATABASE_URL",
                reason: format!("must start with sqlite: or postgres:// (got {database_url:?})"),
            });
        }
        let num = |var: &'static str, default: u64, min: u64| -> Result<u64, ConfigError> {
            match get(var) {
                None => Ok(default),
                Some(v) => match v.trim().parse::<u64>() {
                    Ok(n) if n >= min => Ok(n),
                    _ => Err(ConfigError { var, reason: format!("must be a whole number ≥ {min} (got {v:?})") }),
                },
            }
        };
        let run_migrations = match get("BURSAR_MIGRATE").as_deref().map(str::trim) {
            None | Some("true") | Some("1") | Some("") => true,
            Some("false") | Some("0") => false,
            Some(other) => {
                return Err(ConfigError {
                    var: "BURSAR_MIGRATE",
                    reason: format!("must be true or false (got {other:?})"),
                })
            }
        };
        let time_zone = get("BURSAR_TIMEZONE").map(|z| z.trim().to_string()).filter(|z| !z.is_empty());
        let time_zone = time_zone.unwrap_or_else(|| "UTC".into());
        if domain::budgets::window::zone(&time_zone).is_none() {
            return Err(ConfigError {
                var: "BURSAR_TIMEZONE",
                reason: format!("must be an IANA time zone such as Europe/London or UTC (got {time_zone:?})"),
            });
        }
        let webhook_policy =
            domain::budgets::webhook_target::Policy::parse(&get("BURSAR_WEBHOOK_ALLOWED_HOSTS").unwrap_or_default())
                .map_err(|reason| ConfigError { var: "BURSAR_WEBHOOK_ALLOWED_HOSTS", reason })?;
        let alert_webhook = get("BURSAR_ALERT_WEBHOOK").map(|u| u.trim().to_string()).filter(|u| !u.is_empty());
        if let Some(url) = &alert_webhook {
            webhook_policy.check(url).map_err(|reason| ConfigError { var: "BURSAR_ALERT_WEBHOOK", reason })?;
        }
        let client_ip_header = match get("BURSAR_CLIENT_IP_HEADER").map(|h| h.trim().to_string()) {
            None => None,
            Some(h) if h.is_empty() => None,
            Some(h) => Some(axum::http::HeaderName::from_bytes(h.as_bytes()).map_err(|_| ConfigError {
                var: "BURSAR_CLIENT_IP_HEADER",
                reason: format!("must be a header name such as X-Forwarded-For (got {h:?})"),
            })?),
        };
        Ok(Config {
            database_url,
            client_ip_header,
            session_max: chrono::Duration::days(num("BURSAR_SESSION_MAX_DAYS", 7, 1)? as i64),
            max_body_bytes: num("BURSAR_MAX_BODY_BYTES", 10 * 1024 * 1024, 1024)? as usize,
            ingest_concurrency: num("BURSAR_INGEST_CONCURRENCY", 4, 1)? as usize,
            ingest_queue_wait: Duration::from_millis(num("BURSAR_INGEST_QUEUE_WAIT_MS", 5_000, 0)?),
            body_timeout: Duration::from_secs(num("BURSAR_BODY_TIMEOUT_SECS", 30, 1)?),
            run_migrations,
            public_url: get("BURSAR_PUBLIC_URL")
                .map(|u| u.trim().trim_end_matches('/').to_string())
                .filter(|u| !u.is_empty()),
            time_zone,
            alert_webhook,
            forecast_every: Duration::from_secs(num("BURSAR_FORECAST_EVERY_SECS", 300, 1)?),
            reservation_ttl: Duration::from_secs(num(
                "BURSAR_RESERVATION_TTL_SECS",
                domain::budgets::cap::DEFAULT_RESERVATION_TTL_SECS,
                1,
            )?),
            cap_lease: Duration::from_millis(num("BURSAR_CAP_LEASE_MS", budgets::leases::DEFAULT_LEASE_MS, 0)?),
            retain_calls_days: match get("BURSAR_RETAIN_CALLS_DAYS").filter(|v| !v.trim().is_empty()) {
                None => 0,
                Some(_) => {
                    let (min, max) = domain::attribution::retention::RETAIN_DAYS;
                    let days = num("BURSAR_RETAIN_CALLS_DAYS", 0, u64::from(min))?;
                    if days > u64::from(max) {
                        return Err(ConfigError {
                            var: "BURSAR_RETAIN_CALLS_DAYS",
                            reason: format!("must be at most {max} days (got {days})"),
                        });
                    }
                    days as u32
                }
            },
            otlp_mapping: otlp_mapping(get("BURSAR_OTLP_TAGS"), get("BURSAR_OTLP_TASK_ATTRIBUTE"))?,
            bills: crate::config_bills::read(&get, &webhook_policy)?,
            webhook_policy,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let m: HashMap<String, String> = pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        Config::from_lookup(|k| m.get(k).cloned())
    }

    #[test]
    fn defaults_need_no_configuration() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.max_body_bytes, 10 * 1024 * 1024);
        assert!(c.run_migrations);
    }

    #[test]
    fn bad_values_name_the_variable() {
        assert_eq!(cfg(&[("BURSAR_DATABASE_URL", "mysql://x")]).unwrap_err().var, "BURSAR_DATABASE_URL");
        assert!(cfg(&[("BURSAR_MAX_BODY_BYTES", "lots")])
            .unwrap_err()
            .to_string()
            .starts_with("BURSAR_MAX_BODY_BYTES: must be"));
        assert_eq!(cfg(&[("BURSAR_MIGRATE", "maybe")]).unwrap_err().var, "BURSAR_MIGRATE");
        assert_eq!(cfg(&[("BURSAR_TIMEZONE", "Mars/Base")]).unwrap_err().var, "BURSAR_TIMEZONE");
        assert_eq!(cfg(&[("BURSAR_ALERT_WEBHOOK", "slack")]).unwrap_err().var, "BURSAR_ALERT_WEBHOOK");
        assert_eq!(cfg(&[("BURSAR_TIMEZONE", "Europe/London")]).unwrap().time_zone, "Europe/London");
        assert!(!cfg(&[("BURSAR_MIGRATE", "false")]).unwrap().run_migrations);
        let pg = cfg(&[("BURSAR_DATABASE_URL", "postgres://bursar:s3cret@db/bursar")]).unwrap();
        assert!(!format!("{pg:?}").contains("s3cret"));
    }
}
