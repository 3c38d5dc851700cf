//! The cookies that carry an SSO session.
//!
//! - The **session cookie** signs a browser in to Tessera itself (authorize,
//!   login, consent, account, logout, console). It is host-only, so no
//!   sibling subdomain ever receives it: `__Host-tessera_session` (Secure,
//!   `Path=/`, no `Domain`) with an https issuer, `tessera_session` over
//!   plain http. HttpOnly, SameSite=Lax.
//! - The **gateway cookie** exists only when `cookie_domain` is set. It
//!   covers that parent domain, so gateways in front of sibling applications
//!   receive it, and holds a secret of its own bound to the same session
//!   (stored hashed, ended with it). Tessera's own pages never read it: what
//!   a sibling subdomain can see identifies a user to a gateway and opens
//!   nothing at Tessera.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{HttpRequest, HttpResponse};

use super::HttpError;
use crate::oauth::OAuthError;
use crate::oauth::session::SessionTokens;
use crate::state::CookieSettings;

/// The token of the host-only session cookie: the only one Tessera's own
/// pages accept.
pub fn session_token(req: &HttpRequest, settings: &CookieSettings) -> Option<String> {
    req.cookie(settings.session_name())
        .map(|c| c.value().to_string())
}

/// The secret of the parent-domain gateway cookie, for gateways only.
pub fn gateway_token(req: &HttpRequest, settings: &CookieSettings) -> Option<String> {
    settings.domain.as_ref()?;
    req.cookie(settings.gateway_name())
        .map(|c| c.value().to_string())
}

/// Set the cookies of a session that just started (or was renewed).
pub fn set_session_cookies(
    response: &mut HttpResponse,
    settings: &CookieSettings,
    tokens: SessionTokens,
) -> Result<(), HttpError> {
    let mut session = session_cookie(settings, tokens.session);
    session.set_max_age(settings.session_max_age);
    add(response, &session)?;
    if let Some(gateway) = tokens.gateway
        && let Some(mut cookie) = gateway_cookie(settings, gateway)
    {
        cookie.set_max_age(settings.session_max_age);
        add(response, &cookie)?;
    }
    Ok(())
}

/// Set a renewed gateway cookie alone (the session cookie stays as it is).
pub fn set_gateway_cookie(
    response: &mut HttpResponse,
    settings: &CookieSettings,
    token: String,
) -> Result<(), HttpError> {
    if let Some(mut cookie) = gateway_cookie(settings, token) {
        cookie.set_max_age(settings.session_max_age);
        add(response, &cookie)?;
    }
    Ok(())
}

/// Remove both cookies: each emptied and expired with the same name,
/// Domain and Path, since a browser drops a cookie only if every attribute
/// that scopes it matches.
pub fn clear_session_cookies(
    response: &mut HttpResponse,
    settings: &CookieSettings,
) -> Result<(), HttpError> {
    let mut session = session_cookie(settings, String::new());
    session.make_removal();
    add(response, &session)?;
    if let Some(mut gateway) = gateway_cookie(settings, String::new()) {
        gateway.make_removal();
        add(response, &gateway)?;
    }
    Ok(())
}

fn add(response: &mut HttpResponse, cookie: &Cookie<'_>) -> Result<(), HttpError> {
    response
        .add_cookie(cookie)
        .map_err(|e| HttpError::page_from(OAuthError::internal("session cookie", e)))
}

fn session_cookie(settings: &CookieSettings, value: String) -> Cookie<'static> {
    Cookie::build(settings.session_name(), value)
        .path("/")
        .http_only(true)
        .secure(settings.secure)
        .same_site(SameSite::Lax)
        .finish()
}

fn gateway_cookie(settings: &CookieSettings, value: String) -> Option<Cookie<'static>> {
    let domain = settings.domain.clone()?;
    Some(
        Cookie::build(settings.gateway_name(), value)
            .domain(domain)
            .path("/")
            .http_only(true)
            .secure(settings.secure)
            .same_site(SameSite::Lax)
            .finish(),
    )
}
