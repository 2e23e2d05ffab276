//! Where a webhook may point. Bursar posts alerts to URLs that leads type
//! in, so without a rule a lead could make the server connect anywhere it
//! can reach: the cloud metadata service at 169.254.169.254, a database
//! on 127.0.0.1, a private subnet (OWASP ASVS 5.2.6, SSRF). By default,
//! webhooks may not reach loopback, link-local, private (RFC 1918),
//! shared (RFC 6598), unique-local (RFC 4193) or unspecified addresses,
//! nor `localhost`; an operator allows an internal relay with
//! `BURSAR_WEBHOOK_ALLOWED_HOSTS`, a comma list of host names and CIDRs.
//!
//! This module is the pure half: the URL's shape, literal addresses and the
//! allow-list. The sender checks every address a name resolves to at
//! delivery time, through the same [`Policy::refusal`], so DNS rebinding is
//! caught where the connection is made.

use ipnet::IpNet;
use std::net::IpAddr;

/// The longest webhook URL accepted.
pub const MAX_URL_LEN: usize = 2000;

/// Which internal destinations an operator allows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// Networks allowed despite being internal (`10.1.0.0/16`, `127.0.0.1/32`).
    pub networks: Vec<IpNet>,
    /// Host names allowed whatever they resolve to (lower case).
    pub hosts: Vec<String>,
}

impl Policy {
    /// Reads `BURSAR_WEBHOOK_ALLOWED_HOSTS`: host names, addresses and CIDRs,
    /// comma separated. Errors name the entry that is none of these.
    pub fn parse(list: &str) -> Result<Policy, String> {
        let mut p = Policy::default();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if let Ok(net) = item.parse::<IpNet>() {
                p.networks.push(net);
            } else if let Ok(ip) = item.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
                p.networks.push(IpNet::from(ip));
            } else if item.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') && item.len() <= 253 {
                p.hosts.push(item.to_ascii_lowercase());
            } else {
                return Err(format!("{item:?} is not a host name, an address or a CIDR such as 10.1.0.0/16"));
            }
        }
        Ok(p)
    }

    /// Why a connection to `ip` is refused, or `None` when it may be made.
    pub fn refusal(&self, ip: IpAddr) -> Option<&'static str> {
        let ip = ip.to_canonical();
        if self.networks.iter().any(|n| n.contains(&ip)) {
            return None;
        }
        internal(ip)
    }

    /// Whether a host name is on the allow-list.
    pub fn allows_host(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.hosts.contains(&host)
    }

    /// Checks a webhook URL before it is saved or used: an absolute http or
    /// https URL, without spaces, at most [`MAX_URL_LEN`] characters, whose host
    /// is not an internal address or `localhost` (unless allowed). Names are
    /// resolved later, by the sender. Returns the parsed URL.
    ///
    /// Errors: the reason in words, for a 400 naming `webhook`.
    pub fn check(&self, raw: &str) -> Result<url::Url, String> {
        let url = parse_url(raw)?;
        let host = match url.host() {
            Some(h) => h,
            None => return Err("must name a host".into()),
        };
        let ip = match host {
            url::Host::Ipv4(a) => Some(IpAddr::V4(a)),
            url::Host::Ipv6(a) => Some(IpAddr::V6(a)),
            url::Host::Domain(d) => {
                let d = d.trim_end_matches('.');
                if (d == "localhost" || d.ends_with(".localhost")) && !self.allows_host(d) {
                    return Err(format!("must not point at {d} (loopback); {ALLOW_HINT}"));
                }
                None
            }
        };
        if let Some(reason) = ip.and_then(|ip| self.refusal(ip)) {
            return Err(format!("must not point at a {reason} address; {ALLOW_HINT}"));
        }
        Ok(url)
    }
}

/// A webhook URL's shape, whatever it points at: an absolute http or https
/// URL naming a host, without spaces, at most [`MAX_URL_LEN`] characters.
///
/// Errors: the reason in words.
pub fn parse_url(raw: &str) -> Result<url::Url, String> {
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces".into());
    }
    if raw.len() > MAX_URL_LEN {
        return Err(format!("must be at most {MAX_URL_LEN} characters"));
    }
    let lower = raw.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return Err("must start with https:// or http://".into());
    }
    let after_scheme = &raw[raw.find("://").map_or(0, |i| i + 3)..];
    if after_scheme.is_empty() || after_scheme.starts_with(['/', '\\']) {
        return Err("must name a host".into());
    }
    let url = url::Url::parse(raw).map_err(|e| format!("is not a valid URL ({e})"))?;
    match url.host() {
        None | Some(url::Host::Domain("")) => Err("must name a host".into()),
        Some(_) => Ok(url),
    }
}

/// A webhook URL with its path and query hidden (`https://hooks.slack.com/…`):
/// a Slack URL is a secret that lets anyone post to the channel, so only
/// those who may change a budget see it whole.
pub fn redact_webhook(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or(host);
    format!("{scheme}://{host}/…")
}

/// A webhook must be an absolute http(s) URL naming a host, without spaces
/// (its shape only; [`Policy::check`] also judges where it points).
pub fn check_webhook(url: &str) -> Result<(), String> {
    parse_url(url).map(|_| ())
}

/// How an operator allows an internal receiver, for error messages.
pub const ALLOW_HINT: &str = "an operator can allow an internal receiver with BURSAR_WEBHOOK_ALLOWED_HOSTS";

/// The kind of internal address `ip` is, if it is one.
pub fn internal(ip: IpAddr) -> Option<&'static str> {
    match ip.to_canonical() {
        IpAddr::V4(a) => {
            let o = a.octets();
            if a.is_loopback() {
                Some("loopback")
            } else if a.is_unspecified() || o[0] == 0 {
                Some("unspecified")
            } else if a.is_link_local() {
                Some("link-local")
            } else if a.is_private() {
                Some("private")
            } else if o[0] == 100 && o[1] & 0xc0 == 64 {
                Some("shared (carrier-grade NAT)")
            } else if a.is_broadcast() || a.is_multicast() || o[0] >= 240 {
                Some("broadcast, multicast or reserved")
            } else {
                None
            }
        }
        IpAddr::V6(a) => {
            let seg = a.segments();
            if a.is_loopback() {
                Some("loopback")
            } else if a.is_unspecified() {
                Some("unspecified")
            } else if a.is_unicast_link_local() {
                Some("link-local")
            } else if a.is_unique_local() {
                Some("unique-local")
            } else if a.is_multicast() {
                Some("broadcast, multicast or reserved")
            } else if seg[0] == 0x64 && seg[1] == 0xff9b && seg[2..6] == [0, 0, 0, 0] {
                // NAT64 (RFC 6052): judged by the IPv4 address it carries.
                let v4 = std::net::Ipv4Addr::new((seg[6] >> 8) as u8, seg[6] as u8, (seg[7] >> 8) as u8, seg[7] as u8);
                internal(IpAddr::V4(v4))
            } else {
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_refused_in_every_spelling() {
        let p = Policy::default();
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.5/",
            "http://172.16.9.1/",
            "http://192.168.1.1/",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://[::1]/",
            "http://[fe80::1]/",
            "http://[fd00::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://127.1/",
            "http://localhost:3000/",
            "http://LOCALHOST./",
            "http://api.localhost/",
        ] {
            let err = p.check(url).unwrap_err();
            assert!(err.starts_with("must not point at"), "{url}: {err}");
            assert!(err.contains("BURSAR_WEBHOOK_ALLOWED_HOSTS"), "{url}: {err}");
        }
        assert_eq!(
            p.check("http://169.254.169.254/").unwrap_err(),
            "must not point at a link-local address; an operator can allow an internal receiver with BURSAR_WEBHOOK_ALLOWED_HOSTS"
        );
        for ok in ["https://hooks.slack.com/services/T/B/x", "http://8.8.8.8/", "https://[2001:4860::8888]/"] {
            assert!(p.check(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn only_http_and_https_absolute_urls() {
        let p = Policy::default();
        for (url, why) in [
            ("ftp://example.com/", "must start with https:// or http://"),
            ("file:///etc/passwd", "must start with https:// or http://"),
            ("gopher://example.com/", "must start with https:// or http://"),
            ("https:///path", "must name a host"),
            ("https://exa mple.com/", "must not contain spaces"),
        ] {
            let err = p.check(url).unwrap_err();
            assert!(err.starts_with(why), "{url}: {err}");
        }
        assert!(p.check(&format!("https://example.com/{}", "a".repeat(2000))).unwrap_err().contains("2000"));
    }

    #[test]
    fn an_operator_allows_a_relay_by_cidr_address_or_name() {
        let p = Policy::parse("10.1.0.0/16, 127.0.0.1, relay.internal").unwrap();
        assert!(p.check("http://10.1.2.3/hook").is_ok());
        assert!(p.check("http://10.2.0.1/hook").is_err());
        assert!(p.check("http://127.0.0.1:9000/").is_ok());
        assert!(p.check("http://[::ffff:127.0.0.1]/").is_ok(), "an IPv4-mapped address is judged as IPv4");
        assert_eq!(p.refusal("10.1.9.9".parse().unwrap()), None);
        assert_eq!(p.refusal("192.168.0.1".parse().unwrap()), Some("private"));
        assert!(p.allows_host("Relay.Internal."));
        assert_eq!(
            Policy::parse("not a host!").unwrap_err(),
            "\"not a host!\" is not a host name, an address or a CIDR such as 10.1.0.0/16"
        );
        assert_eq!(Policy::parse("").unwrap(), Policy::default());
    }
}
