//! The end-session endpoint (OIDC RP-Initiated Logout 1.0 §2), GET and POST,
//! and the pages around it: the confirmation form and the signed-out page.
//! The user's own Sign out buttons post the confirmation form directly.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use super::authorize::redirect_to;
use super::cookies::{clear_session_cookies, session_token};
use super::{HttpError, client_ip, csrf, form_params, query_params};
use crate::http::body::Body;
use crate::oauth::Params;
use crate::oauth::logout::{LogoutConfirmation, LogoutStep};
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "auth/logout.html")]
struct ConfirmPage<'a> {
    client_name: Option<&'a str>,
    username: Option<&'a str>,
    carry: &'a [(&'static str, String)],
    csrf_token: &'a str,
    error: Option<&'a str>,
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/signed_out.html")]
struct SignedOutPage;

pub async fn logout_get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    let params = query_params(&req).map_err(HttpError::malformed_page)?;
    end_session(&req, &state, params, false, None).await
}

pub async fn logout_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let params = form_params(&req, &body).map_err(HttpError::malformed_page)?;
    // The confirmation form (and every Sign out button) says `confirm=yes`
    // and carries a CSRF token; an application's POST carries neither.
    let (confirmed, error) = if params.get("confirm") == Some("yes") {
        let valid = csrf::verify(
            &req,
            state.provider.pepper(),
            &state.web.cookies,
            params.get(csrf::FIELD),
        );
        (
            valid,
            (!valid).then_some("The form expired. Please confirm again."),
        )
    } else {
        (false, None)
    };
    end_session(&req, &state, params, confirmed, error).await
}

async fn end_session(
    req: &HttpRequest,
    state: &AppState,
    params: Params,
    confirmed: bool,
    error: Option<&str>,
) -> Result<HttpResponse, HttpError> {
    let step = state
        .provider
        .end_session_request(
            &params,
            session_token(req, &state.web.cookies).as_deref(),
            confirmed,
            client_ip(req, &state.web.trusted_proxies),
            state.now(),
        )
        .await
        .map_err(HttpError::page_from)?;
    match step {
        LogoutStep::ErrorPage(message) => Err(HttpError::page(
            StatusCode::BAD_REQUEST,
            "Invalid sign-out request",
            &message,
        )),
        LogoutStep::Confirm(confirmation) => Ok(confirm_page(req, state, &confirmation, error)),
        LogoutStep::SignedOut { redirect } => {
            let mut response = match redirect {
                Some(location) => redirect_to(&location, StatusCode::SEE_OTHER),
                None => super::page(req, SignedOutPage, StatusCode::OK, None),
            };
            clear_session_cookies(&mut response, &state.web.cookies)?;
            Ok(response)
        }
    }
}

fn confirm_page(
    req: &HttpRequest,
    state: &AppState,
    confirmation: &LogoutConfirmation,
    error: Option<&str>,
) -> HttpResponse {
    let csrf = csrf::issue(req, state.provider.pepper(), &state.web.cookies);
    let status = if error.is_some() {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::OK
    };
    super::page(
        req,
        ConfirmPage {
            client_name: confirmation.client_name.as_deref(),
            username: confirmation.username.as_deref(),
            carry: &confirmation.carry,
            csrf_token: &csrf.token,
            error,
        },
        status,
        csrf.cookie,
    )
}
