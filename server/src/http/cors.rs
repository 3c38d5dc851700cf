//! Cross-origin access to the endpoints a browser app calls itself: `/token`
//! and `/userinfo` (discovery and the JWKS are public documents and say so in
//! their own responses).
//!
//! Neither endpoint reads cookies; a caller proves itself with a code and
//! PKCE verifier, client credentials or a bearer token, which it could send
//! just as well from outside a browser. So any origin may call them, and
//! credentials (cookies) are never allowed cross-origin. The hosted pages,
//! which do rely on the session cookie, get no CORS headers at all.

use actix_web::http::Method;
use actix_web::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
};
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpResponse, Route, web};

/// Headers on every response of a CORS-enabled resource, errors included, so
/// that a browser app can read an RFC 6749 §5.2 error and its challenge.
pub fn headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .add((ACCESS_CONTROL_EXPOSE_HEADERS, "WWW-Authenticate"))
}

/// The answer to a preflight `OPTIONS` request for a resource offering `methods`.
pub fn preflight(methods: &'static str) -> Route {
    web::route().method(Method::OPTIONS).to(move || async move {
        HttpResponse::NoContent()
            .insert_header((ACCESS_CONTROL_ALLOW_METHODS, methods))
            .insert_header((ACCESS_CONTROL_ALLOW_HEADERS, "Authorization, Content-Type"))
            .insert_header((ACCESS_CONTROL_MAX_AGE, "600"))
            .finish()
    })
}
