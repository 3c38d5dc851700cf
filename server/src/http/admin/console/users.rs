//! The console's Users pages: the list, a new user, one user with their
//! sessions, consents and recent audit, and every action on them.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use super::rows::{AuditRow, SessionRow, UserRow};
use super::{
    Chrome, console_for_page, console_form, done, ended, failed, next_link, page_query, render,
};
use crate::admin::audit::{AuditFilter, audit_page, party_names};
use crate::admin::users::{self, NewUser, UserRef, UserUpdate};
use crate::admin::{self as use_cases};
use crate::domain::crypto::random_token;
use crate::domain::{Actor, Secret, UserId};
use crate::http::HttpError;
use crate::http::body::Body;
use crate::http::format::format_time;
use crate::oauth::Params;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "admin/users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<UserRow>,
    search: String,
    next: Option<String>,
}

#[derive(Default)]
struct NewUserForm {
    username: String,
    email: String,
    name: String,
    given_name: String,
    family_name: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/user_new.html")]
struct NewUserPage {
    chrome: Chrome,
    form: NewUserForm,
}

struct ConsentRow {
    client_id: String,
    scope: String,
    granted: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/user.html")]
struct UserPage {
    chrome: Chrome,
    user: UserRow,
    sessions: Vec<SessionRow>,
    consents: Vec<ConsentRow>,
    records: Vec<AuditRow>,
    return_to: String,
    /// The groups the user is in, and the others (to add them to).
    groups: Vec<String>,
    other_groups: Vec<String>,
    /// The roles given to the user directly: (API id, API identifier, role).
    roles: Vec<(String, String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/shown_once.html")]
pub(super) struct ShownOnce {
    pub chrome: Chrome,
    pub title: String,
    pub explanation: String,
    pub label: &'static str,
    pub value: String,
    pub back: String,
}

fn user_id(id: &str) -> Result<UserId, HttpError> {
    UserId::parse(id).ok_or_else(|| failed(use_cases::AdminError::NotFound(format!("user {id}"))))
}

fn actor(console: &crate::oauth::console::Console) -> Actor {
    Actor::Admin(console.user.id.clone())
}

fn text(form: &Params, name: &str) -> Option<String> {
    form.get(name).map(str::to_string)
}

fn checked(form: &Params, name: &str) -> bool {
    form.get(name) == Some("yes")
}

pub async fn users_get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    let console = console_for_page(&req, &state).await?;
    let query = page_query(&req)?;
    let page = users::users_page(
        state.provider.store(),
        query.get("search"),
        query.get("cursor"),
        None,
    )
    .await
    .map_err(failed)?;
    let next = page
        .next
        .as_deref()
        .map(|c| next_link("/admin/users", &query, &["search"], c));
    Ok(render(
        &req,
        UsersPage {
            chrome: Chrome::new("users", &console, &state, &query),
            users: page.items.iter().map(UserRow::from).collect(),
            search: query.get("search").unwrap_or_default().to_string(),
            next,
        },
    ))
}

pub async fn user_new_get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    let console = console_for_page(&req, &state).await?;
    let query = page_query(&req)?;
    Ok(render(
        &req,
        NewUserPage {
            chrome: Chrome::new("users", &console, &state, &query),
            form: NewUserForm::default(),
        },
    ))
}

pub async fn users_create_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let (console, form) = console_form(&req, &state, &body).await?;
    let new = NewUser {
        username: form.get("username").unwrap_or_default().to_string(),
        password: form.get("password").map(Secret::new),
        email: text(&form, "email"),
        email_verified: checked(&form, "email_verified"),
        name: text(&form, "name"),
        given_name: text(&form, "given_name"),
        family_name: text(&form, "family_name"),
        is_admin: checked(&form, "admin"),
    };
    let mut chrome = Chrome::new("users", &console, &state, &Params::default());
    match users::create_user(
        state.provider.store(),
        state.provider.passwords(),
        new,
        &actor(&console),
        state.now(),
    )
    .await
    {
        Ok(created) => {
            let back = format!("/admin/users/{}", created.user.id);
            match created.generated_password {
                Some(password) => Ok(render(
                    &req,
                    ShownOnce {
                        chrome,
                        title: format!("{} was created", created.user.username),
                        explanation:
                            "Give the user this password; they can sign in with it at once.".into(),
                        label: "Password",
                        value: password.expose().to_string(),
                        back,
                    },
                )),
                None => Ok(done(&back, "saved")),
            }
        }
        Err(err) if !err.is_client_error() => Err(failed(err)),
        Err(err) => {
            chrome.error = Some(err.to_string());
            let page = NewUserPage {
                chrome,
                form: NewUserForm {
                    username: form.get("username").unwrap_or_default().into(),
                    email: form.get("email").unwrap_or_default().into(),
                    name: form.get("name").unwrap_or_default().into(),
                    given_name: form.get("given_name").unwrap_or_default().into(),
                    family_name: form.get("family_name").unwrap_or_default().into(),
                },
            };
            Ok(crate::http::page(
                &req,
                page,
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                None,
            ))
        }
    }
}

pub async fn user_get(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, HttpError> {
    let console = console_for_page(&req, &state).await?;
    let query = page_query(&req)?;
    let id = user_id(&id)?;
    let store = state.provider.store();
    let user = users::find_user(store, UserRef::Id(&id))
        .await
        .map_err(failed)?;
    let sessions = store
        .sessions(Some(&user.id), state.now(), 100)
        .await
        .map_err(|e| failed(e.into()))?;
    let consents = users::consents(store, &user.id).await.map_err(failed)?;
    let records = audit_page(
        store,
        AuditFilter {
            about: Some(user.id.clone()),
            limit: Some(20),
            ..AuditFilter::default()
        },
    )
    .await
    .map_err(failed)?;
    let names = party_names(store, &records.items).await.map_err(failed)?;
    let groups: Vec<String> = store
        .groups_of_user(&user.id)
        .await
        .map_err(|e| failed(e.into()))?
        .iter()
        .map(ToString::to_string)
        .collect();
    let mut roles = Vec::new();
    for (identifier, role) in store
        .roles_of_user(&user.id)
        .await
        .map_err(|e| failed(e.into()))?
    {
        roles.push((role.api_id, identifier.to_string(), role.name.to_string()));
    }
    let other_groups = crate::admin::groups::list_groups(store)
        .await
        .map_err(failed)?
        .into_iter()
        .map(|g| g.name.to_string())
        .filter(|name| !groups.contains(name))
        .collect();
    Ok(render(
        &req,
        UserPage {
            groups,
            other_groups,
            roles,
            chrome: Chrome::new("users", &console, &state, &query),
            return_to: format!("/admin/users/{}", user.id),
            user: UserRow::from(&user),
            sessions: sessions.iter().map(SessionRow::from).collect(),
            consents: consents
                .iter()
                .map(|c| ConsentRow {
                    client_id: c.client_id.to_string(),
                    scope: c.scope.to_string(),
                    granted: format_time(c.granted_at),
                })
                .collect(),
            records: records
                .items
                .iter()
                .map(|r| AuditRow::new(r, &names))
                .collect(),
        },
    ))
}

pub async fn user_update_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let (console, form) = console_form(&req, &state, &body).await?;
    let id = user_id(&id)?;
    let update = UserUpdate {
        email: Some(form.get("email").unwrap_or_default().to_string()),
        email_verified: Some(checked(&form, "email_verified")),
        name: Some(form.get("name").unwrap_or_default().to_string()),
        given_name: Some(form.get("given_name").unwrap_or_default().to_string()),
        family_name: Some(form.get("family_name").unwrap_or_default().to_string()),
    };
    users::update_user(
        state.provider.store(),
        UserRef::Id(&id),
        update,
        &actor(&console),
        state.now(),
    )
    .await
    .map_err(failed)?;
    Ok(done(&format!("/admin/users/{id}"), "saved"))
}

/// disable, enable, admin-role, unlock, password, logout, delete.
pub async fn user_action_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let (console, form) = console_form(&req, &state, &body).await?;
    let (id, action) = path.into_inner();
    let id = user_id(&id)?;
    let store = state.provider.store();
    let now = state.now();
    let who = actor(&console);
    let page = format!("/admin/users/{id}");
    match action.as_str() {
        "disable" | "enable" => {
            let disable = action == "disable";
            users::set_disabled(store, &id, disable, who, now)
                .await
                .map_err(failed)?;
            Ok(done(&page, if disable { "disabled" } else { "enabled" }))
        }
        "admin-role" => {
            let grant = form.get("admin") == Some("yes");
            users::set_admin(store, &id, grant, &who, now)
                .await
                .map_err(failed)?;
            Ok(done(
                &page,
                if grant {
                    "admin-granted"
                } else {
                    "admin-revoked"
                },
            ))
        }
        "unlock" => {
            users::unlock(store, &id, &who, now).await.map_err(failed)?;
            Ok(done(&page, "unlocked"))
        }
        "logout" => {
            let result = use_cases::sessions::logout_user(store, &id, who, now)
                .await
                .map_err(failed)?;
            Ok(ended(&page, &result))
        }
        "password" => {
            let (password, generated) = match form.get("password") {
                Some(password) => (Secret::new(password), false),
                None => (Secret::new(random_token(18)), true),
            };
            let user = users::find_user(store, UserRef::Id(&id))
                .await
                .map_err(failed)?;
            let passwords = state.provider.passwords();
            let result = users::set_password(store, passwords, &id, password.clone(), who, now)
                .await
                .map_err(failed)?;
            if generated {
                let chrome = Chrome::new("users", &console, &state, &Params::default());
                return Ok(render(
                    &req,
                    ShownOnce {
                        chrome,
                        title: format!("New password of {}", user.username),
                        explanation: format!(
                            "{} session(s) ended. Give the user this password.",
                            result.sessions.len()
                        ),
                        label: "Password",
                        value: password.expose().to_string(),
                        back: page,
                    },
                ));
            }
            Ok(ended(&page, &result))
        }
        "delete" => {
            let user = users::find_user(store, UserRef::Id(&id))
                .await
                .map_err(failed)?;
            if form.get("confirm").map(str::trim) != Some(user.username.as_str()) {
                return Err(HttpError::page(
                    actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                    "Not deleted",
                    &format!("Type the username {} to confirm.", user.username),
                ));
            }
            users::delete_user(store, &id, who, now)
                .await
                .map_err(failed)?;
            Ok(done("/admin/users", "user-deleted"))
        }
        _ => Err(failed(use_cases::AdminError::NotFound(
            "that action".into(),
        ))),
    }
}

pub async fn consent_revoke_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let (console, _) = console_form(&req, &state, &body).await?;
    let (id, client) = path.into_inner();
    let id = user_id(&id)?;
    users::revoke_consent(
        state.provider.store(),
        &id,
        &client,
        &actor(&console),
        state.now(),
    )
    .await
    .map_err(failed)?;
    Ok(done(&format!("/admin/users/{id}"), "consent-revoked"))
}
