//! `POST /introspect` (RFC 7662 §2): a resource server, authenticated as a
//! confidential client, asks whether a token is active.

use actix_web::{HttpRequest, HttpResponse, web};

use super::HttpError;
use super::credentials::{client_request, no_store};
use crate::http::body::Body;
use crate::state::AppState;

pub async fn introspect_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let (basic, params) = client_request(&req, &body)?;
    let answer = state
        .provider
        .introspect(basic, &params, state.now())
        .await
        .map_err(HttpError::OAuth)?;
    Ok(no_store().json(answer))
}
