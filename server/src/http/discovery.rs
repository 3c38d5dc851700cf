//! `/.well-known/openid-configuration` (OIDC Discovery §4), the same
//! document at `/.well-known/oauth-authorization-server` (RFC 8414 §3), and
//! `/jwks` (RFC 7517): public, cacheable, readable from any origin.

use actix_web::http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, CACHE_CONTROL};
use actix_web::{HttpResponse, web};

use crate::oauth::keys::JWKS_MAX_AGE_SECS;
use crate::state::AppState;

fn public_json(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            CACHE_CONTROL,
            format!("public, max-age={JWKS_MAX_AGE_SECS}"),
        ))
        .insert_header((ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .content_type("application/json")
        .body(body)
}

pub async fn discovery_get(state: web::Data<AppState>) -> HttpResponse {
    public_json(state.web.discovery_json.clone())
}

/// The keys published now: next, active and retiring ones.
pub async fn jwks_get(state: web::Data<AppState>) -> HttpResponse {
    public_json(state.provider.jwks_json(state.now()))
}
