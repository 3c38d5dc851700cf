//! The router: every path of [`super::paths`] bound to its handlers. Each
//! path is one resource, so a method it does not offer gets 405 with an
//! `Allow` header rather than 404.

use std::path::Path;

use actix_web::web;

use super::paths::*;
use super::{
    account, admin, assets, authorize, consent, cors, discovery, forward_auth, health, home,
    introspect, login, logout, revoke, token, userinfo,
};
use crate::oauth::metadata::Endpoints;

/// Absolute endpoint URLs under `issuer`, for discovery.
pub fn endpoints(issuer: &str) -> Endpoints {
    Endpoints {
        authorization: format!("{issuer}{AUTHORIZE}"),
        token: format!("{issuer}{TOKEN}"),
        userinfo: format!("{issuer}{USERINFO}"),
        jwks: format!("{issuer}{JWKS}"),
        end_session: format!("{issuer}{LOGOUT}"),
        revocation: format!("{issuer}{REVOKE}"),
        introspection: format!("{issuer}{INTROSPECT}"),
    }
}

/// Register every endpoint. Static files come from the binary unless
/// `static_dir` overrides them.
pub fn configure(cfg: &mut web::ServiceConfig, static_dir: Option<&Path>) {
    cfg.service(web::resource(DISCOVERY).get(discovery::discovery_get))
        .service(web::resource(AUTHORIZATION_SERVER_METADATA).get(discovery::discovery_get))
        .service(web::resource(JWKS).get(discovery::jwks_get))
        .service(
            web::resource(AUTHORIZE)
                .get(authorize::authorize_get)
                .post(authorize::authorize_post),
        )
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
        .service(web::resource(INTROSPECT).post(introspect::introspect_post))
        .service(
            web::resource(REVOKE)
                .wrap(cors::headers())
                .post(revoke::revoke_post)
                .route(cors::preflight("POST")),
        )
        .service(
            web::resource(LOGOUT)
                .get(logout::logout_get)
                .post(logout::logout_post),
        )
        .service(web::resource(ACCOUNT).get(account::account_get))
        .service(web::resource(ACCOUNT_SESSIONS_END).post(account::sessions_end_post))
        .service(web::resource(HEALTH).get(health::ready_get))
        .service(web::resource(HEALTH_READY).get(health::ready_get))
        .service(web::resource(HEALTH_LIVE).get(health::live_get))
        // nginx asks with the original request's method; Traefik and Caddy with GET.
        .service(web::resource(FORWARD_AUTH).to(forward_auth::forward_auth))
        .service(web::resource(FORWARD_AUTH_NGINX).to(forward_auth::forward_auth_nginx))
        .service(web::resource(HOME).get(home::home_get))
        .configure(admin::configure);
    match static_dir {
        Some(dir) => {
            cfg.service(actix_files::Files::new(STATIC, dir));
        }
        None => {
            cfg.service(web::resource(format!("{STATIC}/{{name}}")).get(assets::asset_get));
        }
    }
}
