//! Every path Tessera serves, in one leaf module: the router registers them,
//! discovery publishes them and handlers link to them, without importing
//! each other.

pub const DISCOVERY: &str = "/.well-known/openid-configuration";
/// RFC 8414 §3: the same metadata, where OAuth clients look for it.
pub const AUTHORIZATION_SERVER_METADATA: &str = "/.well-known/oauth-authorization-server";
pub const JWKS: &str = "/jwks";
pub const AUTHORIZE: &str = "/authorize";
pub const LOGIN: &str = "/login";
pub const CONSENT: &str = "/consent";
pub const TOKEN: &str = "/token";
pub const USERINFO: &str = "/userinfo";
pub const INTROSPECT: &str = "/introspect";
pub const REVOKE: &str = "/revoke";
/// The end-session endpoint (OIDC RP-Initiated Logout 1.0), also the target
/// of every Sign out button.
pub const LOGOUT: &str = "/logout";
pub const ACCOUNT: &str = "/account";
pub const ACCOUNT_SESSIONS_END: &str = "/account/sessions/end";
pub const HEALTH: &str = "/health";
pub const HEALTH_LIVE: &str = "/health/live";
pub const HEALTH_READY: &str = "/health/ready";
/// Forward authentication for Traefik and Caddy.
pub const FORWARD_AUTH: &str = "/forward-auth";
/// Forward authentication for nginx `auth_request`.
pub const FORWARD_AUTH_NGINX: &str = "/forward-auth/nginx";
/// The admin console.
pub const ADMIN: &str = "/admin";
/// The admin API, version 1.
pub const ADMIN_API: &str = "/admin/api/v1";
pub const ADMIN_API_OPENAPI: &str = "/admin/api/openapi.json";
pub const HOME: &str = "/";
pub const STATIC: &str = "/static";

/// The browser-relative URL of a page for a parked authorization request.
pub fn with_request(path: &str, request_id: &str) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("request", request_id)
        .finish();
    format!("{path}?{query}")
}
