//! The hosted login page. A successful sign-in continues the parked
//! authorization request straight away, in the same response.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use super::authorize::step_response;
use super::cookies::{session_token, set_gateway_cookie, set_session_cookies};
use super::{HttpError, client_ip, csrf, form_params, page_query, paths, user_agent};
use crate::domain::{ReturnUrl, Secret};
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
    /// Where to return after signing in for an application behind a gateway.
    rd: Option<&'a str>,
}

const EXPIRED: &str = "This sign-in request has expired or was already completed. Go back to the application and try again.";

/// What the form continues to after signing in: a parked authorization
/// request, or a page of an application behind a gateway.
#[derive(Clone, Copy, Debug, Default)]
struct Target<'a> {
    request_id: Option<&'a str>,
    rd: Option<&'a ReturnUrl>,
}

/// Render the form, with a CSRF token (and its cookie if the browser has none).
async fn render(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    target: Target<'_>,
    username: Option<&str>,
    error: Option<&str>,
) -> Result<HttpResponse, HttpError> {
    let request_id = target.request_id;
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
        rd: target.rd.map(ReturnUrl::as_str),
    };
    Ok(super::page(req, page, status, csrf.cookie))
}

/// The return URL of a sign-in for an application behind a gateway, if it
/// is one Tessera may send the browser to (see `Provider::gateway_return`).
async fn return_url(state: &AppState, raw: Option<&str>) -> Result<Option<ReturnUrl>, HttpError> {
    match raw {
        Some(raw) => state
            .provider
            .gateway_return(raw, state.now())
            .await
            .map_err(HttpError::page_from),
        None => Ok(None),
    }
}

pub async fn login_get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    let query = page_query(&req)?;
    let request_id = query.get("request");
    let rd = match request_id {
        Some(_) => None,
        None => return_url(&state, query.get("rd")).await?,
    };
    if let Some(rd) = &rd
        && let Some(response) = back_to_application(&req, &state, rd).await?
    {
        return Ok(response);
    }
    let target = Target {
        request_id,
        rd: rd.as_ref(),
    };
    render(&req, &state, StatusCode::OK, target, None, None).await
}

/// A browser already signed in to Tessera that a gateway sent here (its
/// gateway cookie missing or stale) goes straight back with a renewed one.
async fn back_to_application(
    req: &HttpRequest,
    state: &AppState,
    rd: &ReturnUrl,
) -> Result<Option<HttpResponse>, HttpError> {
    let now = state.now();
    let token = session_token(req, &state.web.cookies);
    let Some((session, _)) = state
        .provider
        .current_session(token.as_deref(), now)
        .await
        .map_err(HttpError::page_from)?
    else {
        return Ok(None);
    };
    let Some(gateway) = state
        .provider
        .renew_gateway_token(&session)
        .await
        .map_err(HttpError::page_from)?
    else {
        // Without a gateway cookie the gateway would send the browser
        // straight back here: say so rather than loop.
        return Err(HttpError::page(
            StatusCode::CONFLICT,
            "Gateway not configured",
            "You are signed in, but this Tessera sets no gateway cookie (cookie_domain is not configured), so the application's gateway cannot see it.",
        ));
    };
    let mut response = step_response(
        AuthorizeStep::Redirect(rd.as_str().to_string()),
        StatusCode::SEE_OTHER,
    );
    set_gateway_cookie(&mut response, &state.web.cookies, gateway)?;
    Ok(Some(response))
}

/// The sign-in form's answer while every password check is taken.
pub const BUSY: &str = "Many people are signing in right now. Please try again in a moment.";

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
    let rd = match request_id {
        Some(_) => None,
        None => return_url(&state, form.get("rd")).await?,
    };
    let target = Target {
        request_id,
        rd: rd.as_ref(),
    };
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
        Err(LoginError::Busy) => {
            let mut response = render(
                &req,
                &state,
                StatusCode::SERVICE_UNAVAILABLE,
                target,
                Some(username),
                Some(BUSY),
            )
            .await?;
            response.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from_static("1"),
            );
            return Ok(response);
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
            AuthorizeStep::Redirect(
                rd.as_ref()
                    .map_or_else(|| paths::HOME.to_string(), |rd| rd.as_str().to_string()),
            ),
            StatusCode::SEE_OTHER,
        ),
    };
    set_session_cookies(&mut response, &state.web.cookies, tokens)?;
    Ok(response)
}
