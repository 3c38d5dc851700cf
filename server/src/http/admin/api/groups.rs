//! `/admin/api/v1/groups…` and `/admin/api/v1/users/{id}/groups…`

use actix_web::{HttpRequest, HttpResponse, web};

use super::auth::json;
use super::dto::{GroupList, GroupOut, MemberOut, NewGroupIn, UserGroups};
use super::users::{created, ok};
use super::{ApiCaller, ApiError, Problem, WriteCaller};
use crate::admin::groups;
use crate::admin::users::UserRef;
use crate::domain::UserId;
use crate::http::body::Body;
use crate::state::AppState;

fn user_id(id: &str) -> Result<UserId, ApiError> {
    UserId::parse(id).ok_or_else(|| ApiError::NotFound(format!("user {id}")))
}

#[utoipa::path(get, path = "/admin/api/v1/groups", tag = "groups",
    responses((status = 200, body = GroupList), (status = 401, body = Problem)),
    security(("bearer" = ["admin:read"])))]
pub async fn groups_list(
    state: web::Data<AppState>,
    _caller: ApiCaller,
) -> Result<HttpResponse, ApiError> {
    let list = groups::list_groups(state.provider.store()).await?;
    Ok(ok(GroupList {
        items: list.iter().map(GroupOut::from).collect(),
    }))
}

#[utoipa::path(post, path = "/admin/api/v1/groups", tag = "groups", request_body = NewGroupIn,
    responses((status = 201, body = GroupOut), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn groups_create(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: WriteCaller,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let input: NewGroupIn = json(&req, &body)?;
    let group = groups::create_group(
        state.provider.store(),
        &input.name,
        &caller.actor,
        state.now(),
    )
    .await?;
    Ok(created(GroupOut::from(&group)))
}

/// A group with (the first thousand of) its members.
#[utoipa::path(get, path = "/admin/api/v1/groups/{name}", tag = "groups",
    params(("name" = String, Path)),
    responses((status = 200, body = GroupOut), (status = 404, body = Problem)),
    security(("bearer" = ["admin:read"])))]
pub async fn groups_get(
    state: web::Data<AppState>,
    _caller: ApiCaller,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (group, members) = groups::show_group(state.provider.store(), &name).await?;
    let mut out = GroupOut::from(&group);
    out.users = Some(
        members
            .into_iter()
            .map(|(id, username)| MemberOut {
                id: id.to_string(),
                username: username.as_str().to_string(),
            })
            .collect(),
    );
    Ok(ok(out))
}

/// Delete a group: its members leave it, applications stop allowing it.
#[utoipa::path(delete, path = "/admin/api/v1/groups/{name}", tag = "groups",
    params(("name" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn groups_delete(
    state: web::Data<AppState>,
    caller: WriteCaller,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    groups::delete_group(state.provider.store(), &name, &caller.actor, state.now()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The groups a user belongs to.
#[utoipa::path(get, path = "/admin/api/v1/users/{id}/groups", tag = "groups",
    params(("id" = String, Path)),
    responses((status = 200, body = UserGroups), (status = 404, body = Problem)),
    security(("bearer" = ["admin:read"])))]
pub async fn user_groups_get(
    state: web::Data<AppState>,
    _caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = user_id(&id)?;
    let names = groups::groups_of(state.provider.store(), UserRef::Id(&id)).await?;
    Ok(ok(UserGroups {
        groups: names.iter().map(ToString::to_string).collect(),
    }))
}

/// Make a user's groups exactly these.
#[utoipa::path(put, path = "/admin/api/v1/users/{id}/groups", tag = "groups",
    params(("id" = String, Path)), request_body = UserGroups,
    responses((status = 200, body = UserGroups), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn user_groups_set(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: WriteCaller,
    id: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let input: UserGroups = json(&req, &body)?;
    let id = user_id(&id)?;
    let names = groups::set_groups(
        state.provider.store(),
        UserRef::Id(&id),
        &input.groups,
        &caller.actor,
        state.now(),
    )
    .await?;
    Ok(ok(UserGroups {
        groups: names.iter().map(ToString::to_string).collect(),
    }))
}

/// Put a user in a group (nothing happens if they are in it).
#[utoipa::path(put, path = "/admin/api/v1/users/{id}/groups/{name}", tag = "groups",
    params(("id" = String, Path), ("name" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn user_groups_add(
    state: web::Data<AppState>,
    caller: WriteCaller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, name) = path.into_inner();
    let id = user_id(&id)?;
    groups::add_member(
        state.provider.store(),
        UserRef::Id(&id),
        &name,
        &caller.actor,
        state.now(),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Take a user out of a group (nothing happens if they are not in it).
#[utoipa::path(delete, path = "/admin/api/v1/users/{id}/groups/{name}", tag = "groups",
    params(("id" = String, Path), ("name" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn user_groups_remove(
    state: web::Data<AppState>,
    caller: WriteCaller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, name) = path.into_inner();
    let id = user_id(&id)?;
    groups::remove_member(
        state.provider.store(),
        UserRef::Id(&id),
        &name,
        &caller.actor,
        state.now(),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
