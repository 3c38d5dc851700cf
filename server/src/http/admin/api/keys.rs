//! `/admin/api/v1/keys…`

use actix_web::{HttpResponse, web};

use super::dto::{KeyList, KeyOut};
use super::users::ok;
use super::{ApiCaller, ApiError, Problem, WriteCaller};
use crate::admin::keys;
use crate::state::AppState;

/// Signing keys, newest first, with their state at this moment.
#[utoipa::path(get, path = "/admin/api/v1/keys", tag = "keys",
    responses((status = 200, body = KeyList), (status = 401, body = Problem)),
    security(("bearer" = ["admin:read"])))]
pub async fn keys_list(
    state: web::Data<AppState>,
    _caller: ApiCaller,
) -> Result<HttpResponse, ApiError> {
    let list = keys::list_keys(state.provider.store(), state.now()).await?;
    Ok(ok(KeyList {
        items: list.iter().map(KeyOut::from).collect(),
    }))
}

/// Rotate every algorithm's key: the new keys are published at once and
/// sign a little over five minutes later (replacing any key still waiting
/// to sign); the old ones stay published until their tokens have expired.
#[utoipa::path(post, path = "/admin/api/v1/keys/rotate", tag = "keys",
    responses((status = 200, body = KeyList), (status = 403, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn keys_rotate(
    state: web::Data<AppState>,
    caller: WriteCaller,
) -> Result<HttpResponse, ApiError> {
    let now = state.now();
    state.provider.rotate_keys(caller.actor, now).await?;
    let list = keys::list_keys(state.provider.store(), now).await?;
    Ok(ok(KeyList {
        items: list.iter().map(KeyOut::from).collect(),
    }))
}

/// Revoke a key (it leaked): it leaves `/jwks` at once and every token it
/// signed is refused; if it was signing, another key signs from now on.
#[utoipa::path(post, path = "/admin/api/v1/keys/{kid}/revoke", tag = "keys",
    params(("kid" = String, Path, description = "The key id")),
    responses((status = 200, body = KeyList), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn keys_revoke(
    state: web::Data<AppState>,
    caller: WriteCaller,
    kid: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let now = state.now();
    state
        .provider
        .revoke_key(&kid, caller.actor, now)
        .await
        .map_err(crate::admin::AdminError::from)?;
    let list = keys::list_keys(state.provider.store(), now).await?;
    Ok(ok(KeyList {
        items: list.iter().map(KeyOut::from).collect(),
    }))
}
