//! The one `ResponseError`: RFC 6749 §5.2 JSON for the token endpoint,
//! RFC 6750 §3 challenges for protected resources, or an HTML error page.

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, PRAGMA, WWW_AUTHENTICATE};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use serde_json::json;

use crate::oauth::{ErrorCode, OAuthError, ParamsError};

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub title: &'a str,
    pub message: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// Token endpoint error (RFC 6749 §5.2).
    #[error("{0}")]
    OAuth(OAuthError),
    /// Bearer-protected resource error (RFC 6750 §3.1).
    #[error("{0}")]
    Bearer(OAuthError),
    /// A protected resource was called without a token (RFC 6750 §3).
    #[error("missing bearer token")]
    BearerMissing,
    /// Send the browser elsewhere (303).
    #[error("see {0}")]
    Redirect(String),
    /// An HTML page for a browser.
    #[error("{title}: {message}")]
    Page {
        status: StatusCode,
        title: String,
        message: String,
    },
}

impl HttpError {
    pub fn page(status: StatusCode, title: &str, message: &str) -> Self {
        HttpError::Page {
            status,
            title: title.to_string(),
            message: message.to_string(),
        }
    }

    /// A query or form that could not be decoded, on a browser page.
    pub fn malformed_page(err: ParamsError) -> Self {
        HttpError::page(
            StatusCode::BAD_REQUEST,
            "Invalid request",
            &format!("This request cannot be read: {err}."),
        )
    }

    /// A form that could not be decoded, at an OAuth endpoint (RFC 6749 §5.2).
    pub fn malformed(err: ParamsError) -> Self {
        HttpError::OAuth(OAuthError::invalid_request(err.to_string()))
    }

    /// An unexpected failure behind a browser page.
    pub fn page_from(err: OAuthError) -> Self {
        let status = oauth_status(err.code);
        HttpError::page(status, "Something went wrong", &err.description)
    }
}

fn oauth_status(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InvalidClient | ErrorCode::InvalidToken => StatusCode::UNAUTHORIZED,
        ErrorCode::InsufficientScope => StatusCode::FORBIDDEN,
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// Quoted-string content for a challenge parameter: no quotes or backslashes.
fn quoted(value: &str) -> String {
    value
        .chars()
        .filter(|c| *c != '"' && *c != '\\' && !c.is_control())
        .collect()
}

/// Render an error page; if the template itself fails, plain text.
pub fn render_page(status: StatusCode, title: &str, message: &str) -> HttpResponse {
    let body = ErrorPage { title, message }
        .render()
        .unwrap_or_else(|_| format!("{title}\n\n{message}"));
    HttpResponse::build(status)
        .insert_header((CACHE_CONTROL, "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(body)
}

impl ResponseError for HttpError {
    fn status_code(&self) -> StatusCode {
        match self {
            HttpError::OAuth(err) | HttpError::Bearer(err) => oauth_status(err.code),
            HttpError::BearerMissing => StatusCode::UNAUTHORIZED,
            HttpError::Redirect(_) => StatusCode::SEE_OTHER,
            HttpError::Page { status, .. } => *status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        match self {
            HttpError::OAuth(err) => {
                let mut response = HttpResponse::build(status);
                response
                    .insert_header((CACHE_CONTROL, "no-store"))
                    .insert_header((PRAGMA, "no-cache"));
                if err.code == ErrorCode::InvalidClient {
                    response.insert_header((WWW_AUTHENTICATE, "Basic realm=\"tessera\""));
                }
                response.json(json!({
                    "error": err.code.as_str(),
                    "error_description": err.description,
                }))
            }
            HttpError::Bearer(err) => {
                let challenge = format!(
                    "Bearer realm=\"tessera\", error=\"{}\", error_description=\"{}\"",
                    err.code.as_str(),
                    quoted(&err.description)
                );
                HttpResponse::build(status)
                    .insert_header((WWW_AUTHENTICATE, challenge))
                    .insert_header((CACHE_CONTROL, "no-store"))
                    .json(json!({
                        "error": err.code.as_str(),
                        "error_description": err.description,
                    }))
            }
            HttpError::BearerMissing => HttpResponse::build(status)
                .insert_header((WWW_AUTHENTICATE, "Bearer realm=\"tessera\""))
                .finish(),
            HttpError::Redirect(location) => HttpResponse::SeeOther()
                .insert_header((actix_web::http::header::LOCATION, location.as_str()))
                .insert_header((CACHE_CONTROL, "no-store"))
                .finish(),
            HttpError::Page { title, message, .. } => render_page(status, title, message),
        }
    }
}
