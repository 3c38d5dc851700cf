//! The console's cookie and the checks every console request passes.
//!
//! The cookie is host-only (no Domain), HttpOnly and SameSite=Strict. Over
//! https it is `__Host-tessera_admin`, which browsers accept only with
//! Secure, no Domain and `Path=/`, so no sibling subdomain can plant or
//! shadow it; over plain http (development) it is `tessera_admin` with
//! `Path=/admin`. State-changing requests also need the console's CSRF token
//! and must not come from another site (`Origin`, `Sec-Fetch-Site`).

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::Method;
use actix_web::http::header::ORIGIN;

use super::api::ApiError;
use crate::domain::UserId;
use crate::http::paths::ADMIN;
use crate::oauth::console::{CONSOLE_IDLE_SECS, Console};
use crate::state::{AppState, CookieSettings};

/// The header that carries the console's CSRF token on API calls.
pub const CSRF_HEADER: &str = "x-csrf-token";

pub fn cookie_name(settings: &CookieSettings) -> &'static str {
    if settings.secure {
        "__Host-tessera_admin"
    } else {
        "tessera_admin"
    }
}

fn base(settings: &CookieSettings, value: String) -> Cookie<'static> {
    Cookie::build(cookie_name(settings), value)
        .path(if settings.secure { "/" } else { ADMIN })
        .http_only(true)
        .secure(settings.secure)
        .same_site(SameSite::Strict)
        .finish()
}

pub fn console_cookie(settings: &CookieSettings, token: String) -> Cookie<'static> {
    let mut cookie = base(settings, token);
    cookie.set_max_age(actix_web::cookie::time::Duration::seconds(
        CONSOLE_IDLE_SECS,
    ));
    cookie
}

pub fn cleared_console_cookie(settings: &CookieSettings) -> Cookie<'static> {
    let mut cookie = base(settings, String::new());
    cookie.make_removal();
    cookie
}

pub fn console_token(req: &HttpRequest, settings: &CookieSettings) -> Option<String> {
    req.cookie(cookie_name(settings))
        .map(|c| c.value().to_string())
}

/// Does a state-changing request come from a page of this issuer? A
/// browser says so with `Sec-Fetch-Site` and `Origin`; a request with
/// neither (a script) is judged by its CSRF token alone.
pub fn same_origin(req: &HttpRequest, issuer: &str) -> bool {
    let site = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok());
    if site.is_some_and(|site| site != "same-origin" && site != "none") {
        return false;
    }
    match req.headers().get(ORIGIN).and_then(|v| v.to_str().ok()) {
        None => true,
        // Pages are served with `Referrer-Policy: no-referrer`, under which
        // browsers send `Origin: null` with a form; `Sec-Fetch-Site` then
        // tells where the form was.
        Some("null") => site == Some("same-origin"),
        Some(origin) => origin.trim_end_matches('/') == issuer_origin(issuer),
    }
}

/// `scheme://host[:port]` of the issuer.
fn issuer_origin(issuer: &str) -> String {
    url::Url::parse(issuer)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default()
}

fn is_read(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The console's session, calling the admin API.
pub struct ConsoleCaller {
    pub user_id: UserId,
}

impl ConsoleCaller {
    /// A console session cookie on an API request; writes must carry the
    /// CSRF header and come from the same origin. `Ok(None)` if there is
    /// no console cookie at all.
    pub async fn from_api_request(
        req: &HttpRequest,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        let Some(token) = console_token(req, &state.web.cookies) else {
            return Ok(None);
        };
        let console = state
            .provider
            .console(&token, state.now())
            .await?
            .ok_or_else(|| ApiError::Unauthorized("the console session has ended".into()))?;
        if !is_read(req.method()) {
            let csrf = req
                .headers()
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if !console.csrf_matches(&state.provider, csrf) {
                return Err(ApiError::Forbidden(
                    "a valid X-CSRF-Token is required".into(),
                ));
            }
            if !same_origin(req, &state.web.issuer) {
                return Err(ApiError::Forbidden(
                    "cross-origin requests are refused".into(),
                ));
            }
        }
        Ok(Some(ConsoleCaller {
            user_id: console_user(&console),
        }))
    }
}

fn console_user(console: &Console) -> UserId {
    console.user.id.clone()
}
