//! The hosted login page. A successful sign-in continues the parked
//! authorization request straight away, in the same response.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use super::authorize::step_response;
use super::cookies::{session_token, set_session_cookies};
use super::{HttpError, client_ip, csrf, form_params, page_query, paths, user_agent};
use crate::domain::Secret;
use crate::http::body::Body;
use crate::oauth::AuthorizeStep;
use crate::oauth::login::{LoginAttempt, LoginError};
use crate::oauth::session::ClientInfo;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "auth/login.html")]
struct LoginPage<'a> {
    client_name: Option<&'a str>,
    username: &'a str,
    error: Option<&'a str>,
    csrf_token: &'a str,
    request_id: Option<&'a str>,
}

const EXPIRED: &str = "This sign-in request has expired or was already completed. Go back to the application and try again.";

/// Render the form, with a CSRF token (and its cookie if the browser has none).
async fn render(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    request_id: Option<&str>,
    username: Option<&str>,
    error: Option<&str>,
) -> Result<HttpResponse, HttpError> {
    let context = match request_id {
        Some(id) => match state
            .provider
            .login_context(id)
            .await
            .map_err(HttpError::page_from)?
        {
            Some(context) => Some(context),
            None => {
                return Err(HttpError::page(
                    StatusCode::BAD_REQUEST,
                    "Sign-in expired",
                    EXPIRED,
                ));
            }
        },
        None => None,
    };
    let csrf = csrf::issue(req, state.provider.pepper(), &state.web.cookies);
    let hint = context.as_ref().and_then(|c| c.login_hint.as_deref());
    // Echo what was typed, but not a page's worth of it.
    let username: String = username
        .or(hint)
        .unwrap_or_default()
        .chars()
        .take(256)
        .collect();
    let page = LoginPage {
        client_name: context.as_ref().map(|c| c.client_name.as_str()),
        username: &username,
        error,
        csrf_token: &csrf.token,
        request_id,
    };
    Ok(super::page(req, page, status, csrf.cookie))
}

pub async fn login_get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    let query = page_query(&req)?;
    render(
        &req,
        &state,
        StatusCode::OK,
        query.get("request"),
        None,
        None,
    )
    .await
}

pub async fn login_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let form = form_params(&req, &body).map_err(HttpError::malformed_page)?;
    if let Err(name) = form.reject_repeated() {
        return Err(HttpError::page(
            StatusCode::BAD_REQUEST,
            "Invalid sign-in",
            &format!("The {name} field was sent twice."),
        ));
    }
    let request_id = form.get("request");
    let target = request_id;
    let username = form.get("username").unwrap_or_default();
    if !csrf::verify(
        &req,
        state.provider.pepper(),
        &state.web.cookies,
        form.get(csrf::FIELD),
    ) {
        let message = "The form expired. Please sign in again.";
        return render(
            &req,
            &state,
            StatusCode::FORBIDDEN,
            target,
            Some(username),
            Some(message),
        )
        .await;
    }
    let attempt = LoginAttempt {
        username: username.to_string(),
        password: Secret::new(form.get("password").unwrap_or_default()),
        client: ClientInfo {
            ip: client_ip(&req, &state.web.trusted_proxies),
            user_agent: user_agent(&req),
        },
    };
    let now = state.now();
    let current = session_token(&req, &state.web.cookies);
    let tokens = match state.provider.login(attempt, current.as_deref(), now).await {
        Ok(tokens) => tokens,
        Err(LoginError::InvalidCredentials) => {
            let message = "Incorrect username or password.";
            return render(
                &req,
                &state,
                StatusCode::UNAUTHORIZED,
                target,
                Some(username),
                Some(message),
            )
            .await;
        }
        Err(LoginError::Throttled) => {
            let message = "Too many failed attempts. Wait a few minutes and try again.";
            return render(
                &req,
                &state,
                StatusCode::TOO_MANY_REQUESTS,
                target,
                Some(username),
                Some(message),
            )
            .await;
        }
        Err(LoginError::Internal(err)) => return Err(HttpError::page_from(err)),
    };

    let mut response = match request_id {
        Some(id) => {
            let step = state
                .provider
                .resume_after_login(id, &tokens.session, now)
                .await
                .map_err(HttpError::page_from)?;
            step_response(step, StatusCode::SEE_OTHER)
        }
        None => step_response(
            AuthorizeStep::Redirect(paths::HOME.to_string()),
            StatusCode::SEE_OTHER,
        ),
    };
    set_session_cookies(&mut response, &state.web.cookies, tokens)?;
    Ok(response)
}
