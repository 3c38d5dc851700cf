//! CSRF protection for every form: a random value in an HttpOnly cookie, and
//! in the form its HMAC under the server's pepper. A forged cross-site POST
//! can carry the cookie but cannot compute the form field.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};

use crate::domain::crypto::{KeyPurpose, Pepper, b64url, constant_time_eq, random_token};
use crate::state::CookieSettings;

pub const FIELD: &str = "csrf_token";

/// The token for a form, and the cookie to set if the browser had none.
pub struct CsrfToken {
    pub token: String,
    pub cookie: Option<Cookie<'static>>,
}

fn form_token(pepper: &Pepper, cookie_value: &str) -> String {
    b64url(&pepper.mac(KeyPurpose::Csrf, cookie_value.as_bytes()))
}

pub fn issue(req: &HttpRequest, pepper: &Pepper, settings: &CookieSettings) -> CsrfToken {
    let name = settings.csrf_name();
    match req.cookie(name).filter(|c| c.value().len() >= 32) {
        Some(cookie) => CsrfToken {
            token: form_token(pepper, cookie.value()),
            cookie: None,
        },
        None => {
            let value = random_token(32);
            let cookie = Cookie::build(name, value.clone())
                .path("/")
                .http_only(true)
                .secure(settings.secure)
                .same_site(SameSite::Lax)
                .finish();
            CsrfToken {
                token: form_token(pepper, &value),
                cookie: Some(cookie),
            }
        }
    }
}

pub fn verify(
    req: &HttpRequest,
    pepper: &Pepper,
    settings: &CookieSettings,
    submitted: Option<&str>,
) -> bool {
    match (req.cookie(settings.csrf_name()), submitted) {
        (Some(cookie), Some(submitted)) => {
            let expected = form_token(pepper, cookie.value());
            constant_time_eq(expected.as_bytes(), submitted.as_bytes())
        }
        _ => false,
    }
}
