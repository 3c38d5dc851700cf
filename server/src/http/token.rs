//! `POST /token` (RFC 6749 §3.2). Answers are JSON with `Cache-Control:
//! no-store` (§5.1), errors per §5.2.

use actix_web::{HttpRequest, HttpResponse, web};

use super::HttpError;
use super::credentials::{client_request, no_store};
use crate::http::body::Body;
use crate::state::AppState;

pub async fn token_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let (basic, params) = client_request(&req, &body)?;
    let response = state
        .provider
        .token(basic, &params, state.now())
        .await
        .map_err(HttpError::OAuth)?;
    Ok(no_store().json(response))
}
