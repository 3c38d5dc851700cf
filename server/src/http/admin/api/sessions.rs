//! `/admin/api/v1/sessions…`

use actix_web::{HttpRequest, HttpResponse, web};

use super::auth::{json, number, query};
use super::dto::{EndAllIn, EndedOut, SessionOut, SessionPage};
use super::users::ok;
use super::{ApiCaller, ApiError, Problem, WriteCaller};
use crate::admin::sessions::{self, END_ALL_CONFIRMATION, SessionsFilter};
use crate::http::body::Body;
use crate::state::AppState;

/// Live sessions, most recently used first, a page at a time.
#[utoipa::path(get, path = "/admin/api/v1/sessions", tag = "sessions",
    params(
        ("user_id" = Option<String>, Query, description = "Only this user's sessions"),
        ("client_id" = Option<String>, Query, description = "Only sessions in which this client received tokens"),
        ("ip" = Option<String>, Query, description = "Only sessions from this address"),
        ("cursor" = Option<String>, Query, description = "`next` of the previous page"),
        ("limit" = Option<u64>, Query, description = "At most 200; 50 by default"),
    ),
    responses((status = 200, body = SessionPage), (status = 401, body = Problem)),
    security(("bearer" = ["admin:read"])))]
pub async fn sessions_list(
    req: HttpRequest,
    state: web::Data<AppState>,
    _caller: ApiCaller,
) -> Result<HttpResponse, ApiError> {
    let params = query(&req)?;
    let page = sessions::sessions_page(
        state.provider.store(),
        SessionsFilter {
            user_id: params.get("user_id").map(str::to_string),
            client_id: params.get("client_id").map(str::to_string),
            ip: params.get("ip").map(str::to_string),
            cursor: params.get("cursor").map(str::to_string),
            limit: number(&params, "limit")?,
        },
        state.now(),
    )
    .await?;
    Ok(ok(SessionPage {
        items: page.items.iter().map(SessionOut::from).collect(),
        next: page.next,
    }))
}

/// End a session: its tokens are revoked and its applications told.
#[utoipa::path(delete, path = "/admin/api/v1/sessions/{id}", tag = "sessions",
    params(("id" = String, Path, description = "The session's public id (`sid`)")),
    responses((status = 200, body = EndedOut), (status = 404, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn sessions_end(
    state: web::Data<AppState>,
    caller: WriteCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ended =
        sessions::end_session(state.provider.store(), &id, caller.actor, state.now()).await?;
    Ok(ok(EndedOut::from(&ended)))
}

/// End every session there is. The body must confirm it.
#[utoipa::path(post, path = "/admin/api/v1/sessions/end-all", tag = "sessions",
    request_body = EndAllIn,
    responses((status = 200, body = EndedOut), (status = 422, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn sessions_end_all(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: WriteCaller,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let input: EndAllIn = json(&req, &body)?;
    if input.confirm != END_ALL_CONFIRMATION {
        return Err(ApiError::invalid(
            "confirm",
            format!("type exactly \"{END_ALL_CONFIRMATION}\""),
        ));
    }
    let ended =
        sessions::end_all_sessions(state.provider.store(), caller.actor, state.now()).await?;
    Ok(ok(EndedOut::from(&ended)))
}
