//! The console's Sessions page: every live session, filtered by user,
//! client and address; ending one, a user's, or all of them.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use super::rows::SessionRow;
use super::{
    Chrome, console_for_page, console_form, ended, failed, next_link, page_query, render,
    return_path,
};
use crate::admin::sessions::{self, END_ALL_CONFIRMATION, SessionsFilter};
use crate::admin::users::{UserRef, find_user};
use crate::domain::Actor;
use crate::http::HttpError;
use crate::http::body::Body;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "admin/sessions.html")]
struct SessionsPage {
    chrome: Chrome,
    sessions: Vec<SessionRow>,
    filter_user: String,
    filter_client: String,
    filter_ip: String,
    filtered_user_id: Option<String>,
    next: Option<String>,
    return_to: String,
}

pub async fn sessions_get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    let console = console_for_page(&req, &state).await?;
    let query = page_query(&req)?;
    let store = state.provider.store();
    let user = match query.get("user") {
        Some(name) => Some(
            find_user(store, UserRef::Username(name))
                .await
                .map_err(failed)?,
        ),
        None => None,
    };
    let page = sessions::sessions_page(
        store,
        SessionsFilter {
            user_id: user.as_ref().map(|u| u.id.to_string()),
            client_id: query.get("client").map(str::to_string),
            ip: query.get("ip").map(str::to_string),
            cursor: query.get("cursor").map(str::to_string),
            limit: None,
        },
        state.now(),
    )
    .await
    .map_err(failed)?;
    let next = page
        .next
        .as_deref()
        .map(|c| next_link("/admin/sessions", &query, &["user", "client", "ip"], c));
    let return_to = format!("/admin/sessions?{}", req.query_string());
    Ok(render(
        &req,
        SessionsPage {
            chrome: Chrome::new("sessions", &console, &state, &query),
            sessions: page.items.iter().map(SessionRow::from).collect(),
            filter_user: query.get("user").unwrap_or_default().into(),
            filter_client: query.get("client").unwrap_or_default().into(),
            filter_ip: query.get("ip").unwrap_or_default().into(),
            filtered_user_id: user.map(|u| u.id.to_string()),
            next,
            return_to,
        },
    ))
}

pub async fn session_end_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    sid: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let (console, form) = console_form(&req, &state, &body).await?;
    let result = sessions::end_session(
        state.provider.store(),
        &sid,
        Actor::Admin(console.user.id.clone()),
        state.now(),
    )
    .await
    .map_err(failed)?;
    let back = return_path(&form, "/admin/sessions");
    let back = back
        .split('?')
        .next()
        .unwrap_or("/admin/sessions")
        .to_string();
    Ok(ended(&back, &result))
}

pub async fn sessions_end_all_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let (console, form) = console_form(&req, &state, &body).await?;
    if form.get("confirm").map(str::trim) != Some(END_ALL_CONFIRMATION) {
        return Err(HttpError::page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Nothing was ended",
            &format!("Type \"{END_ALL_CONFIRMATION}\" to confirm."),
        ));
    }
    let result = sessions::end_all_sessions(
        state.provider.store(),
        Actor::Admin(console.user.id.clone()),
        state.now(),
    )
    .await
    .map_err(failed)?;
    Ok(ended("/admin/sessions", &result))
}
