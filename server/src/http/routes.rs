//! Every path in one place. The router registers these, and discovery
//! publishes them, so the two cannot drift apart.

use std::path::Path;

use actix_web::web;

use super::{authorize, consent, discovery, health, home, login, token, userinfo};
use crate::oauth::metadata::Endpoints;

pub const DISCOVERY: &str = "/.well-known/openid-configuration";
pub const JWKS: &str = "/jwks";
pub const AUTHORIZE: &str = "/authorize";
pub const AUTHORIZE_RESUME: &str = "/authorize/resume";
pub const LOGIN: &str = "/login";
pub const CONSENT: &str = "/consent";
pub const TOKEN: &str = "/token";
pub const USERINFO: &str = "/userinfo";
pub const HEALTH: &str = "/health";
pub const HOME: &str = "/";
pub const STATIC: &str = "/static";

/// Absolute endpoint URLs under `issuer`.
pub fn endpoints(issuer: &str) -> Endpoints {
    Endpoints {
        authorization: format!("{issuer}{AUTHORIZE}"),
        token: format!("{issuer}{TOKEN}"),
        userinfo: format!("{issuer}{USERINFO}"),
        jwks: format!("{issuer}{JWKS}"),
    }
}

/// The browser-relative URL of a page for a parked authorization request.
pub fn with_request(path: &str, request_id: &str) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("request", request_id)
        .finish();
    format!("{path}?{query}")
}

pub fn configure(cfg: &mut web::ServiceConfig, static_dir: &Path) {
    cfg.route(DISCOVERY, web::get().to(discovery::discovery_get))
        .route(JWKS, web::get().to(discovery::jwks_get))
        .route(AUTHORIZE, web::get().to(authorize::authorize_get))
        .route(AUTHORIZE, web::post().to(authorize::authorize_post))
        .route(
            AUTHORIZE_RESUME,
            web::get().to(authorize::authorize_resume_get),
        )
        .route(LOGIN, web::get().to(login::login_get))
        .route(LOGIN, web::post().to(login::login_post))
        .route(CONSENT, web::get().to(consent::consent_get))
        .route(CONSENT, web::post().to(consent::consent_post))
        .route(TOKEN, web::post().to(token::token_post))
        .route(USERINFO, web::get().to(userinfo::userinfo_get))
        .route(USERINFO, web::post().to(userinfo::userinfo_post))
        .route(HEALTH, web::get().to(health::health_get))
        .route(HOME, web::get().to(home::home_get))
        .service(actix_files::Files::new(STATIC, static_dir));
}
