//! Tessera's own landing page: who is signed in here, with a Sign out button.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use super::cookies::session_token;
use super::{HttpError, csrf};
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct HomePage<'a> {
    username: Option<&'a str>,
    csrf_token: &'a str,
}

pub async fn home_get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    let current = state
        .provider
        .current_session(
            session_token(&req, &state.web.cookies).as_deref(),
            state.now(),
        )
        .await
        .map_err(HttpError::page_from)?;
    let username = current.as_ref().map(|(_, user)| user.username.as_str());
    let csrf = csrf::issue(&req, state.provider.pepper(), &state.web.cookies);
    Ok(super::page(
        &req,
        HomePage {
            username,
            csrf_token: &csrf.token,
        },
        StatusCode::OK,
        csrf.cookie,
    ))
}
