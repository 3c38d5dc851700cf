//! `/admin/api/v1/apps…`: applications behind gateways.

use actix_web::{HttpRequest, HttpResponse, web};

use super::auth::json;
use super::dto::{AppList, AppOut, AppPatch, NewAppIn};
use super::users::{created, ok};
use super::{ApiCaller, ApiError, Problem, WriteCaller};
use crate::admin::apps::{self, AppUpdate, NewApp};
use crate::domain::SigningAlg;
use crate::http::body::Body;
use crate::state::AppState;

fn alg(value: Option<&str>) -> Result<Option<SigningAlg>, ApiError> {
    value
        .map(|a| {
            a.parse::<SigningAlg>()
                .map_err(|e| ApiError::invalid("alg", e.to_string()))
        })
        .transpose()
}

fn cookie_domain(state: &AppState) -> Option<&str> {
    state.web.cookies.domain.as_deref()
}

#[utoipa::path(get, path = "/admin/api/v1/apps", tag = "apps",
    responses((status = 200, body = AppList), (status = 401, body = Problem)),
    security(("bearer" = ["admin:read"])))]
pub async fn apps_list(
    state: web::Data<AppState>,
    _caller: ApiCaller,
) -> Result<HttpResponse, ApiError> {
    let list = apps::list_apps(state.provider.store()).await?;
    Ok(ok(AppList {
        items: list.iter().map(AppOut::from).collect(),
    }))
}

/// Register an application behind a gateway.
#[utoipa::path(post, path = "/admin/api/v1/apps", tag = "apps", request_body = NewAppIn,
    responses((status = 201, body = AppOut), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn apps_create(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: WriteCaller,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let input: NewAppIn = json(&req, &body)?;
    let new = NewApp {
        name: input.name,
        host: input.host,
        audience: input.audience,
        token_alg: alg(input.alg.as_deref())?,
        allow_groups: input.allow_groups,
        allow_users: input.allow_users,
    };
    let app = apps::create_app(
        state.provider.store(),
        cookie_domain(&state),
        new,
        &caller.actor,
        state.now(),
    )
    .await?;
    Ok(created(AppOut::from(&app)))
}

#[utoipa::path(get, path = "/admin/api/v1/apps/{id}", tag = "apps",
    params(("id" = String, Path, description = "The application's id or host")),
    responses((status = 200, body = AppOut), (status = 404, body = Problem)),
    security(("bearer" = ["admin:read"])))]
pub async fn apps_get(
    state: web::Data<AppState>,
    _caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let app = apps::find_app(state.provider.store(), &id).await?;
    Ok(ok(AppOut::from(&app)))
}

#[utoipa::path(patch, path = "/admin/api/v1/apps/{id}", tag = "apps",
    params(("id" = String, Path, description = "The application's id or host")),
    request_body = AppPatch,
    responses((status = 200, body = AppOut), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn apps_update(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: WriteCaller,
    id: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let patch: AppPatch = json(&req, &body)?;
    let update = AppUpdate {
        name: patch.name,
        host: patch.host,
        audience: patch.audience,
        token_alg: alg(patch.alg.as_deref())?,
        allow_groups: patch.allow_groups,
        allow_users: patch.allow_users,
    };
    let app = apps::update_app(
        state.provider.store(),
        cookie_domain(&state),
        &id,
        update,
        &caller.actor,
        state.now(),
    )
    .await?;
    Ok(ok(AppOut::from(&app)))
}

/// Remove an application: its gateway refuses it from then on.
#[utoipa::path(delete, path = "/admin/api/v1/apps/{id}", tag = "apps",
    params(("id" = String, Path, description = "The application's id or host")),
    responses((status = 204), (status = 404, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn apps_delete(
    state: web::Data<AppState>,
    caller: WriteCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    apps::delete_app(state.provider.store(), &id, &caller.actor, state.now()).await?;
    Ok(HttpResponse::NoContent().finish())
}
