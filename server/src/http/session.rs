//! Dashboard sessions: sign-in and sign-out handlers, the gate in front of
//! every page and server function, and CSRF protection.
//!
//! Pages and server functions need a session cookie; the REST API
//! (`/api/v1`) uses bearer API keys instead and is checked by its own
//! extractor. The gate puts the `Session` into the request's extensions,
//! where server functions read it and check the role they need.

use std::net::SocketAddr;

use axum::Form;
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{COOKIE, HOST, ORIGIN, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use serde::Deserialize;

use super::AppState;

pub const COOKIE_NAME: &str = "recall_session";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", post(sign_in))
        .route("/logout", post(sign_out))
}

/// Paths anyone may request: the sign-in page, probes, static assets and
/// the REST API (which authenticates by API key).
fn is_public(path: &str) -> bool {
    path == "/login"
        || path == "/healthz"
        || path == "/readyz"
        || path == "/metrics"
        || path == "/favicon.svg"
        || path.starts_with("/pkg/")
        || path.starts_with("/api/v1/")
}

/// Server functions live under `/api/` (but not `/api/v1/`).
fn is_server_fn(path: &str) -> bool {
    path.starts_with("/api/") && !path.starts_with("/api/v1/")
}

pub async fn gate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if is_unsafe(req.method()) && !path.starts_with("/api/v1/") && !same_origin(req.headers()) {
        return (StatusCode::FORBIDDEN, "cross-site request refused").into_response();
    }
    // Assets, probes and the key-authenticated API never need the session,
    // so they skip its database lookup.
    if is_public(&path) && path != "/login" {
        return next.run(req).await;
    }
    if let Some(token) = cookie(req.headers(), COOKIE_NAME) {
        match state.engine.session(&token, state.engine.now()).await {
            Ok(Some(session)) => {
                req.extensions_mut().insert(session);
                return next.run(req).await;
            }
            Ok(None) => {}
            Err(_) => return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
        }
    }
    if is_public(&path) {
        return next.run(req).await;
    }
    if is_server_fn(&path) || req.method() != Method::GET {
        return (StatusCode::UNAUTHORIZED, "sign in required").into_response();
    }
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    Redirect::to(&format!("/login?next={}", encode(target))).into_response()
}

#[derive(Deserialize)]
struct SignInForm {
    email: String,
    password: String,
    #[serde(default)]
    next: String,
}

async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Form(form): Form<SignInForm>,
) -> Response {
    let next = safe_next(&form.next);
    let now = state.engine.now();
    match state
        .engine
        .sign_in(&form.email, &form.password, &peer.ip().to_string(), now)
        .await
    {
        Ok(token) => {
            let max_age = recall::engine::SESSION_LIFETIME.num_seconds();
            let cookie = format!(
                "{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
                secure_flag()
            );
            let mut response = Redirect::to(next).into_response();
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(SET_COOKIE, value);
            }
            response
        }
        Err(err) => {
            let code = match err {
                recall::Error::RateLimited(_) => "locked",
                recall::Error::Forbidden(_) => "invalid",
                _ => "unavailable",
            };
            Redirect::to(&format!("/login?error={code}&next={}", encode(next))).into_response()
        }
    }
}

async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = cookie(&headers, COOKIE_NAME) {
        let _ = state.engine.sign_out(&token).await;
    }
    let mut response = Redirect::to("/login").into_response();
    let clear = format!(
        "{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        secure_flag()
    );
    if let Ok(value) = HeaderValue::from_str(&clear) {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    response
}

/// `Secure` cookies need HTTPS; set `RECALL_SECURE_COOKIES=1` behind TLS.
fn secure_flag() -> &'static str {
    match std::env::var("RECALL_SECURE_COOKIES").as_deref() {
        Ok("1") | Ok("true") => "; Secure",
        _ => "",
    }
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A state-changing request must come from our own pages: browsers send
/// `Origin` on such requests, and it must name this host.
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && site == "cross-site"
    {
        return false;
    }
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        // No Origin: not a browser form or fetch (those always send it on
        // POST), so there is no ambient cookie to abuse.
        return true;
    };
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        == Some(host)
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Only local paths, so the sign-in form cannot bounce users elsewhere.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/campaigns"
    }
}

fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Headers every response carries; the page CSP (with its nonce) is set by
/// the app while rendering.
pub async fn security_headers(req: Request<Body>, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    if !headers.contains_key("content-security-policy") {
        headers.insert(
            "content-security-policy",
            HeaderValue::from_static(
                "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
            ),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_next_paths_are_followed() {
        assert_eq!(safe_next("/messages/4?x=1"), "/messages/4?x=1");
        for bad in ["https://evil.example", "//evil.example", "/\\evil", ""] {
            assert_eq!(safe_next(bad), "/campaigns", "{bad}");
        }
    }

    #[test]
    fn cross_site_posts_are_refused_and_same_origin_ones_allowed() {
        let mut h = HeaderMap::new();
        h.insert(HOST, HeaderValue::from_static("127.0.0.1:3000"));
        h.insert(ORIGIN, HeaderValue::from_static("http://127.0.0.1:3000"));
        assert!(same_origin(&h));
        h.insert(ORIGIN, HeaderValue::from_static("http://evil.example"));
        assert!(!same_origin(&h));
        h.remove(ORIGIN);
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin(&h));
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_static("a=1; recall_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, COOKIE_NAME).as_deref(), Some("abc"));
    }
}
