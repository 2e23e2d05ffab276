//! What stands in front of the web app: database-backed sessions, the
//! sign-in requirement for every page and server function, and a same-origin
//! check on every state-changing browser request (CSRF protection).

use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};

/// How long an idle session lasts.
pub const IDLE_EXPIRY_HOURS: i64 = 8;

/// Sessions in the database: HttpOnly, SameSite=Lax, Secure when Bursar is
/// served over https, expiring after 8 idle hours.
pub fn session_layer(state: &AppState) -> SessionManagerLayer<accounts::DbSessionStore> {
    SessionManagerLayer::new(accounts::DbSessionStore(state.store.clone()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.secure_cookies())
        .with_expiry(Expiry::OnInactivity(tower_sessions::cookie::time::Duration::hours(IDLE_EXPIRY_HOURS)))
}

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "bursar_session";

/// The `name=value` of the session cookie a response sets, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.strip_prefix(SESSION_COOKIE).is_some_and(|r| r.starts_with('=')))
        .and_then(|c| c.split(';').next())
        .map(String::from)
}

/// Paths anyone may reach: sign-in, first-admin setup, static files, and the
/// REST API (which checks API keys itself).
fn is_public(path: &str) -> bool {
    matches!(path, "/login" | "/setup" | "/api/login" | "/api/setup" | "/favicon.svg" | "/echarts.min.js")
        || path.starts_with("/pkg/")
        || path.starts_with("/api/v1/")
        || path.starts_with("/api/otlp/")
        || path == "/healthz"
        || path == "/metrics"
        || path == "/api/openapi.json"
        || path == "/readyz"
}

/// The browser security headers every response gets (OWASP ASVS 14.4):
/// `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`,
/// `X-Frame-Options: DENY` (for browsers older than CSP's
/// `frame-ancestors`), `Cache-Control: no-store` on everything but the
/// static assets (pages and answers may hold spend and secrets), HSTS for a
/// year when `BURSAR_PUBLIC_URL` is https, and, where a page has not set its
/// own nonce-bearing policy, a Content-Security-Policy allowing nothing.
pub async fn security_headers(State(state): State<AppState>, req: Request<Body>, next: Next) -> Response {
    use axum::http::HeaderValue;
    let asset = is_asset(req.uri().path());
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !asset {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.config.secure_cookies() {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; base-uri 'none'"));
    res
}

/// The site's static files: the same for everyone, so they may be cached.
fn is_asset(path: &str) -> bool {
    path.starts_with("/pkg/") || matches!(path, "/favicon.svg" | "/echarts.min.js")
}

/// Whether a request comes from a page of this site (Origin, else Referer,
/// names the same host).
fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    let source = headers.get(header::ORIGIN).or_else(|| headers.get(header::REFERER)).and_then(|v| v.to_str().ok());
    match source {
        Some(src) => {
            let rest = src.split_once("://").map(|(_, r)| r).unwrap_or("");
            let src_host = rest.split('/').next().unwrap_or("");
            !host.is_empty() && src_host == host
        }
        None => false,
    }
}

/// Refuses cross-site state changes, and anything but public paths without a
/// signed-in, active person: pages redirect to the sign-in page, other
/// requests get 401.
pub async fn guard(State(state): State<AppState>, session: Session, mut req: Request<Body>, next: Next) -> Response {
    let client = client_address(state.config.client_ip_header.as_ref(), &req);
    req.extensions_mut().insert(client);
    let path = req.uri().path().to_string();
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !path.starts_with("/api/v1/") && !path.starts_with("/api/otlp/") && !same_origin(req.headers()) {
        return (StatusCode::FORBIDDEN, "cross-site request refused: the Origin header must name this site")
            .into_response();
    }
    if is_public(&path) {
        return next.run(req).await;
    }
    if accounts::current_person(&state.store, &session).await.is_some() {
        return next.run(req).await;
    }
    if safe && !path.starts_with("/api/") {
        let target = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let next_q: String = url_encode(target);
        return Redirect::to(&format!("/login?next={next_q}")).into_response();
    }
    (StatusCode::UNAUTHORIZED, "sign in first").into_response()
}

/// The client's address: the last value of the configured proxy header when
/// there is one (the hop the proxy itself added; earlier values are the
/// client's to forge), else the connection's peer, else unknown (empty).
pub fn client_address(header: Option<&axum::http::HeaderName>, req: &Request<Body>) -> accounts::ClientAddress {
    let from_header = header
        .and_then(|h| req.headers().get_all(h).iter().next_back())
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|v| v.trim().parse::<std::net::IpAddr>().ok());
    let peer = || req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
    accounts::ClientAddress(from_header.or_else(peer).map(|ip| ip.to_canonical().to_string()).unwrap_or_default())
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Listens on `addr` with TCP_NODELAY on every connection: API answers are
/// small, and without it a response split over two segments can wait for
/// the client's delayed ACK (tens of milliseconds) before it completes.
pub async fn listen(
    addr: std::net::SocketAddr,
) -> std::io::Result<axum::serve::TapIo<tokio::net::TcpListener, fn(&mut tokio::net::TcpStream)>> {
    use axum::serve::ListenerExt;
    fn nodelay(tcp: &mut tokio::net::TcpStream) {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    }
    let listener = tokio::net::TcpListener::bind(addr).await?;
    Ok(listener.tap_io(nodelay as fn(&mut tokio::net::TcpStream)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        m
    }

    #[test]
    fn origin_must_match_host() {
        assert!(same_origin(&h(&[("host", "bursar.local:3000"), ("origin", "http://bursar.local:3000")])));
        assert!(same_origin(&h(&[("host", "b.io"), ("referer", "https://b.io/explore?x=1")])));
        assert!(!same_origin(&h(&[("host", "b.io"), ("origin", "https://evil.example")])));
        assert!(!same_origin(&h(&[("host", "b.io")])));
        assert!(!same_origin(&h(&[("host", "b.io"), ("origin", "https://b.io.evil.example")])));
    }

    #[test]
    fn only_sign_in_and_assets_are_public() {
        assert!(is_public("/login") && is_public("/pkg/bursar.wasm") && is_public("/api/v1/events"));
        assert!(!is_public("/") && !is_public("/api/overview") && !is_public("/explore"));
        assert_eq!(url_encode("/?period=7d&x=a b"), "/%3Fperiod%3D7d%26x%3Da%20b");
    }
}
