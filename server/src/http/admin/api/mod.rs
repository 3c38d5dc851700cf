//! The admin API, `/admin/api/v1`: the console's operations as JSON, for
//! scripts and other services. Callers present a bearer access token that
//! Tessera issued by client_credentials to a client allowed `admin:read`
//! and/or `admin:write` (audience: the admin API), or the console's own
//! session with its CSRF token. Errors are RFC 9457 problem documents;
//! listings are keyset pages with an opaque `next` cursor. The OpenAPI
//! document is generated from this code and served at
//! `/admin/api/openapi.json`.

mod apis;
mod apps;
mod audit;
mod auth;
mod clients;
mod dto;
mod groups;
mod keys;
pub mod openapi;
mod problem;
mod sessions;
mod users;

use actix_web::web;

pub use auth::{ApiCaller, WriteCaller};
pub use problem::{ApiError, Problem};

use crate::http::paths::{ADMIN_API, ADMIN_API_OPENAPI};

/// Register every admin API route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource(ADMIN_API_OPENAPI).get(openapi::openapi_get))
        .service(
            web::scope(ADMIN_API)
                .service(
                    web::resource("/users")
                        .get(users::users_list)
                        .post(users::users_create),
                )
                .service(
                    web::resource("/users/{id}")
                        .get(users::users_get)
                        .patch(users::users_update)
                        .delete(users::users_delete),
                )
                .service(web::resource("/users/{id}/logout").post(users::users_logout))
                .service(web::resource("/users/{id}/password").post(users::users_password))
                .service(web::resource("/users/{id}/unlock").post(users::users_unlock))
                .service(web::resource("/users/{id}/consents").get(users::consents_list))
                .service(
                    web::resource("/users/{id}/consents/{client_id}")
                        .delete(users::consents_revoke),
                )
                .service(web::resource("/sessions").get(sessions::sessions_list))
                .service(web::resource("/sessions/end-all").post(sessions::sessions_end_all))
                .service(web::resource("/sessions/{id}").delete(sessions::sessions_end))
                .service(
                    web::resource("/clients")
                        .get(clients::clients_list)
                        .post(clients::clients_create),
                )
                .service(
                    web::resource("/clients/{id}")
                        .get(clients::clients_get)
                        .patch(clients::clients_update)
                        .delete(clients::clients_delete),
                )
                .service(web::resource("/clients/{id}/secret").post(clients::clients_rotate_secret))
                .service(
                    web::resource("/users/{id}/groups")
                        .get(groups::user_groups_get)
                        .put(groups::user_groups_set),
                )
                .service(
                    web::resource("/users/{id}/groups/{name}")
                        .put(groups::user_groups_add)
                        .delete(groups::user_groups_remove),
                )
                .service(
                    web::resource("/groups")
                        .get(groups::groups_list)
                        .post(groups::groups_create),
                )
                .service(
                    web::resource("/groups/{name}")
                        .get(groups::groups_get)
                        .delete(groups::groups_delete),
                )
                .service(
                    web::resource("/apps")
                        .get(apps::apps_list)
                        .post(apps::apps_create),
                )
                .service(
                    web::resource("/apps/{id}")
                        .get(apps::apps_get)
                        .patch(apps::apps_update)
                        .delete(apps::apps_delete),
                )
                .service(
                    web::resource("/apis")
                        .get(apis::apis_list)
                        .post(apis::apis_create),
                )
                .service(
                    web::resource("/apis/{id}")
                        .get(apis::apis_get)
                        .patch(apis::apis_update)
                        .delete(apis::apis_delete),
                )
                .service(
                    web::resource("/apis/{id}/roles/{role}")
                        .put(apis::roles_put)
                        .delete(apis::roles_delete),
                )
                .service(
                    web::resource("/apis/{id}/roles/{role}/users/{user}")
                        .put(apis::role_users_put)
                        .delete(apis::role_users_delete),
                )
                .service(
                    web::resource("/apis/{id}/roles/{role}/groups/{group}")
                        .put(apis::role_groups_put)
                        .delete(apis::role_groups_delete),
                )
                .service(web::resource("/clients/{id}/apis").get(apis::client_apis_list))
                .service(web::resource("/clients/{id}/apis/{api}").put(apis::client_apis_put))
                .service(web::resource("/keys").get(keys::keys_list))
                .service(web::resource("/keys/rotate").post(keys::keys_rotate))
                .service(web::resource("/keys/{kid}/revoke").post(keys::keys_revoke))
                .service(web::resource("/audit").get(audit::audit_list))
                .service(web::resource("/overview").get(audit::overview_get))
                .default_service(web::to(problem::not_found)),
        );
}
