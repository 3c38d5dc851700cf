//! `/admin/api/v1/apis…`: API resources, their roles and who holds them;
//! `/admin/api/v1/clients/{id}/apis…`: what a client may do with each.
//! An API is named in a path by its id or its URL-encoded identifier.

use actix_web::{HttpRequest, HttpResponse, web};

use super::auth::json;
use super::dto::{
    ApiList, ApiOut, ApiPatch, ClientApiIn, ClientApiList, ClientApiOut, NewApiIn, RoleIn, RoleOut,
};
use super::users::{created, ok};
use super::{ApiCaller, ApiError, Problem, WriteCaller};
use crate::admin::apis::{self, ApiUpdate, Holder, NewApi};
use crate::admin::users::UserRef;
use crate::domain::{ApiAllowance, Scopes, SigningAlg, TokenFormat};
use crate::http::body::Body;
use crate::state::AppState;

fn alg(value: Option<&str>) -> Result<Option<SigningAlg>, ApiError> {
    value
        .map(|a| {
            a.parse::<SigningAlg>()
                .map_err(|e| ApiError::invalid("access_token_alg", e.to_string()))
        })
        .transpose()
}

fn format(value: Option<&str>) -> Result<Option<TokenFormat>, ApiError> {
    value
        .map(|f| {
            f.parse::<TokenFormat>()
                .map_err(|e| ApiError::invalid("token_format", e.to_string()))
        })
        .transpose()
}

fn default_lifetime(state: &AppState) -> i64 {
    state.provider.config().access_token_lifetime
}

async fn api_out(state: &AppState, api: &str) -> Result<ApiOut, ApiError> {
    let (api, roles) = apis::show_api(state.provider.store(), api).await?;
    Ok(ApiOut::new(&api, &roles))
}

#[utoipa::path(get, path = "/admin/api/v1/apis", tag = "apis",
    responses((status = 200, body = ApiList), (status = 401, body = Problem)),
    security(("bearer" = ["admin:read"])))]
pub async fn apis_list(
    state: web::Data<AppState>,
    _caller: ApiCaller,
) -> Result<HttpResponse, ApiError> {
    let store = state.provider.store();
    let mut items = Vec::new();
    for api in apis::list_apis(store).await? {
        let roles = store
            .roles_of_api(&api.id)
            .await
            .map_err(crate::admin::AdminError::from)?;
        items.push(ApiOut::new(&api, &roles));
    }
    Ok(ok(ApiList { items }))
}

/// Register an API.
#[utoipa::path(post, path = "/admin/api/v1/apis", tag = "apis", request_body = NewApiIn,
    responses((status = 201, body = ApiOut), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn apis_create(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: WriteCaller,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let input: NewApiIn = json(&req, &body)?;
    let new = NewApi {
        identifier: input.identifier,
        name: input.name,
        scopes: input.scopes,
        token_format: format(input.token_format.as_deref())?,
        access_token_alg: alg(input.access_token_alg.as_deref())?,
        lifetime: input.lifetime,
        introspectors: input.introspectors,
    };
    let api = apis::create_api(
        state.provider.store(),
        new,
        default_lifetime(&state),
        &caller.actor,
        state.now(),
    )
    .await?;
    Ok(created(ApiOut::new(&api, &[])))
}

#[utoipa::path(get, path = "/admin/api/v1/apis/{id}", tag = "apis",
    params(("id" = String, Path, description = "The API's id or identifier")),
    responses((status = 200, body = ApiOut), (status = 404, body = Problem)),
    security(("bearer" = ["admin:read"])))]
pub async fn apis_get(
    state: web::Data<AppState>,
    _caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(ok(api_out(&state, &id).await?))
}

#[utoipa::path(patch, path = "/admin/api/v1/apis/{id}", tag = "apis",
    params(("id" = String, Path, description = "The API's id or identifier")),
    request_body = ApiPatch,
    responses((status = 200, body = ApiOut), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn apis_update(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: WriteCaller,
    id: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let patch: ApiPatch = json(&req, &body)?;
    let update = ApiUpdate {
        name: patch.name,
        scopes: patch.scopes,
        token_format: format(patch.token_format.as_deref())?,
        access_token_alg: alg(patch.access_token_alg.as_deref())?,
        lifetime: patch.lifetime,
        introspectors: patch.introspectors,
    };
    let api = apis::update_api(
        state.provider.store(),
        &id,
        update,
        &caller.actor,
        state.now(),
    )
    .await?;
    Ok(ok(api_out(&state, &api.id).await?))
}

/// Remove an API: tokens for it are refused from then on.
#[utoipa::path(delete, path = "/admin/api/v1/apis/{id}", tag = "apis",
    params(("id" = String, Path, description = "The API's id or identifier")),
    responses((status = 204), (status = 404, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn apis_delete(
    state: web::Data<AppState>,
    caller: WriteCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    apis::delete_api(state.provider.store(), &id, &caller.actor, state.now()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Define a role, or replace its permissions.
#[utoipa::path(put, path = "/admin/api/v1/apis/{id}/roles/{role}", tag = "apis",
    params(("id" = String, Path, description = "The API's id or identifier"),
        ("role" = String, Path, description = "The role's name")),
    request_body = RoleIn,
    responses((status = 200, body = RoleOut), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn roles_put(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: WriteCaller,
    path: web::Path<(String, String)>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let input: RoleIn = json(&req, &body)?;
    let (api, role) = path.into_inner();
    let store = state.provider.store();
    let found = apis::find_api(store, &api).await?;
    let role = match apis::find_role(store, &found, &role).await {
        Ok(_) => {
            apis::set_role_permissions(
                store,
                &api,
                &role,
                &input.permissions,
                &caller.actor,
                state.now(),
            )
            .await?
        }
        Err(crate::admin::AdminError::NotFound(_)) => {
            apis::create_role(
                store,
                &api,
                &role,
                &input.permissions,
                &caller.actor,
                state.now(),
            )
            .await?
            .1
        }
        Err(other) => return Err(other.into()),
    };
    Ok(ok(RoleOut::from(&role)))
}

#[utoipa::path(delete, path = "/admin/api/v1/apis/{id}/roles/{role}", tag = "apis",
    params(("id" = String, Path, description = "The API's id or identifier"),
        ("role" = String, Path, description = "The role's name")),
    responses((status = 204), (status = 404, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn roles_delete(
    state: web::Data<AppState>,
    caller: WriteCaller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (api, role) = path.into_inner();
    apis::delete_role(
        state.provider.store(),
        &api,
        &role,
        &caller.actor,
        state.now(),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn assign(
    state: &AppState,
    caller: &WriteCaller,
    api: &str,
    role: &str,
    holder: Holder<'_>,
    give: bool,
) -> Result<HttpResponse, ApiError> {
    apis::assign_role(
        state.provider.store(),
        api,
        role,
        holder,
        give,
        &caller.actor,
        state.now(),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Give a role to a user (by id).
#[utoipa::path(put, path = "/admin/api/v1/apis/{id}/roles/{role}/users/{user}", tag = "apis",
    params(("id" = String, Path, description = "The API's id or identifier"),
        ("role" = String, Path), ("user" = String, Path, description = "The user's id")),
    responses((status = 204), (status = 404, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn role_users_put(
    state: web::Data<AppState>,
    caller: WriteCaller,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (api, role, user) = path.into_inner();
    let user = crate::domain::UserId::from_trusted(user);
    assign(
        &state,
        &caller,
        &api,
        &role,
        Holder::User(UserRef::Id(&user)),
        true,
    )
    .await
}

#[utoipa::path(delete, path = "/admin/api/v1/apis/{id}/roles/{role}/users/{user}", tag = "apis",
    params(("id" = String, Path, description = "The API's id or identifier"),
        ("role" = String, Path), ("user" = String, Path, description = "The user's id")),
    responses((status = 204), (status = 404, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn role_users_delete(
    state: web::Data<AppState>,
    caller: WriteCaller,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (api, role, user) = path.into_inner();
    let user = crate::domain::UserId::from_trusted(user);
    assign(
        &state,
        &caller,
        &api,
        &role,
        Holder::User(UserRef::Id(&user)),
        false,
    )
    .await
}

/// Give a role to every member of a group.
#[utoipa::path(put, path = "/admin/api/v1/apis/{id}/roles/{role}/groups/{group}", tag = "apis",
    params(("id" = String, Path, description = "The API's id or identifier"),
        ("role" = String, Path), ("group" = String, Path, description = "The group's name")),
    responses((status = 204), (status = 404, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn role_groups_put(
    state: web::Data<AppState>,
    caller: WriteCaller,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (api, role, group) = path.into_inner();
    assign(&state, &caller, &api, &role, Holder::Group(&group), true).await
}

#[utoipa::path(delete, path = "/admin/api/v1/apis/{id}/roles/{role}/groups/{group}", tag = "apis",
    params(("id" = String, Path, description = "The API's id or identifier"),
        ("role" = String, Path), ("group" = String, Path, description = "The group's name")),
    responses((status = 204), (status = 404, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn role_groups_delete(
    state: web::Data<AppState>,
    caller: WriteCaller,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (api, role, group) = path.into_inner();
    assign(&state, &caller, &api, &role, Holder::Group(&group), false).await
}

/// What a client may do with each API.
#[utoipa::path(get, path = "/admin/api/v1/clients/{id}/apis", tag = "apis",
    params(("id" = String, Path, description = "The client_id")),
    responses((status = 200, body = ClientApiList), (status = 404, body = Problem)),
    security(("bearer" = ["admin:read"])))]
pub async fn client_apis_list(
    state: web::Data<AppState>,
    _caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let store = state.provider.store();
    let client = crate::admin::clients::find(store, &id).await?;
    let list = store
        .allowances_of(&client.id)
        .await
        .map_err(crate::admin::AdminError::from)?;
    Ok(ok(ClientApiList {
        items: list
            .iter()
            .map(|(api, a)| ClientApiOut::new(api, a))
            .collect(),
    }))
}

/// Set what a client may do with an API (both rights false: nothing).
#[utoipa::path(put, path = "/admin/api/v1/clients/{id}/apis/{api}", tag = "apis",
    params(("id" = String, Path, description = "The client_id"),
        ("api" = String, Path, description = "The API's id or identifier")),
    request_body = ClientApiIn,
    responses((status = 200, body = ClientApiOut), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn client_apis_put(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: WriteCaller,
    path: web::Path<(String, String)>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let input: ClientApiIn = json(&req, &body)?;
    let (client, api) = path.into_inner();
    let scopes = input
        .scopes
        .map(|list| Scopes::parse(&list.join(" ")))
        .transpose()
        .map_err(|e| ApiError::invalid("scopes", e.to_string()))?;
    let allowance = ApiAllowance {
        scopes,
        direct: input.tokens,
        exchange: input.exchange,
    };
    let store = state.provider.store();
    let set = apis::set_allowance(
        store,
        &client,
        &api,
        Some(allowance),
        &caller.actor,
        state.now(),
    )
    .await?;
    let found = apis::find_api(store, &api).await?;
    let none = ApiAllowance {
        scopes: None,
        direct: false,
        exchange: false,
    };
    Ok(ok(ClientApiOut::new(
        &found.identifier,
        set.as_ref().unwrap_or(&none),
    )))
}
