//! Thin actix-web handlers, one module per endpoint group: extract, make one
//! call into `oauth`, map the answer to a response.

pub mod account;
pub mod admin;
pub mod assets;
pub mod authorize;
pub mod body;
pub mod client_address;
pub mod consent;
pub mod cookies;
pub mod cors;
pub mod credentials;
pub mod csrf;
pub mod discovery;
pub mod error;
pub mod format;
pub mod forward_auth;
pub mod health;
pub mod home;
pub mod introspect;
pub mod login;
pub mod logout;
pub mod paths;
pub mod revoke;
pub mod routes;
pub mod token;
pub mod userinfo;

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, SET_COOKIE, USER_AGENT};
use actix_web::{HttpRequest, HttpResponse, Responder};

use crate::oauth::{Params, ParamsError};

pub use client_address::{TrustedProxies, client_ip};
pub use error::HttpError;

/// A rendered page (an askama `WebTemplate`) with a status, `no-store`, and
/// optionally a cookie to set.
pub fn page(
    req: &HttpRequest,
    template: impl Responder,
    status: StatusCode,
    cookie: Option<Cookie<'static>>,
) -> HttpResponse {
    let mut response = template
        .customize()
        .with_status(status)
        .insert_header((CACHE_CONTROL, "no-store"));
    if let Some(cookie) = cookie {
        response = response.append_header((SET_COOKIE, cookie.to_string()));
    }
    response.respond_to(req).map_into_boxed_body()
}

/// The query string's parameters, strictly decoded.
pub fn query_params(req: &HttpRequest) -> Result<Params, ParamsError> {
    Params::from_urlencoded(req.query_string().as_bytes())
}

/// A page's query: strictly decoded, and no parameter twice.
pub fn page_query(req: &HttpRequest) -> Result<Params, HttpError> {
    let params = query_params(req).map_err(HttpError::malformed_page)?;
    if let Err(name) = params.reject_repeated() {
        return Err(HttpError::page(
            StatusCode::BAD_REQUEST,
            "Invalid request",
            &format!("The {name} parameter is repeated."),
        ));
    }
    Ok(params)
}

/// A form body's parameters, strictly decoded; none if it is not a form.
pub fn form_params(req: &HttpRequest, body: &[u8]) -> Result<Params, ParamsError> {
    if is_form(req) {
        Params::from_urlencoded(body)
    } else {
        Ok(Params::default())
    }
}

pub fn user_agent(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Does the request carry a form body?
pub fn is_form(req: &HttpRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}
