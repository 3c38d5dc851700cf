//! The admin API's OpenAPI document, generated from the handlers and their
//! bodies; served at `/admin/api/openapi.json`.

use actix_web::HttpResponse;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::dto::*;
use super::problem::{FieldError, Problem};
use super::{apis, apps, audit, clients, groups, keys, sessions, users};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tessera admin API",
        description = "Users, groups, clients, APIs with their roles, applications behind gateways, sessions, signing keys and the audit log. Authenticate with a bearer access token from client_credentials with the scopes admin:read and/or admin:write.",
    ),
    paths(
        users::users_list, users::users_create, users::users_get, users::users_update,
        users::users_delete, users::users_logout, users::users_password, users::users_unlock,
        users::consents_list, users::consents_revoke,
        sessions::sessions_list, sessions::sessions_end, sessions::sessions_end_all,
        clients::clients_list, clients::clients_create, clients::clients_get,
        clients::clients_update, clients::clients_delete, clients::clients_rotate_secret,
        groups::groups_list, groups::groups_create, groups::groups_get, groups::groups_delete,
        groups::user_groups_get, groups::user_groups_set, groups::user_groups_add,
        groups::user_groups_remove,
        apps::apps_list, apps::apps_create, apps::apps_get, apps::apps_update, apps::apps_delete,
        apis::apis_list, apis::apis_create, apis::apis_get, apis::apis_update, apis::apis_delete,
        apis::roles_put, apis::roles_delete, apis::role_users_put, apis::role_users_delete,
        apis::role_groups_put, apis::role_groups_delete, apis::client_apis_list,
        apis::client_apis_put,
        keys::keys_list, keys::keys_rotate, keys::keys_revoke,
        audit::audit_list, audit::overview_get,
    ),
    components(schemas(
        Problem, FieldError, UserOut, UserPage, NewUserIn, CreatedUserOut, UserPatch, PasswordIn,
        PasswordOut, EndedOut, ConsentOut, RevokedOut, SessionOut, SessionPage, EndAllIn,
        DeliveryOut, ClientOut, ClientList, NewClientIn, CreatedClientOut, ClientPatch, SecretOut,
        KeyOut, KeyList, AuditOut, AuditPage, OverviewOut, GroupOut, MemberOut, GroupList,
        NewGroupIn, UserGroups, AppOut, AppList, NewAppIn, AppPatch, RoleOut, ApiOut, ApiList,
        NewApiIn, ApiPatch, RoleIn, ClientApiIn, ClientApiOut, ClientApiList,
    )),
    modifiers(&BearerAuth),
)]
pub struct AdminApi;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The document, public like discovery (it describes, it grants nothing).
pub async fn openapi_get() -> HttpResponse {
    match AdminApi::openapi().to_json() {
        Ok(json) => HttpResponse::Ok()
            .content_type("application/json")
            .body(json),
        Err(err) => {
            tracing::error!(error = %err, "OpenAPI document");
            HttpResponse::InternalServerError().finish()
        }
    }
}
