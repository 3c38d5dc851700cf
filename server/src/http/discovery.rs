//! `/.well-known/openid-configuration` (OIDC Discovery §4) and `/jwks`
//! (RFC 7517): public, cacheable, readable from any origin.

use actix_web::http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, CACHE_CONTROL};
use actix_web::{HttpResponse, web};

use crate::state::AppState;

fn public_json(body: &str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "public, max-age=300"))
        .insert_header((ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .content_type("application/json")
        .body(body.to_string())
}

pub async fn discovery_get(state: web::Data<AppState>) -> HttpResponse {
    public_json(&state.web.discovery_json)
}

pub async fn jwks_get(state: web::Data<AppState>) -> HttpResponse {
    public_json(&state.web.jwks_json)
}
