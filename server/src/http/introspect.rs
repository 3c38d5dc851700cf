//! `POST /introspect` (RFC 7662 §2): a resource server, authenticated as a
//! confidential client, asks whether a token is active.

use actix_web::http::header::{CACHE_CONTROL, PRAGMA};
use actix_web::{HttpRequest, HttpResponse, web};

use super::credentials::basic_credentials;
use super::{HttpError, is_form};
use crate::oauth::{OAuthError, Params};
use crate::state::AppState;

pub async fn introspect_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, HttpError> {
    if !is_form(&req) {
        return Err(HttpError::OAuth(OAuthError::invalid_request(
            "the body must be application/x-www-form-urlencoded",
        )));
    }
    let basic = basic_credentials(&req).map_err(HttpError::OAuth)?;
    let params = Params::from_urlencoded(&body).map_err(HttpError::malformed)?;
    let answer = state
        .provider
        .introspect(basic, &params, state.now())
        .await
        .map_err(HttpError::OAuth)?;
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((PRAGMA, "no-cache"))
        .json(answer))
}
