//! `/admin/api/v1/clients…`

use std::str::FromStr;

use actix_web::{HttpRequest, HttpResponse, web};

use super::auth::json;
use super::dto::{
    ClientList, ClientOut, ClientPatch, CreatedClientOut, DeliveryOut, NewClientIn, SecretOut,
};
use super::users::{created, ok};
use super::{ApiCaller, ApiError, Problem, WriteCaller};
use crate::admin::clients::{self, ClientUpdate, NewClient};
use crate::domain::{AuthMethod, GrantType, RedirectUriPolicy, SigningAlg};
use crate::http::body::Body;
use crate::state::AppState;

fn policy(state: &AppState) -> RedirectUriPolicy {
    RedirectUriPolicy {
        allow_http: !state.web.cookies.secure,
    }
}

fn parse<T: FromStr>(field: &str, value: &str) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    value
        .parse()
        .map_err(|e: T::Err| ApiError::invalid(field, e.to_string()))
}

fn parse_all<T: FromStr>(field: &str, values: &[String]) -> Result<Vec<T>, ApiError>
where
    T::Err: std::fmt::Display,
{
    values.iter().map(|v| parse(field, v)).collect()
}

#[utoipa::path(get, path = "/admin/api/v1/clients", tag = "clients",
    responses((status = 200, body = ClientList), (status = 401, body = Problem)),
    security(("bearer" = ["admin:read"])))]
pub async fn clients_list(
    state: web::Data<AppState>,
    _caller: ApiCaller,
) -> Result<HttpResponse, ApiError> {
    let list = clients::list_clients(state.provider.store()).await?;
    Ok(ok(ClientList {
        items: list.iter().map(ClientOut::from).collect(),
    }))
}

/// Register a client; a confidential client's secret is in the answer, once.
#[utoipa::path(post, path = "/admin/api/v1/clients", tag = "clients", request_body = NewClientIn,
    responses((status = 201, body = CreatedClientOut), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn clients_create(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: WriteCaller,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let input: NewClientIn = json(&req, &body)?;
    let new = NewClient {
        id: input.id,
        name: input.name,
        public: input.public,
        auth_method: input
            .auth_method
            .as_deref()
            .map(|m| parse::<AuthMethod>("auth_method", m))
            .transpose()?,
        redirect_uris: input.redirect_uris,
        grant_types: parse_all::<GrantType>("grant_types", &input.grant_types)?,
        first_party: input.first_party,
        id_token_alg: input
            .id_token_alg
            .as_deref()
            .map(|a| parse::<SigningAlg>("id_token_alg", a))
            .transpose()?
            .unwrap_or(SigningAlg::RS256),
        access_token_alg: input
            .access_token_alg
            .as_deref()
            .map(|a| parse::<SigningAlg>("access_token_alg", a))
            .transpose()?
            .unwrap_or(SigningAlg::RS256),
        post_logout_redirect_uris: input.post_logout_redirect_uris,
        backchannel_logout_uri: input.backchannel_logout_uri,
        backchannel_logout_session_required: input.backchannel_logout_session_required,
        scopes: input.scopes,
    };
    let made = clients::create_client(
        state.provider.store(),
        state.provider.pepper(),
        policy(&state),
        new,
        &caller.actor,
        state.now(),
    )
    .await?;
    Ok(created(CreatedClientOut {
        client: ClientOut::from(&made.client),
        client_secret: made.secret.map(|s| s.expose().to_string()),
    }))
}

/// A client, with how its back-channel logout deliveries are going.
#[utoipa::path(get, path = "/admin/api/v1/clients/{id}", tag = "clients",
    params(("id" = String, Path)),
    responses((status = 200, body = ClientOut), (status = 404, body = Problem)),
    security(("bearer" = ["admin:read"])))]
pub async fn clients_get(
    state: web::Data<AppState>,
    _caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (client, delivery) = clients::show_client(state.provider.store(), &id).await?;
    let mut out = ClientOut::from(&client);
    out.backchannel_delivery = Some(DeliveryOut::from(&delivery));
    Ok(ok(out))
}

#[utoipa::path(patch, path = "/admin/api/v1/clients/{id}", tag = "clients",
    params(("id" = String, Path)), request_body = ClientPatch,
    responses((status = 200, body = ClientOut), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn clients_update(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: WriteCaller,
    id: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let patch: ClientPatch = json(&req, &body)?;
    let method = patch
        .token_endpoint_auth_method
        .as_deref()
        .map(|m| parse::<AuthMethod>("token_endpoint_auth_method", m))
        .transpose()?;
    let update = ClientUpdate {
        name: patch.name,
        redirect_uris: patch.redirect_uris,
        grant_types: patch
            .grant_types
            .as_deref()
            .map(|g| parse_all::<GrantType>("grant_types", g))
            .transpose()?,
        first_party: patch.first_party,
        id_token_alg: patch
            .id_token_alg
            .as_deref()
            .map(|a| parse::<SigningAlg>("id_token_alg", a))
            .transpose()?,
        access_token_alg: patch
            .access_token_alg
            .as_deref()
            .map(|a| parse::<SigningAlg>("access_token_alg", a))
            .transpose()?,
        post_logout_redirect_uris: patch.post_logout_redirect_uris,
        backchannel_logout_uri: patch.backchannel_logout_uri,
        backchannel_logout_session_required: patch.backchannel_logout_session_required,
        scopes: patch.scopes,
    };
    let store = state.provider.store();
    let change_method = |method: AuthMethod| {
        clients::change_auth_method(
            store,
            state.provider.pepper(),
            &id,
            method,
            &caller.actor,
            state.now(),
        )
    };
    // Becoming confidential first (confidential-only grants may follow),
    // becoming public last (after they are gone).
    let mut secret = None;
    if let Some(method) = method.filter(|m| *m != AuthMethod::None) {
        secret = change_method(method).await?.1;
    }
    let mut client = if update.is_empty() {
        clients::find(store, &id).await?
    } else {
        clients::update_client(
            store,
            policy(&state),
            &id,
            update,
            &caller.actor,
            state.now(),
        )
        .await?
    };
    if method == Some(AuthMethod::None) {
        client = change_method(AuthMethod::None).await?.0;
    }
    let mut out = ClientOut::from(&client);
    out.client_secret = secret.map(|s| s.expose().to_string());
    Ok(ok(out))
}

/// Delete a client; its tokens stop working.
#[utoipa::path(delete, path = "/admin/api/v1/clients/{id}", tag = "clients",
    params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn clients_delete(
    state: web::Data<AppState>,
    caller: WriteCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    clients::delete_client(state.provider.store(), &id, &caller.actor, state.now()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Give the client a new secret, shown this once; the old one stops working.
#[utoipa::path(post, path = "/admin/api/v1/clients/{id}/secret", tag = "clients",
    params(("id" = String, Path)),
    responses((status = 200, body = SecretOut), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["admin:write"])))]
pub async fn clients_rotate_secret(
    state: web::Data<AppState>,
    caller: WriteCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (client, secret) = clients::rotate_secret(
        state.provider.store(),
        state.provider.pepper(),
        &id,
        &caller.actor,
        state.now(),
    )
    .await?;
    Ok(ok(SecretOut {
        client_id: client.id.to_string(),
        client_secret: secret.expose().to_string(),
    }))
}
