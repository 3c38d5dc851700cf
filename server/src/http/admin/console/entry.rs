//! The console's entrance (`/admin`), its sign-in form and its exit.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use super::{Chrome, console_form, page_query, redirect, render};
use crate::admin::overview::{Overview, overview};
use crate::domain::Secret;
use crate::http::admin::console_session::{cleared_console_cookie, console_cookie, console_token};
use crate::http::body::Body;
use crate::http::cookies::{session_token, set_session_cookies};
use crate::http::login::BUSY;
use crate::http::{HttpError, client_ip, csrf, form_params, paths, user_agent};
use crate::oauth::OAuthError;
use crate::oauth::console::{ConsoleSignIn, ConsoleSignInError};
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
#[template(path = "admin/sign_in.html")]
struct SignInPage<'a> {
    username: &'a str,
    csrf_token: &'a str,
    error: Option<&'a str>,
}

fn cookie_error(e: impl std::fmt::Display) -> HttpError {
    HttpError::page_from(OAuthError::internal("console cookie", e))
}

/// `/admin`: the overview inside the console; at the door, the console's
/// own sign-in form. No cookie but the console's opens it, and only the
/// form below mints that cookie.
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
    // Who is signed in here is only a suggestion for the username field.
    let signed_in = state
        .provider
        .current_session(session_token(&req, &state.web.cookies).as_deref(), now)
        .await
        .map_err(HttpError::page_from)?;
    let username = signed_in
        .as_ref()
        .map(|(_, user)| user.username.as_str())
        .unwrap_or_default();
    Ok(sign_in_page(&req, &state, username, None, StatusCode::OK))
}

fn sign_in_page(
    req: &HttpRequest,
    state: &AppState,
    username: &str,
    error: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let token = csrf::issue(req, state.provider.pepper(), &state.web.cookies);
    crate::http::page(
        req,
        SignInPage {
            username,
            csrf_token: &token.token,
            error,
        },
        status,
        token.cookie,
    )
}

/// The console's sign-in form: a password typed on the console page, with
/// its CSRF token, posted by a browser from the console's own origin.
pub async fn sign_in_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Body,
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
        || !from_the_console_page(&req, &state.web.issuer)
    {
        return Ok(sign_in_page(
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
    let sso = session_token(&req, &state.web.cookies);
    let refused = |message: &str, status: StatusCode| {
        Ok(sign_in_page(&req, &state, &username, Some(message), status))
    };
    match state
        .provider
        .sign_in_to_console(sso.as_deref(), attempt, state.now())
        .await
    {
        Ok(ConsoleSignIn { session, console }) => {
            let mut response = redirect(paths::ADMIN);
            set_session_cookies(&mut response, &state.web.cookies, session)?;
            response
                .add_cookie(&console_cookie(&state.web.cookies, console))
                .map_err(cookie_error)?;
            Ok(response)
        }
        Err(ConsoleSignInError::NotAdmin) => Err(HttpError::page(
            StatusCode::FORBIDDEN,
            "Administrators only",
            "Your account does not have access to the admin console.",
        )),
        Err(ConsoleSignInError::Login(LoginError::InvalidCredentials)) => {
            refused("Incorrect username or password.", StatusCode::UNAUTHORIZED)
        }
        Err(ConsoleSignInError::Login(LoginError::Throttled)) => refused(
            "Too many failed attempts. Wait a few minutes and try again.",
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(ConsoleSignInError::Login(LoginError::Busy)) => {
            let mut response = sign_in_page(
                &req,
                &state,
                &username,
                Some(BUSY),
                StatusCode::SERVICE_UNAVAILABLE,
            );
            response.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from_static("1"),
            );
            Ok(response)
        }
        Err(ConsoleSignInError::Login(LoginError::Internal(err))) => Err(HttpError::page_from(err)),
    }
}

/// A browser posting the console's own form says where it comes from:
/// `Sec-Fetch-Site: same-origin`, or an `Origin` of this issuer. A request
/// saying neither (a replayed cookie from a server, a script) is refused.
fn from_the_console_page(req: &HttpRequest, issuer: &str) -> bool {
    let says = |name: &str| req.headers().contains_key(name);
    (says("origin") || says("sec-fetch-site"))
        && crate::http::admin::console_session::same_origin(req, issuer)
}

/// Leave the console; the SSO session stays.
pub async fn logout_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Body,
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
