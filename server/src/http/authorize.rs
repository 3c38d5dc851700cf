//! `/authorize` (GET and POST, OIDC Core §3.1.2.1).

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, LOCATION};
use actix_web::{HttpRequest, HttpResponse, web};

use super::cookies::session_token;
use super::error::render_page;
use super::{HttpError, client_ip, paths, query_params};
use crate::http::body::Body;
use crate::oauth::{AuthorizeStep, Params};
use crate::state::AppState;

pub async fn authorize_get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    let params = query_params(&req).map_err(HttpError::malformed_page)?;
    authorize(&req, &state, params, StatusCode::FOUND).await
}

pub async fn authorize_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    if !super::is_form(&req) {
        return Err(HttpError::page(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Invalid authorization request",
            "A POSTed authorization request must be application/x-www-form-urlencoded.",
        ));
    }
    let params = query_params(&req)
        .and_then(|query| Ok(query.merge(Params::from_urlencoded(&body)?)))
        .map_err(HttpError::malformed_page)?;
    authorize(&req, &state, params, StatusCode::SEE_OTHER).await
}

async fn authorize(
    req: &HttpRequest,
    state: &AppState,
    params: Params,
    redirect: StatusCode,
) -> Result<HttpResponse, HttpError> {
    let ip = client_ip(req, &state.web.trusted_proxies);
    let step = state
        .provider
        .authorize(
            &params,
            session_token(req, &state.web.cookies).as_deref(),
            ip.as_deref(),
            state.now(),
        )
        .await
        .map_err(HttpError::page_from)?;
    Ok(step_response(step, redirect))
}

/// The response for what the protocol core decided. `redirect` is 302 after
/// a GET and 303 after a POST, never 307 (RFC 9700 §4.12).
pub fn step_response(step: AuthorizeStep, redirect: StatusCode) -> HttpResponse {
    let location = match step {
        AuthorizeStep::ErrorPage(message) => {
            return render_page(
                StatusCode::BAD_REQUEST,
                "Invalid authorization request",
                &message,
            );
        }
        AuthorizeStep::TooManyRequests(message) => {
            return render_page(StatusCode::TOO_MANY_REQUESTS, "Too many sign-ins", &message);
        }
        AuthorizeStep::Redirect(url) => url,
        AuthorizeStep::Login { request_id } => paths::with_request(paths::LOGIN, &request_id),
        AuthorizeStep::Consent { request_id } => paths::with_request(paths::CONSENT, &request_id),
    };
    redirect_to(&location, redirect)
}

/// A redirect that no cache keeps.
pub fn redirect_to(location: &str, status: StatusCode) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((LOCATION, location))
        .insert_header((CACHE_CONTROL, "no-store"))
        .finish()
}
