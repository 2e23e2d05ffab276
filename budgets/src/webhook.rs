//! Posting alerts to webhooks, over HTTP or HTTPS.
//!
//! HTTPS uses rustls. Certificates are verified against the system's roots
//! (`rustls-native-certs`), or against the file `SSL_CERT_FILE` names (PEM),
//! which is how a company's private CA is trusted; the variable is read when
//! the [`Sender`] is built, at start-up. A certificate that does not verify is
//! a failed attempt whose error says so: nothing is ever sent insecurely.
//! Redirects are not followed, so a receiver cannot send the alert elsewhere.
//!
//! Destinations follow [`domain::budgets::webhook_target::Policy`]: a URL naming an
//! internal address is refused before anything is sent, and host names are
//! resolved by [`Guard`], which drops every internal address (unless the
//! operator allows it) from the list the connection is made to, so a name
//! that changes what it resolves to (DNS rebinding) is caught where the
//! connection is made. Proxies from the environment are not used, since a
//! proxy would resolve the name itself. Connecting is bounded by 5 s, the
//! whole exchange by the sender's timeout, and at most [`MAX_RESPONSE_BYTES`]
//! of the answer are read.

use domain::budgets::alert::{webhook_body, Alert};
use domain::budgets::webhook_target::Policy;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The most of a receiver's answer read (and then dropped) per delivery.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024;

/// Resolves webhook hosts, keeping only the addresses the policy allows.
#[derive(Clone, Debug)]
pub struct Guard(Arc<Policy>);

impl reqwest::dns::Resolve for Guard {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let (policy, host) = (self.0.clone(), name.as_str().to_string());
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let ok = reachable(&policy, &host, found)?;
            Ok(Box::new(ok.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The addresses `host` resolved to that a webhook may connect to: all of
/// them for a host on the allow-list, else those that are not internal.
///
/// Errors: when none is left, naming the host and the kind of address it
/// resolved to (the delivery attempt records this).
pub fn reachable(policy: &Policy, host: &str, found: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, String> {
    if policy.allows_host(host) {
        return Ok(found);
    }
    let (ok, refused): (Vec<SocketAddr>, Vec<SocketAddr>) =
        found.into_iter().partition(|a| policy.refusal(a.ip()).is_none());
    if ok.is_empty() {
        let reason = refused.first().and_then(|a| policy.refusal(a.ip())).unwrap_or("unknown");
        return Err(format!(
            "{host} resolves to a {reason} address, which webhooks may not reach; {}",
            domain::budgets::webhook_target::ALLOW_HINT
        ));
    }
    Ok(ok)
}

/// How one delivery went.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Outcome {
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    /// Why it failed, in plain words (`None`: delivered, a 2xx).
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// The webhook client: one per process, shared.
#[derive(Clone, Debug)]
pub struct Sender {
    client: reqwest::Client,
    policy: Arc<Policy>,
}

impl Sender {
    /// A client that gives up after `timeout` (connecting and answering),
    /// reaching only destinations `policy` allows.
    /// Errors when `SSL_CERT_FILE` is set but cannot be read, or when the
    /// system's root store holds only invalid certificates.
    pub fn new(timeout: Duration, policy: Policy) -> Result<Sender, String> {
        // rustls-native-certs quietly loads nothing from a file it cannot read,
        // and every HTTPS webhook would then fail: say so at start-up instead.
        if let Some(path) = std::env::var_os("SSL_CERT_FILE").filter(|p| !p.is_empty()) {
            std::fs::metadata(&path).map_err(|e| {
                format!("SSL_CERT_FILE names {}, which cannot be read: {e}", std::path::Path::new(&path).display())
            })?;
        }
        let policy = Arc::new(policy);
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .dns_resolver(Arc::new(Guard(policy.clone())))
            .no_proxy()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("the webhook client could not be built: {}", chain(&e)))?;
        Ok(Sender { client, policy })
    }

    /// The destinations this sender may reach.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Posts `alert` as Slack-shaped JSON ([`webhook_body`]); `link` points
    /// readers at the alert history.
    pub async fn post(&self, url: &str, alert: &Alert, link: Option<&str>) -> Outcome {
        let started = Instant::now();
        // Checked again at delivery: the URL may predate the rule, or the policy may have changed.
        let url = match self.policy.check(url) {
            Ok(u) => u,
            Err(reason) => return Outcome { status: None, error: Some(format!("webhook {reason}")), duration_ms: 0 },
        };
        let result = self.client.post(url).json(&webhook_body(alert, link)).send().await;
        let result = match result {
            Ok(mut resp) => {
                // A bounded read of the answer, then dropped: a receiver cannot make Bursar hold more.
                let mut read = 0;
                while read < MAX_RESPONSE_BYTES {
                    match resp.chunk().await {
                        Ok(Some(c)) => read += c.len(),
                        _ => break,
                    }
                }
                Ok(resp)
            }
            Err(e) => Err(e),
        };
        let duration_ms = started.elapsed().as_millis() as i64;
        match result {
            Ok(resp) if resp.status().is_success() => {
                Outcome { status: Some(resp.status().as_u16()), error: None, duration_ms }
            }
            // The receiver's body is not kept: it is not ours to show to everyone who reads alerts.
            Ok(resp) => {
                let status = resp.status();
                Outcome { status: Some(status.as_u16()), error: Some(format!("HTTP {status}")), duration_ms }
            }
            Err(e) => Outcome { status: None, error: Some(describe(&e)), duration_ms },
        }
    }

    /// Reads `url` with `headers` through the same guarded client (a
    /// connector polling a provider's cost API): the status and at most
    /// `max` bytes of the answer.
    ///
    /// Errors: the policy's refusal, a transport error in words
    /// ([`describe`], without the URL), or an answer longer than `max`.
    pub async fn get(&self, url: &str, headers: &[(&str, &str)], max: usize) -> Result<(u16, Vec<u8>), String> {
        let url = self.policy.check(url)?;
        let mut req = self.client.get(url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let mut resp = req.send().await.map_err(|e| describe(&e))?;
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| describe(&e))? {
            if body.len() + chunk.len() > max {
                return Err(format!("the answer is longer than {max} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((resp.status().as_u16(), body))
    }

    /// **Send test alert**: checks `url` is an absolute http(s) URL (the reason
    /// in words if not) and posts a sample alert to it now.
    pub async fn send_test(&self, url: &str, link: Option<&str>) -> Result<Outcome, String> {
        let url = url.trim();
        if url.is_empty() {
            return Err("type the webhook URL first".into());
        }
        self.policy.check(url)?;
        let sample = Alert::sample(chrono::Utc::now(), "Bursar test alert");
        Ok(self.post(url, &sample, link).await)
    }
}

/// A transport error in words, without the URL (which may hold a secret).
pub fn describe(e: &reqwest::Error) -> String {
    let detail = chain(e);
    if detail.contains("certificate") || detail.contains("UnknownIssuer") {
        return format!(
            "the receiver's TLS certificate was not trusted ({detail}); nothing was sent. \
             A private CA can be trusted with SSL_CERT_FILE"
        );
    }
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_builder() {
        "not a usable URL"
    } else {
        "request failed"
    };
    if detail.is_empty() {
        what.to_string()
    } else {
        format!("{what}: {detail}")
    }
}

/// The innermost cause's words.
fn chain(e: &dyn std::error::Error) -> String {
    let mut detail = String::new();
    let mut source = e.source();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    detail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_judged_by_every_address_it_resolves_to() {
        let addr = |s: &str| s.parse::<SocketAddr>().unwrap();
        let p = Policy::default();
        let err = reachable(&p, "rebind.example", vec![addr("127.0.0.1:0")]).unwrap_err();
        assert_eq!(
            err,
            "rebind.example resolves to a loopback address, which webhooks may not reach; an operator can allow \
             an internal receiver with BURSAR_WEBHOOK_ALLOWED_HOSTS"
        );
        let mixed = vec![addr("169.254.169.254:0"), addr("93.184.215.14:0")];
        assert_eq!(
            reachable(&p, "mixed.example", mixed).unwrap(),
            vec![addr("93.184.215.14:0")],
            "only the public one"
        );
        let relay = Policy::parse("relay.internal, 10.1.0.0/16").unwrap();
        assert_eq!(reachable(&relay, "relay.internal", vec![addr("10.9.9.9:0")]).unwrap().len(), 1);
        assert_eq!(reachable(&relay, "other.internal", vec![addr("10.1.2.3:0")]).unwrap().len(), 1);
        assert!(reachable(&relay, "other.internal", vec![addr("10.2.0.1:0")]).is_err());
    }

    #[test]
    fn an_unreadable_ssl_cert_file_is_refused_at_start_up() {
        std::env::set_var("SSL_CERT_FILE", "/nonexistent/bursar-ca.pem");
        let err = Sender::new(Duration::from_secs(1), Policy::default()).unwrap_err();
        std::env::remove_var("SSL_CERT_FILE");
        assert!(err.starts_with("SSL_CERT_FILE names /nonexistent/bursar-ca.pem, which cannot be read"), "{err}");
        assert!(Sender::new(Duration::from_secs(1), Policy::default()).is_ok());
    }
}
