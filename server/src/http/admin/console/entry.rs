//! The console's entrance (`/admin`), its password check and its exit.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use super::{Chrome, console_form, page_query, redirect, render};
use crate::admin::overview::{Overview, overview};
use crate::domain::Secret;
use crate::http::admin::console_session::{cleared_console_cookie, console_cookie, console_token};
use crate::http::cookies::{session_cookie, session_token};
use crate::http::{HttpError, client_ip, csrf, form_params, paths, user_agent};
use crate::oauth::OAuthError;
use crate::oauth::console::ConsoleEntry;
use crate::oauth::login::{LoginAttempt, LoginError};
use crate::oauth::session::ClientInfo;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "admin/overview.html")]
struct OverviewPage {
    chrome: Chrome,
    o: Overview,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/reauth.html")]
struct ReauthPage<'a> {
    username: &'a str,
    csrf_token: &'a str,
    error: Option<&'a str>,
}

fn cookie_error(e: impl std::fmt::Display) -> HttpError {
    HttpError::page_from(OAuthError::internal("console cookie", e))
}

/// `/admin`: the overview inside the console; at the door, sign in, prove
/// it is you again, or be refused.
pub async fn console_get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    let query = page_query(&req)?;
    let now = state.now();
    if let Some(token) = console_token(&req, &state.web.cookies)
        && let Some(console) = state
            .provider
            .console(&token, now)
            .await
            .map_err(HttpError::page_from)?
    {
        let o = overview(state.provider.store(), now)
            .await
            .map_err(super::failed)?;
        let chrome = Chrome::new("overview", &console, &state, &query);
        return Ok(render(&req, OverviewPage { chrome, o }));
    }
    let entry = state
        .provider
        .enter_console(session_token(&req).as_deref(), now)
        .await
        .map_err(HttpError::page_from)?;
    match entry {
        ConsoleEntry::SignIn => Ok(redirect(&format!(
            "{}?return={}",
            paths::LOGIN,
            paths::ADMIN
        ))),
        ConsoleEntry::Forbidden(_) => Err(HttpError::page(
            StatusCode::FORBIDDEN,
            "Administrators only",
            "Your account does not have access to the admin console.",
        )),
        ConsoleEntry::Reauthenticate(user) => Ok(reauth_page(
            &req,
            &state,
            user.username.as_str(),
            None,
            StatusCode::OK,
        )),
        ConsoleEntry::Opened { token, .. } => {
            let mut response = redirect(paths::ADMIN);
            response
                .add_cookie(&console_cookie(&state.web.cookies, token))
                .map_err(cookie_error)?;
            Ok(response)
        }
    }
}

fn reauth_page(
    req: &HttpRequest,
    state: &AppState,
    username: &str,
    error: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let token = csrf::issue(req, state.provider.pepper(), &state.web.cookies);
    crate::http::page(
        req,
        ReauthPage {
            username,
            csrf_token: &token.token,
            error,
        },
        status,
        token.cookie,
    )
}

/// The password form of the entrance.
pub async fn reauth_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, HttpError> {
    let form = form_params(&req, &body).map_err(HttpError::malformed_page)?;
    let username = form.get("username").unwrap_or_default().to_string();
    if form.reject_repeated().is_err()
        || !csrf::verify(
            &req,
            state.provider.pepper(),
            &state.web.cookies,
            form.get(csrf::FIELD),
        )
        || !crate::http::admin::console_session::same_origin(&req, &state.web.issuer)
    {
        return Ok(reauth_page(
            &req,
            &state,
            &username,
            Some("The form expired. Please try again."),
            StatusCode::FORBIDDEN,
        ));
    }
    let attempt = LoginAttempt {
        username: username.clone(),
        password: Secret::new(form.get("password").unwrap_or_default()),
        client: ClientInfo {
            ip: client_ip(&req, &state.web.trusted_proxies),
            user_agent: user_agent(&req),
        },
    };
    let sso = session_token(&req);
    match state
        .provider
        .reauthenticate_for_console(sso.as_deref(), attempt, state.now())
        .await
    {
        Ok((sso, console)) => {
            let mut response = redirect(paths::ADMIN);
            response
                .add_cookie(&session_cookie(&state.web.cookies, sso))
                .map_err(cookie_error)?;
            response
                .add_cookie(&console_cookie(&state.web.cookies, console))
                .map_err(cookie_error)?;
            Ok(response)
        }
        Err(LoginError::InvalidCredentials) => Ok(reauth_page(
            &req,
            &state,
            &username,
            Some("Incorrect password."),
            StatusCode::UNAUTHORIZED,
        )),
        Err(LoginError::Throttled) => Ok(reauth_page(
            &req,
            &state,
            &username,
            Some("Too many failed attempts. Wait a few minutes and try again."),
            StatusCode::TOO_MANY_REQUESTS,
        )),
        Err(LoginError::Internal(err)) => Err(HttpError::page_from(err)),
    }
}

/// Leave the console; the SSO session stays.
pub async fn logout_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, HttpError> {
    let _ = console_form(&req, &state, &body).await?;
    if let Some(token) = console_token(&req, &state.web.cookies) {
        state
            .provider
            .leave_console(&token)
            .await
            .map_err(HttpError::page_from)?;
    }
    let mut response = redirect(paths::HOME);
    response
        .add_cookie(&cleared_console_cookie(&state.web.cookies))
        .map_err(cookie_error)?;
    Ok(response)
}
