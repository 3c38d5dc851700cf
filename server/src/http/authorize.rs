//! `/authorize` (GET and POST, OIDC Core §3.1.2.1) and `/authorize/resume`,
//! where the login and consent pages send the browser back.

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, LOCATION};
use actix_web::{HttpRequest, HttpResponse, web};

use super::cookies::session_token;
use super::error::render_page;
use super::{HttpError, routes};
use crate::oauth::{AuthorizeStep, Params};
use crate::state::AppState;

pub async fn authorize_get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    let params = Params::from_urlencoded(req.query_string().as_bytes());
    authorize(&req, &state, params, StatusCode::FOUND).await
}

pub async fn authorize_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, HttpError> {
    if !super::is_form(&req) {
        return Err(HttpError::page(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Invalid authorization request",
            "A POSTed authorization request must be application/x-www-form-urlencoded.",
        ));
    }
    let params = Params::from_urlencoded(req.query_string().as_bytes())
        .merge(Params::from_urlencoded(&body));
    authorize(&req, &state, params, StatusCode::SEE_OTHER).await
}

async fn authorize(
    req: &HttpRequest,
    state: &AppState,
    params: Params,
    redirect: StatusCode,
) -> Result<HttpResponse, HttpError> {
    let step = state
        .provider
        .authorize(&params, session_token(req).as_deref(), state.now())
        .await
        .map_err(HttpError::page_from)?;
    Ok(step_response(step, redirect))
}

#[derive(serde::Deserialize)]
pub struct ResumeQuery {
    request: Option<String>,
}

pub async fn authorize_resume_get(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ResumeQuery>,
) -> Result<HttpResponse, HttpError> {
    let request_id = query.request.as_deref().unwrap_or_default();
    let step = state
        .provider
        .resume_authorization(request_id, session_token(&req).as_deref(), state.now())
        .await
        .map_err(HttpError::page_from)?;
    Ok(step_response(step, StatusCode::FOUND))
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
        AuthorizeStep::Redirect(url) => url,
        AuthorizeStep::Login { request_id } => routes::with_request(routes::LOGIN, &request_id),
        AuthorizeStep::Consent { request_id } => routes::with_request(routes::CONSENT, &request_id),
    };
    HttpResponse::build(redirect)
        .insert_header((LOCATION, location))
        .insert_header((CACHE_CONTROL, "no-store"))
        .finish()
}
