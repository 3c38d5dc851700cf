//! The consent page for third-party clients (OIDC Core §3.1.2.4).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use super::authorize::step_response;
use super::cookies::session_token;
use super::{HttpError, csrf, form_params, page_query};
use crate::http::body::Body;
use crate::oauth::consent::ConsentPage;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "auth/consent.html")]
struct ConsentTemplate<'a> {
    client_name: &'a str,
    username: &'a str,
    scopes: &'a [String],
    csrf_token: &'a str,
    request_id: &'a str,
    error: Option<&'a str>,
}

async fn show(
    req: &HttpRequest,
    state: &AppState,
    request_id: &str,
    status: StatusCode,
    error: Option<&str>,
) -> Result<HttpResponse, HttpError> {
    let page = state
        .provider
        .consent_page(
            request_id,
            session_token(req, &state.web.cookies).as_deref(),
            state.now(),
        )
        .await
        .map_err(HttpError::page_from)?;
    let view = match page {
        ConsentPage::Show(view) => view,
        ConsentPage::Step(step) => return Ok(step_response(step, StatusCode::FOUND)),
    };
    let csrf = csrf::issue(req, state.provider.pepper(), &state.web.cookies);
    let template = ConsentTemplate {
        client_name: &view.client_name,
        username: &view.username,
        scopes: &view.scopes,
        csrf_token: &csrf.token,
        request_id,
        error,
    };
    Ok(super::page(req, template, status, csrf.cookie))
}

pub async fn consent_get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    let query = page_query(&req)?;
    let request_id = query.get("request").unwrap_or_default();
    show(&req, &state, request_id, StatusCode::OK, None).await
}

pub async fn consent_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let form = form_params(&req, &body).map_err(HttpError::malformed_page)?;
    if let Err(name) = form.reject_repeated() {
        return Err(HttpError::page(
            StatusCode::BAD_REQUEST,
            "Invalid answer",
            &format!("The {name} field was sent twice."),
        ));
    }
    let request_id = form.get("request").unwrap_or_default();
    if !csrf::verify(
        &req,
        state.provider.pepper(),
        &state.web.cookies,
        form.get(csrf::FIELD),
    ) {
        let message = "The form expired. Please answer again.";
        return show(
            &req,
            &state,
            request_id,
            StatusCode::FORBIDDEN,
            Some(message),
        )
        .await;
    }
    let approve = form.get("decision") == Some("approve");
    let step = state
        .provider
        .consent_decision(
            request_id,
            session_token(&req, &state.web.cookies).as_deref(),
            approve,
            state.now(),
        )
        .await
        .map_err(HttpError::page_from)?;
    Ok(step_response(step, StatusCode::SEE_OTHER))
}
