//! The account page: the signed-in user's own sessions (browser, address,
//! sign-in time, last seen), each of which they can end, or all but this one.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use super::authorize::redirect_to;
use super::cookies::session_token;
use super::format::{describe_user_agent, format_time};
use super::{HttpError, client_ip, csrf, form_params, page_query, paths};
use crate::http::body::Body;
use crate::oauth::logout::AccountView;
use crate::state::AppState;

struct SessionRow {
    sid: String,
    browser: String,
    ip: String,
    signed_in: String,
    last_seen: String,
    clients: String,
    current: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    username: &'a str,
    sessions: Vec<SessionRow>,
    others: bool,
    csrf_token: &'a str,
    notice: Option<String>,
}

pub async fn account_get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    let query = page_query(&req)?;
    let Some(view) = state
        .provider
        .account(
            session_token(&req, &state.web.cookies).as_deref(),
            state.now(),
        )
        .await
        .map_err(HttpError::page_from)?
    else {
        return Ok(redirect_to(paths::LOGIN, StatusCode::FOUND));
    };
    let notice = query
        .get("ended")
        .and_then(|n| n.parse::<usize>().ok())
        .map(|n| match n {
            1 => "1 session was signed out.".to_string(),
            n => format!("{n} sessions were signed out."),
        });
    let csrf = csrf::issue(&req, state.provider.pepper(), &state.web.cookies);
    let page = render(&view, &csrf.token, notice);
    Ok(super::page(&req, page, StatusCode::OK, csrf.cookie))
}

fn render<'a>(
    view: &'a AccountView,
    csrf_token: &'a str,
    notice: Option<String>,
) -> AccountPage<'a> {
    let sessions: Vec<SessionRow> = view
        .sessions
        .iter()
        .map(|listing| {
            let s = &listing.session;
            SessionRow {
                sid: s.sid.to_string(),
                browser: describe_user_agent(s.user_agent.as_deref()),
                ip: s.ip.clone().unwrap_or_else(|| "unknown".into()),
                signed_in: format_time(s.auth_time),
                last_seen: format_time(s.last_seen_at),
                clients: if listing.clients.is_empty() {
                    "none".into()
                } else {
                    listing
                        .clients
                        .iter()
                        .map(|c| c.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                },
                current: s.sid == view.current_sid,
            }
        })
        .collect();
    AccountPage {
        username: view.user.username.as_str(),
        others: sessions.iter().any(|s| !s.current),
        sessions,
        csrf_token,
        notice,
    }
}

/// `sid` ends that session; without it, every session but this one ends.
pub async fn sessions_end_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let form = form_params(&req, &body).map_err(HttpError::malformed_page)?;
    if let Err(name) = form.reject_repeated() {
        return Err(HttpError::page(
            StatusCode::BAD_REQUEST,
            "Invalid request",
            &format!("The {name} field was sent twice."),
        ));
    }
    if !csrf::verify(
        &req,
        state.provider.pepper(),
        &state.web.cookies,
        form.get(csrf::FIELD),
    ) {
        return Err(HttpError::page(
            StatusCode::FORBIDDEN,
            "The form expired",
            "Reload your sessions and try again.",
        ));
    }
    let ended = state
        .provider
        .end_own_sessions(
            session_token(&req, &state.web.cookies).as_deref(),
            form.get("sid"),
            client_ip(&req, &state.web.trusted_proxies),
            state.now(),
        )
        .await
        .map_err(HttpError::page_from)?;
    let location = match ended {
        Some(ended) => format!("{}?ended={}", paths::ACCOUNT, ended.sessions.len()),
        None => paths::LOGIN.to_string(),
    };
    Ok(redirect_to(&location, StatusCode::SEE_OTHER))
}
