//! The admin console's pages under `/admin`: server-rendered, usable
//! without JavaScript. Handlers extract, call one use-case of
//! `crate::admin`, and render. Every page needs a console session (see
//! `oauth::console`); every form posts its CSRF token and must come from
//! this origin.

mod apis;
mod apps;
mod audit;
mod clients;
mod entry;
mod groups;
mod keys;
mod rows;
mod sessions;
mod users;

use actix_web::http::StatusCode;
use actix_web::http::header::REFERRER_POLICY;
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpRequest, HttpResponse, Responder, web};

use super::console_session::{console_token, same_origin};
use crate::admin::AdminError;
use crate::domain::SessionsEnded;
use crate::http::{HttpError, form_params, paths};
use crate::oauth::Params;
use crate::oauth::console::Console;
use crate::state::AppState;

/// Register every console page. Console pages ask browsers to send their
/// origin with forms (`Referrer-Policy: same-origin`; the hosted pages'
/// `no-referrer` makes browsers send `Origin: null`), so the same-origin
/// check has something to check.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(paths::ADMIN)
            .wrap(DefaultHeaders::new().add((REFERRER_POLICY, "same-origin")))
            .service(web::resource("").get(entry::console_get))
            .service(web::resource("/sign-in").post(entry::sign_in_post))
            .service(web::resource("/logout").post(entry::logout_post))
            .service(
                web::resource("/users")
                    .get(users::users_get)
                    .post(users::users_create_post),
            )
            .service(web::resource("/users/new").get(users::user_new_get))
            .service(
                web::resource("/users/{id}")
                    .get(users::user_get)
                    .post(users::user_update_post),
            )
            .service(web::resource("/users/{id}/groups").post(groups::user_group_add_post))
            .service(web::resource("/users/{id}/{action}").post(users::user_action_post))
            .service(
                web::resource("/users/{id}/consents/{client}/revoke")
                    .post(users::consent_revoke_post),
            )
            .service(
                web::resource("/clients")
                    .get(clients::clients_get)
                    .post(clients::clients_create_post),
            )
            .service(web::resource("/clients/new").get(clients::client_new_get))
            .service(
                web::resource("/clients/{id}")
                    .get(clients::client_get)
                    .post(clients::client_update_post),
            )
            .service(web::resource("/clients/{id}/secret").post(clients::client_secret_post))
            .service(
                web::resource("/clients/{id}/auth-method").post(clients::client_auth_method_post),
            )
            .service(web::resource("/clients/{id}/delete").post(clients::client_delete_post))
            .service(
                web::resource("/groups")
                    .get(groups::groups_get)
                    .post(groups::groups_create_post),
            )
            .service(web::resource("/groups/{name}").get(groups::group_get))
            .service(
                web::resource("/apis")
                    .get(apis::apis_get)
                    .post(apis::apis_create_post),
            )
            .service(web::resource("/apis/{id}").get(apis::api_get))
            .service(web::resource("/apis/{id}/roles").post(apis::role_create_post))
            .service(web::resource("/apis/{id}/roles/{role}/assign").post(apis::role_assign_post))
            .service(
                web::resource("/apis/{id}/roles/{role}/holders/{kind}/{key}/remove")
                    .post(apis::role_unassign_post),
            )
            .service(web::resource("/apis/{id}/roles/{role}/delete").post(apis::role_delete_post))
            .service(web::resource("/apis/{id}/delete").post(apis::api_delete_post))
            .service(web::resource("/groups/{name}/members").post(groups::group_add_post))
            .service(
                web::resource("/groups/{name}/members/{id}/remove").post(groups::group_remove_post),
            )
            .service(web::resource("/groups/{name}/delete").post(groups::group_delete_post))
            .service(
                web::resource("/apps")
                    .get(apps::apps_get)
                    .post(apps::apps_create_post),
            )
            .service(web::resource("/apps/new").get(apps::app_new_get))
            .service(
                web::resource("/apps/{id}")
                    .get(apps::app_get)
                    .post(apps::app_update_post),
            )
            .service(web::resource("/apps/{id}/delete").post(apps::app_delete_post))
            .service(web::resource("/sessions").get(sessions::sessions_get))
            .service(web::resource("/sessions/end-all").post(sessions::sessions_end_all_post))
            .service(web::resource("/sessions/{sid}/end").post(sessions::session_end_post))
            .service(web::resource("/keys").get(keys::keys_get))
            .service(web::resource("/keys/rotate").post(keys::keys_rotate_post))
            .service(web::resource("/keys/{kid}/revoke").post(keys::key_revoke_post))
            .service(web::resource("/audit").get(audit::audit_get)),
    );
}

/// What every console page shows around its content.
pub struct Chrome {
    pub section: &'static str,
    pub admin_name: String,
    pub csrf_token: String,
    pub notice: Option<String>,
    pub error: Option<String>,
}

impl Chrome {
    fn new(section: &'static str, console: &Console, state: &AppState, query: &Params) -> Self {
        Self {
            section,
            admin_name: console.user.username.to_string(),
            csrf_token: console.csrf_token(&state.provider),
            notice: notice(query),
            error: None,
        }
    }
}

/// The console session of a page request; without one, the browser goes
/// to the console's entrance and its sign-in form.
async fn console_for_page(req: &HttpRequest, state: &AppState) -> Result<Console, HttpError> {
    let token = console_token(req, &state.web.cookies).unwrap_or_default();
    state
        .provider
        .console(&token, state.now())
        .await
        .map_err(HttpError::page_from)?
        .ok_or_else(|| HttpError::Redirect(paths::ADMIN.to_string()))
}

/// A page's query, strictly decoded, no parameter twice.
fn page_query(req: &HttpRequest) -> Result<Params, HttpError> {
    crate::http::page_query(req)
}

/// A console form: a console session, a form from this origin with the
/// session's CSRF token, no field twice.
async fn console_form(
    req: &HttpRequest,
    state: &AppState,
    body: &[u8],
) -> Result<(Console, Params), HttpError> {
    let forbidden =
        |message: &str| HttpError::page(StatusCode::FORBIDDEN, "Request refused", message);
    let token = console_token(req, &state.web.cookies).unwrap_or_default();
    let console = state
        .provider
        .console(&token, state.now())
        .await
        .map_err(HttpError::page_from)?
        .ok_or_else(|| forbidden("The console session has ended. Open the console again."))?;
    if !same_origin(req, &state.web.issuer) {
        return Err(forbidden(
            "Console forms are accepted from the console only.",
        ));
    }
    let form = form_params(req, body).map_err(HttpError::malformed_page)?;
    if let Err(name) = form.reject_repeated() {
        return Err(HttpError::page(
            StatusCode::BAD_REQUEST,
            "Invalid request",
            &format!("The {name} field was sent twice."),
        ));
    }
    if !form
        .get("csrf_token")
        .is_some_and(|t| console.csrf_matches(&state.provider, t))
    {
        return Err(forbidden(
            "The form expired. Reload the page and try again.",
        ));
    }
    Ok((console, form))
}

/// A use-case's failure as a console page.
fn failed(err: AdminError) -> HttpError {
    let text = err.to_string();
    match err {
        AdminError::NotFound(what) => HttpError::page(
            StatusCode::NOT_FOUND,
            "Not found",
            &format!("{what} not found."),
        ),
        AdminError::Invalid(_) | AdminError::InvalidFields(_) => {
            HttpError::page(StatusCode::UNPROCESSABLE_ENTITY, "Invalid input", &text)
        }
        AdminError::Conflict(what) => HttpError::page(
            StatusCode::CONFLICT,
            "Already exists",
            &format!("{what} already exists."),
        ),
        AdminError::Refused(reason) => HttpError::page(
            StatusCode::CONFLICT,
            "Not allowed",
            &format!("Refused: {reason}."),
        ),
        AdminError::Busy => HttpError::page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Busy",
            "Too many password checks are under way. Try again in a moment.",
        ),
        AdminError::BadCursor => HttpError::page(
            StatusCode::BAD_REQUEST,
            "Invalid page",
            "That page link is not valid.",
        ),
        AdminError::Store(e) => HttpError::page_from(e.into()),
        AdminError::Failed(reason) => {
            tracing::error!(%reason, "console operation failed");
            HttpError::page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The operation failed.",
            )
        }
    }
}

/// Back to `path` with a notice of what was done.
fn done(path: &str, notice: &str) -> HttpResponse {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("done", notice)
        .finish();
    redirect(&format!("{path}?{query}"))
}

/// Back to `path`, telling what ending sessions did.
fn ended(path: &str, ended: &SessionsEnded) -> HttpResponse {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("done", "ended")
        .append_pair("sessions", &ended.sessions.len().to_string())
        .append_pair("families", &ended.families_revoked.to_string())
        .append_pair("notices", &ended.notices_queued.to_string())
        .finish();
    redirect(&format!("{path}?{query}"))
}

fn redirect(location: &str) -> HttpResponse {
    crate::http::authorize::redirect_to(location, StatusCode::SEE_OTHER)
}

/// The notice a redirect after an action asked for. Only known notices are
/// shown, so a crafted link cannot put words on the page.
fn notice(query: &Params) -> Option<String> {
    let count = |name: &str| {
        query
            .get(name)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Some(match query.get("done")? {
        "ended" => format!(
            "Ended {} session(s), revoked {} token famil{}, queued {} back-channel notice(s).",
            count("sessions"),
            count("families"),
            if count("families") == 1 { "y" } else { "ies" },
            count("notices")
        ),
        "saved" => "Saved.".into(),
        "disabled" => "The user is disabled; their sessions ended.".into(),
        "enabled" => "The user is enabled.".into(),
        "admin-granted" => "The user is now an administrator.".into(),
        "admin-revoked" => "The user is no longer an administrator.".into(),
        "unlocked" => "The user may sign in again.".into(),
        "consent-revoked" => {
            "Consent withdrawn; the client's tokens for the user are revoked.".into()
        }
        "user-deleted" => "The user is deleted; their sessions ended.".into(),
        "client-deleted" => "The client is deleted; its tokens no longer work.".into(),
        "keys-rotated" => "New keys are published; they sign in a little over five minutes.".into(),
        "member-added" => "Added to the group.".into(),
        "member-removed" => "Removed from the group.".into(),
        "group-deleted" => "The group is deleted; its members left it.".into(),
        "app-deleted" => "The application is removed; its gateway refuses it from now on.".into(),
        "key-revoked" => {
            "The key is revoked: unpublished, and nothing it signed is accepted.".into()
        }
        _ => return None,
    })
}

/// Render a console page.
fn render(req: &HttpRequest, page: impl Responder) -> HttpResponse {
    crate::http::page(req, page, StatusCode::OK, None)
}

/// A page link keeping the current filters, with another cursor.
fn next_link(path: &str, query: &Params, names: &[&str], cursor: &str) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for name in names {
        if let Some(value) = query.get(name) {
            serializer.append_pair(name, value);
        }
    }
    serializer.append_pair("cursor", cursor);
    format!("{path}?{}", serializer.finish())
}

/// A console path given back by a form: only the console's own pages.
fn return_path(form: &Params, default: &str) -> String {
    form.get("return")
        .filter(|p| {
            p.starts_with("/admin") && !p.contains("//") && !p.chars().any(char::is_control)
        })
        .unwrap_or(default)
        .to_string()
}
