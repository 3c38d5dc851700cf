//! The forward-auth endpoints a reverse proxy asks before passing a request
//! to an application (see `oauth::forward_auth`).
//!
//! - `/forward-auth`: the contract of Traefik `ForwardAuth` and Caddy
//!   `forward_auth`. The original request is described by
//!   `X-Forwarded-Method`, `-Proto`, `-Host` and `-Uri`; what Tessera
//!   answers other than 2xx, the proxy returns to the browser as it is.
//! - `/forward-auth/nginx`: the contract of nginx `auth_request`, which
//!   passes on only 2xx, 401 and 403. The original request is
//!   `X-Original-URL` and `X-Original-Method`; "not signed in" is always a
//!   401 with the login URL in `Location`, and also in `X-Auth-Redirect`
//!   when the request is a page the browser should be sent on from (the
//!   configuration in `deploy/nginx` turns that into the redirect, and
//!   leaves other requests a 401).
//!
//! Allowed requests get 200 with `X-Internal-JWT` and `Remote-User`,
//! `Remote-Email`, `Remote-Name`, `Remote-Groups` (each present, empty when
//! there is nothing to say).

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::cookies::gateway_token;
use super::{HttpError, paths};
use crate::oauth::forward_auth::{ForwardDecision, ForwardRequest, Pass};
use crate::state::AppState;

/// Which proxy is asking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Contract {
    /// Traefik and Caddy.
    Forwarded,
    Nginx,
}

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// A request a script made (`fetch`, XHR) rather than a page the browser
/// navigates to: it gets a 401 it can handle, never a login page.
fn is_api_like(req: &HttpRequest) -> bool {
    if header(req, "X-Requested-With").is_some() {
        return true;
    }
    !header(req, "Accept").is_some_and(|accept| accept.contains("text/html"))
}

/// The original request's method, host and URL, as the proxy tells them.
fn original(req: &HttpRequest, contract: Contract) -> (Method, Option<String>, Option<String>) {
    let method = |name| {
        header(req, name)
            .and_then(|m| Method::from_bytes(m.as_bytes()).ok())
            .unwrap_or(Method::GET)
    };
    match contract {
        Contract::Forwarded => {
            let host = header(req, "X-Forwarded-Host")
                .map(|h| h.split(',').next().unwrap_or_default().trim().to_string());
            let proto = header(req, "X-Forwarded-Proto")
                .map(|p| {
                    p.split(',')
                        .next()
                        .unwrap_or_default()
                        .trim()
                        .to_ascii_lowercase()
                })
                .unwrap_or_else(|| "https".to_string());
            let uri = header(req, "X-Forwarded-Uri").unwrap_or("/");
            let url = host.as_ref().and_then(|host| {
                (uri.starts_with('/') && matches!(proto.as_str(), "http" | "https"))
                    .then(|| format!("{proto}://{host}{uri}"))
            });
            (method("X-Forwarded-Method"), host, url)
        }
        Contract::Nginx => {
            let url = header(req, "X-Original-URL").map(str::to_string);
            let host = url
                .as_deref()
                .and_then(|u| url::Url::parse(u).ok())
                .and_then(|u| {
                    u.host_str().map(|h| match u.port() {
                        Some(port) => format!("{h}:{port}"),
                        None => h.to_string(),
                    })
                });
            (method("X-Original-Method"), host, url)
        }
    }
}

pub async fn forward_auth(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    decide(&req, &state, Contract::Forwarded).await
}

pub async fn forward_auth_nginx(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    decide(&req, &state, Contract::Nginx).await
}

async fn decide(
    req: &HttpRequest,
    state: &AppState,
    contract: Contract,
) -> Result<HttpResponse, HttpError> {
    let (method, host, url) = original(req, contract);
    let token = gateway_token(req, &state.web.cookies);
    let decision = state
        .provider
        .forward_auth(
            ForwardRequest {
                host: host.as_deref(),
                url,
                gateway_token: token.as_deref(),
            },
            state.now(),
        )
        .await
        .map_err(HttpError::page_from)?;
    let mut response = match decision {
        ForwardDecision::Allowed(pass) => allowed(&pass),
        ForwardDecision::SignIn { return_to } => {
            let login = login_url(&state.web.issuer, return_to.as_ref().map(|u| u.as_str()));
            sign_in(req, contract, &method, &login)
        }
        ForwardDecision::Forbidden { app_name } => refused(
            &state.web.issuer,
            "Access denied",
            &format!("Your account may not use {app_name}. Ask an administrator for access."),
            true,
        )?,
        ForwardDecision::UnknownHost => refused(
            &state.web.issuer,
            "Unknown application",
            "No application is registered for this address.",
            false,
        )?,
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[derive(Template)]
#[template(path = "gateway/refused.html")]
struct RefusedPage<'a> {
    issuer: &'a str,
    title: &'a str,
    message: &'a str,
    signed_in: bool,
}

/// A 403 page the proxy shows on the application's host: its style and
/// icon come from Tessera, which its own policy allows.
fn refused(
    issuer: &str,
    title: &str,
    message: &str,
    signed_in: bool,
) -> Result<HttpResponse, HttpError> {
    let html = RefusedPage {
        issuer,
        title,
        message,
        signed_in,
    }
    .render()
    .map_err(|e| HttpError::page_from(crate::oauth::OAuthError::internal("refusal page", e)))?;
    Ok(HttpResponse::Forbidden()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            format!(
                "default-src 'none'; style-src {issuer}; img-src {issuer}; frame-ancestors 'none'; base-uri 'none'"
            ),
        ))
        .body(html))
}

/// `{issuer}/login`, with the page to return to.
fn login_url(issuer: &str, return_to: Option<&str>) -> String {
    match return_to {
        Some(rd) => {
            let query: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("rd", rd)
                .finish();
            format!("{issuer}{}?{query}", paths::LOGIN)
        }
        None => format!("{issuer}{}", paths::LOGIN),
    }
}

fn allowed(pass: &Pass) -> HttpResponse {
    let value = |v: &str| {
        HeaderValue::from_bytes(v.as_bytes()).unwrap_or_else(|_| HeaderValue::from_static(""))
    };
    HttpResponse::Ok()
        .insert_header(("X-Internal-JWT", value(&pass.jwt)))
        .insert_header(("Remote-User", value(&pass.username)))
        .insert_header(("Remote-Email", value(&pass.email)))
        .insert_header(("Remote-Name", value(&pass.name)))
        .insert_header(("Remote-Groups", value(&pass.groups)))
        .finish()
}

fn sign_in(req: &HttpRequest, contract: Contract, method: &Method, login: &str) -> HttpResponse {
    let api_like = is_api_like(req);
    let location = HeaderValue::from_str(login).unwrap_or_else(|_| HeaderValue::from_static("/"));
    match contract {
        Contract::Nginx => {
            let mut response = HttpResponse::Unauthorized();
            response.insert_header((header::LOCATION, location.clone()));
            if !api_like {
                response.insert_header(("X-Auth-Redirect", location));
            }
            response
                .content_type("text/plain; charset=utf-8")
                .body("Sign in required")
        }
        Contract::Forwarded if api_like => HttpResponse::Unauthorized()
            .content_type("text/plain; charset=utf-8")
            .body("Sign in required"),
        Contract::Forwarded => {
            let status = if method == Method::GET || method == Method::HEAD {
                StatusCode::FOUND
            } else {
                StatusCode::SEE_OTHER
            };
            HttpResponse::build(status)
                .insert_header((header::LOCATION, location))
                .finish()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_url_carries_the_page_to_return_to() {
        assert_eq!(
            login_url(
                "https://auth.example.test",
                Some("https://app.example.test/a?b=c")
            ),
            "https://auth.example.test/login?rd=https%3A%2F%2Fapp.example.test%2Fa%3Fb%3Dc"
        );
        assert_eq!(
            login_url("https://auth.example.test", None),
            "https://auth.example.test/login"
        );
    }
}
