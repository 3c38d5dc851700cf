//! Tessera's own landing page: who is signed in here.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use super::HttpError;
use super::cookies::session_token;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct HomePage<'a> {
    username: Option<&'a str>,
}

pub async fn home_get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    let current = state
        .provider
        .current_session(session_token(&req).as_deref(), state.now())
        .await
        .map_err(HttpError::page_from)?;
    let username = current.as_ref().map(|(_, user)| user.username.as_str());
    Ok(super::page(
        &req,
        HomePage { username },
        StatusCode::OK,
        None,
    ))
}
