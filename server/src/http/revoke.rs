//! `POST /revoke` (RFC 7009 §2): a client revokes one of its tokens. The
//! answer is 200 whether or not there was anything to revoke (§2.2).

use actix_web::{HttpRequest, HttpResponse, web};

use super::HttpError;
use super::credentials::{client_request, no_store};
use crate::http::body::Body;
use crate::state::AppState;

pub async fn revoke_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let (basic, params) = client_request(&req, &body)?;
    state
        .provider
        .revoke(basic, &params, state.now())
        .await
        .map_err(HttpError::OAuth)?;
    Ok(no_store().finish())
}
