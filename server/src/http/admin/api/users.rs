//! `/admin/api/v1/users…`

use actix_web::{HttpRequest, HttpResponse, web};

use super::auth::{json, number, query};
use super::dto::{
    ConsentOut, CreatedUserOut, EndedOut, NewUserIn, PasswordIn, PasswordOut, RevokedOut, UserOut,
    UserPage, UserPatch,
};
use super::{ApiCaller, ApiError, Problem, WriteCaller};
use crate::admin::users::{self, NewUser, UserRef, UserUpdate};
use crate::admin::{self as use_cases};
use crate::domain::crypto::random_token;
use crate::domain::{Secret, UserId};
use crate::http::body::Body;
use crate::state::AppState;

pub(super) fn ok<T: serde::Serialize>(value: T) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(value)
}

pub(super) fn created<T: serde::Serialize>(value: T) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(value)
}

fn user_id(id: &str) -> Result<UserId, ApiError> {
    UserId::parse(id).ok_or_else(|| ApiError::NotFound(format!("user {id}")))
}

/// Users by username, a page at a time; `search` matches the start of the
/// username or email address.
#[utoipa::path(get, path = "/admin/api/v1/users", tag = "users",
    params(
        ("search" = Option<String>, Query, description = "Start of a username or email address"),
        ("cursor" = Option<String>, Query, description = "`next` of the previous page"),
        ("limit" = Option<u64>, Query, description = "At most 200; 50 by default"),
    ),
    responses((status = 200, body = UserPage), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = ["admin:read"])))]
pub async fn users_list(
    req: HttpRequest,
    state: web::Data<AppState>,
    _caller: ApiCaller,
) -> Result<HttpResponse, ApiError> {
    let params = query(&req)?;
    let page = users::users_page(
        state.provider.store(),
        params.get("search"),
        params.get("cursor"),
        number(&params, "limit")?,
    )
    .await?;
    Ok(ok(UserPage {
        items: page.items.iter().map(UserOut::from).collect(),
        next: page.next,
    }))
}

#[utoipa::path(post, path = "/admin/api/v1/users", tag = "users", request_body = NewUserIn,
    responses((status = 201, body = CreatedUserOut), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn users_create(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: WriteCaller,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let input: NewUserIn = json(&req, &body)?;
    let made = users::create_user(
        state.provider.store(),
        state.provider.passwords(),
        NewUser {
            username: input.username,
            password: input.password.map(Secret::new),
            email: input.email,
            email_verified: input.email_verified,
            name: input.name,
            given_name: input.given_name,
            family_name: input.family_name,
            is_admin: input.admin,
        },
        &caller.actor,
        state.now(),
    )
    .await?;
    Ok(created(CreatedUserOut {
        user: UserOut::from(&made.user),
        password: made.generated_password.map(|p| p.expose().to_string()),
    }))
}

#[utoipa::path(get, path = "/admin/api/v1/users/{id}", tag = "users",
    params(("id" = String, Path)),
    responses((status = 200, body = UserOut), (status = 404, body = Problem)),
    security(("bearer" = ["admin:read"])))]
pub async fn users_get(
    state: web::Data<AppState>,
    _caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = user_id(&id)?;
    let user = users::find_user(state.provider.store(), UserRef::Id(&id)).await?;
    Ok(ok(UserOut::from(&user)))
}

/// Change a user's profile, enable or disable them, give or take the admin role.
#[utoipa::path(patch, path = "/admin/api/v1/users/{id}", tag = "users",
    params(("id" = String, Path)), request_body = UserPatch,
    responses((status = 200, body = UserOut), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn users_update(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: WriteCaller,
    id: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let id = user_id(&id)?;
    let patch: UserPatch = json(&req, &body)?;
    let store = state.provider.store();
    let now = state.now();
    let mut user = users::find_user(store, UserRef::Id(&id)).await?;
    let profile = UserUpdate {
        email: patch.email,
        email_verified: patch.email_verified,
        name: patch.name,
        given_name: patch.given_name,
        family_name: patch.family_name,
    };
    if profile.email.is_some()
        || profile.email_verified.is_some()
        || profile.name.is_some()
        || profile.given_name.is_some()
        || profile.family_name.is_some()
    {
        user = users::update_user(store, UserRef::Id(&id), profile, &caller.actor, now).await?;
    }
    if let Some(disabled) = patch.disabled
        && disabled != user.disabled
    {
        user = users::set_disabled(store, &id, disabled, caller.actor.clone(), now)
            .await?
            .0;
    }
    if let Some(admin) = patch.admin
        && admin != user.is_admin
    {
        user = users::set_admin(store, &id, admin, &caller.actor, now).await?;
    }
    Ok(ok(UserOut::from(&user)))
}

/// Delete a user: their sessions end, their tokens and consents go.
#[utoipa::path(delete, path = "/admin/api/v1/users/{id}", tag = "users",
    params(("id" = String, Path)),
    responses((status = 200, body = EndedOut), (status = 404, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn users_delete(
    state: web::Data<AppState>,
    caller: WriteCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = user_id(&id)?;
    let ended = users::delete_user(state.provider.store(), &id, caller.actor, state.now()).await?;
    Ok(ok(EndedOut::from(&ended)))
}

/// End every session of the user and revoke all of their tokens.
#[utoipa::path(post, path = "/admin/api/v1/users/{id}/logout", tag = "users",
    params(("id" = String, Path)),
    responses((status = 200, body = EndedOut), (status = 404, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn users_logout(
    state: web::Data<AppState>,
    caller: WriteCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = user_id(&id)?;
    let ended =
        use_cases::sessions::logout_user(state.provider.store(), &id, caller.actor, state.now())
            .await?;
    Ok(ok(EndedOut::from(&ended)))
}

/// Set a password (generated and returned once when none is given); every
/// session of the user ends.
#[utoipa::path(post, path = "/admin/api/v1/users/{id}/password", tag = "users",
    params(("id" = String, Path)), request_body = PasswordIn,
    responses((status = 200, body = PasswordOut), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn users_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: WriteCaller,
    id: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let id = user_id(&id)?;
    let input: PasswordIn = if body.is_empty() {
        PasswordIn::default()
    } else {
        json(&req, &body)?
    };
    let (password, generated) = match input.password {
        Some(password) => (Secret::new(password), false),
        None => (Secret::new(random_token(18)), true),
    };
    let ended = users::set_password(
        state.provider.store(),
        state.provider.passwords(),
        &id,
        password.clone(),
        caller.actor,
        state.now(),
    )
    .await?;
    Ok(ok(PasswordOut {
        password: generated.then(|| password.expose().to_string()),
        ended: EndedOut::from(&ended),
    }))
}

/// Let a user whose sign-ins are throttled try again at once.
#[utoipa::path(post, path = "/admin/api/v1/users/{id}/unlock", tag = "users",
    params(("id" = String, Path)),
    responses((status = 200, body = UserOut), (status = 404, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn users_unlock(
    state: web::Data<AppState>,
    caller: WriteCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = user_id(&id)?;
    let user = users::unlock(state.provider.store(), &id, &caller.actor, state.now()).await?;
    Ok(ok(UserOut::from(&user)))
}

#[utoipa::path(get, path = "/admin/api/v1/users/{id}/consents", tag = "users",
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<ConsentOut>), (status = 404, body = Problem)),
    security(("bearer" = ["admin:read"])))]
pub async fn consents_list(
    state: web::Data<AppState>,
    _caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = user_id(&id)?;
    let consents = users::consents(state.provider.store(), &id).await?;
    Ok(ok(consents
        .iter()
        .map(ConsentOut::from)
        .collect::<Vec<_>>()))
}

/// Withdraw the user's consent to a client; the client's tokens for the user are revoked.
#[utoipa::path(delete, path = "/admin/api/v1/users/{id}/consents/{client_id}", tag = "users",
    params(("id" = String, Path), ("client_id" = String, Path)),
    responses((status = 200, body = RevokedOut), (status = 404, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn consents_revoke(
    state: web::Data<AppState>,
    caller: WriteCaller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, client) = path.into_inner();
    let id = user_id(&id)?;
    let revoked = users::revoke_consent(
        state.provider.store(),
        &id,
        &client,
        &caller.actor,
        state.now(),
    )
    .await?;
    Ok(ok(RevokedOut {
        families_revoked: revoked,
    }))
}
