//! `/userinfo` (OIDC Core §5.3), GET and POST. The access token comes in the
//! `Authorization: Bearer` header, or as `access_token` in a form body
//! (RFC 6750 §2.2) - never both.

use actix_web::http::header::{AUTHORIZATION, CACHE_CONTROL};
use actix_web::{HttpRequest, HttpResponse, web};

use super::{HttpError, is_form};
use crate::http::body::Body;
use crate::oauth::{OAuthError, Params};
use crate::state::AppState;

pub async fn userinfo_get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    let token = bearer(&req)?;
    respond(&state, token).await
}

pub async fn userinfo_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let header = bearer(&req)?;
    let form = if is_form(&req) {
        let params = Params::from_urlencoded(&body)
            .map_err(|e| HttpError::Bearer(OAuthError::invalid_request(e.to_string())))?;
        if let Err(name) = params.reject_repeated() {
            return Err(HttpError::Bearer(OAuthError::invalid_request(format!(
                "the {name} parameter is repeated"
            ))));
        }
        params.get("access_token").map(str::to_string)
    } else {
        None
    };
    let token = match (header, form) {
        (Some(_), Some(_)) => {
            return Err(HttpError::Bearer(OAuthError::invalid_request(
                "send the access token in one place only",
            )));
        }
        (header, form) => header.or(form),
    };
    respond(&state, token).await
}

async fn respond(state: &AppState, token: Option<String>) -> Result<HttpResponse, HttpError> {
    let token = token.ok_or(HttpError::BearerMissing)?;
    let claims = state
        .provider
        .userinfo(&token, state.now())
        .await
        .map_err(HttpError::Bearer)?;
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(claims))
}

/// The token of an `Authorization: Bearer` header, if there is one.
fn bearer(req: &HttpRequest) -> Result<Option<String>, HttpError> {
    let Some(header) = req.headers().get(AUTHORIZATION) else {
        return Ok(None);
    };
    let value = header.to_str().unwrap_or_default();
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim().to_string()))
        }
        _ => Err(HttpError::Bearer(OAuthError::invalid_request(
            "the Authorization header must be Bearer <token>",
        ))),
    }
}
