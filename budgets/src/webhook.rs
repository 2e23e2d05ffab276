//! Posting alerts to webhooks, over HTTP or HTTPS.
//!
//! HTTPS uses rustls. Certificates are verified against the system's roots
//! (`rustls-native-certs`), or against the file `SSL_CERT_FILE` names (PEM),
//! which is how a company's private CA is trusted; the variable is read when
//! the [`Sender`] is built, at start-up. A certificate that does not verify is
//! a failed attempt whose error says so: nothing is ever sent insecurely.
//! Redirects are not followed, so a receiver cannot send the alert elsewhere.

use domain::alert::{webhook_body, Alert};
use std::time::{Duration, Instant};

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
}

impl Sender {
    /// A client that gives up after `timeout` (connecting and answering).
    /// Errors when `SSL_CERT_FILE` is set but cannot be read, or when the
    /// system's root store holds only invalid certificates.
    pub fn new(timeout: Duration) -> Result<Sender, String> {
        // rustls-native-certs quietly loads nothing from a file it cannot read,
        // and every HTTPS webhook would then fail: say so at start-up instead.
        if let Some(path) = std::env::var_os("SSL_CERT_FILE").filter(|p| !p.is_empty()) {
            std::fs::metadata(&path).map_err(|e| {
                format!("SSL_CERT_FILE names {}, which cannot be read: {e}", std::path::Path::new(&path).display())
            })?;
        }
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("the webhook client could not be built: {}", chain(&e)))?;
        Ok(Sender { client })
    }

    /// Posts `alert` as Slack-shaped JSON ([`webhook_body`]); `link` points
    /// readers at the alert history.
    pub async fn post(&self, url: &str, alert: &Alert, link: Option<&str>) -> Outcome {
        let started = Instant::now();
        let result = self.client.post(url).json(&webhook_body(alert, link)).send().await;
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

    /// **Send test alert**: checks `url` is an absolute http(s) URL (the reason
    /// in words if not) and posts a sample alert to it now.
    pub async fn send_test(&self, url: &str, link: Option<&str>) -> Result<Outcome, String> {
        let url = url.trim();
        if url.is_empty() {
            return Err("type the webhook URL first".into());
        }
        domain::budget::check_webhook(url)?;
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
    fn an_unreadable_ssl_cert_file_is_refused_at_start_up() {
        std::env::set_var("SSL_CERT_FILE", "/nonexistent/bursar-ca.pem");
        let err = Sender::new(Duration::from_secs(1)).unwrap_err();
        std::env::remove_var("SSL_CERT_FILE");
        assert!(err.starts_with("SSL_CERT_FILE names /nonexistent/bursar-ca.pem, which cannot be read"), "{err}");
        assert!(Sender::new(Duration::from_secs(1)).is_ok());
    }
}
