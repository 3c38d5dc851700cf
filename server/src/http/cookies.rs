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
    let mut cookie = Cookie::build(CookieSettings::SESSION, token)
        .path("/")
        .http_only(true)
        .secure(settings.secure)
        .same_site(SameSite::Lax)
        .max_age(settings.session_max_age)
        .finish();
    if let Some(domain) = &settings.domain {
        cookie.set_domain(domain.clone());
    }
    cookie
}
