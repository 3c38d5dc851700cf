//! The SSO session cookie: an opaque token, HttpOnly, SameSite=Lax, Secure on
//! https, and scoped to the configured parent domain so every subdomain
//! shares the sign-in.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};

use crate::state::CookieSettings;

pub fn session_token(req: &HttpRequest) -> Option<String> {
    req.cookie(CookieSettings::SESSION)
        .map(|c| c.value().to_string())
}

pub fn session_cookie(settings: &CookieSettings, token: String) -> Cookie<'static> {
    let mut cookie = base(settings, token);
    cookie.set_max_age(settings.session_max_age);
    cookie
}

/// The same cookie (name, Domain, Path), emptied and expired: a browser drops
/// it only if every attribute that scopes it matches the one it holds.
pub fn cleared_session_cookie(settings: &CookieSettings) -> Cookie<'static> {
    let mut cookie = base(settings, String::new());
    cookie.make_removal();
    cookie
}

fn base(settings: &CookieSettings, value: String) -> Cookie<'static> {
    let mut cookie = Cookie::build(CookieSettings::SESSION, value)
        .path("/")
        .http_only(true)
        .secure(settings.secure)
        .same_site(SameSite::Lax)
        .finish();
    if let Some(domain) = &settings.domain {
        cookie.set_domain(domain.clone());
    }
    cookie
}
