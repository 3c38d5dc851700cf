//! Every path in one place. The router registers these, and discovery
//! publishes them, so the two cannot drift apart.

use std::path::Path;

use actix_web::web;

use super::{authorize, consent, cors, discovery, health, home, login, token, userinfo};
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

/// Register every endpoint. Each path is one resource, so a method it does
/// not offer gets 405 with an `Allow` header rather than 404.
pub fn configure(cfg: &mut web::ServiceConfig, static_dir: &Path) {
    cfg.service(web::resource(DISCOVERY).get(discovery::discovery_get))
        .service(web::resource(JWKS).get(discovery::jwks_get))
        .service(
            web::resource(AUTHORIZE)
                .get(authorize::authorize_get)
                .post(authorize::authorize_post),
        )
        .service(web::resource(AUTHORIZE_RESUME).get(authorize::authorize_resume_get))
        .service(
            web::resource(LOGIN)
                .get(login::login_get)
                .post(login::login_post),
        )
        .service(
            web::resource(CONSENT)
                .get(consent::consent_get)
                .post(consent::consent_post),
        )
        .service(
            web::resource(TOKEN)
                .wrap(cors::headers())
                .post(token::token_post)
                .route(cors::preflight("POST")),
        )
        .service(
            web::resource(USERINFO)
                .wrap(cors::headers())
                .get(userinfo::userinfo_get)
                .post(userinfo::userinfo_post)
                .route(cors::preflight("GET, POST")),
        )
        .service(web::resource(HEALTH).get(health::health_get))
        .service(web::resource(HOME).get(home::home_get))
        .service(actix_files::Files::new(STATIC, static_dir));
}
