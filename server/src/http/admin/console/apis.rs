//! The console's APIs pages: the list with a form for a new API; one API
//! with its roles (define, give to a user or a group, take away, delete),
//! the clients that act as it, and deleting it; and the roles panel of a
//! user's page.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use super::{Chrome, console_for_page, console_form, done, failed, page_query, render};
use crate::admin::AdminError;
use crate::admin::apis::{self, Holder, NewApi};
use crate::admin::users::UserRef;
use crate::domain::{Actor, SigningAlg, TokenFormat, UserId};
use crate::http::HttpError;
use crate::http::body::Body;
use crate::http::format::format_time;
use crate::state::AppState;

struct ApiRow {
    id: String,
    identifier: String,
    name: String,
    scopes: String,
    tokens: String,
}

struct HolderRow {
    /// `user` or `group`.
    kind: &'static str,
    /// A user's id or a group's name (what the remove form posts).
    key: String,
    label: String,
}

struct RoleRow {
    name: String,
    permissions: String,
    holders: Vec<HolderRow>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/apis.html")]
struct ApisPage {
    chrome: Chrome,
    apis: Vec<ApiRow>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/api.html")]
struct ApiPage {
    chrome: Chrome,
    api: ApiRow,
    introspectors: String,
    created: String,
    roles: Vec<RoleRow>,
}

fn actor(console: &crate::oauth::console::Console) -> Actor {
    Actor::Admin(console.user.id.clone())
}

fn api_path(id: &str) -> String {
    format!("/admin/apis/{id}")
}

fn row(api: &crate::domain::Api) -> ApiRow {
    ApiRow {
        id: api.id.clone(),
        identifier: api.identifier.to_string(),
        name: api.name.clone(),
        scopes: api.scopes.to_string(),
        tokens: format!(
            "{} {}, {} s",
            api.token_format.as_str(),
            api.access_token_alg.as_str(),
            api.lifetime
        ),
    }
}

fn words(value: Option<&str>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split([' ', ','])
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

pub async fn apis_get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    let console = console_for_page(&req, &state).await?;
    let query = page_query(&req)?;
    let list = apis::list_apis(state.provider.store())
        .await
        .map_err(failed)?;
    Ok(render(
        &req,
        ApisPage {
            chrome: Chrome::new("apis", &console, &state, &query),
            apis: list.iter().map(row).collect(),
        },
    ))
}

pub async fn apis_create_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let (console, form) = console_form(&req, &state, &body).await?;
    let bad = |e: crate::domain::DomainError| failed(AdminError::Invalid(e));
    let token_format = form
        .get("token_format")
        .map(str::parse::<TokenFormat>)
        .transpose()
        .map_err(bad)?;
    let access_token_alg = form
        .get("alg")
        .map(str::parse::<SigningAlg>)
        .transpose()
        .map_err(bad)?;
    let lifetime = match form.get("lifetime") {
        None => None,
        Some(l) => Some(l.trim().parse::<i64>().map_err(|_| {
            failed(AdminError::Invalid(
                crate::domain::DomainError::InvalidLifetime,
            ))
        })?),
    };
    let api = apis::create_api(
        state.provider.store(),
        NewApi {
            identifier: form.get("identifier").unwrap_or_default().to_string(),
            name: form.get("name").unwrap_or_default().to_string(),
            scopes: words(form.get("scopes")),
            token_format,
            access_token_alg,
            lifetime,
            introspectors: words(form.get("introspectors")),
        },
        state.provider.config().access_token_lifetime,
        &actor(&console),
        state.now(),
    )
    .await
    .map_err(failed)?;
    Ok(done(&api_path(&api.id), "saved"))
}

pub async fn api_get(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, HttpError> {
    let console = console_for_page(&req, &state).await?;
    let query = page_query(&req)?;
    let store = state.provider.store();
    let (api, roles) = apis::show_api(store, &id).await.map_err(failed)?;
    let mut rows = Vec::with_capacity(roles.len());
    for role in &roles {
        let (users, groups) = store
            .role_holders(&role.id)
            .await
            .map_err(|e| failed(e.into()))?;
        let mut holders: Vec<HolderRow> = users
            .into_iter()
            .map(|(id, username)| HolderRow {
                kind: "user",
                key: id.to_string(),
                label: username,
            })
            .collect();
        holders.extend(groups.into_iter().map(|name| HolderRow {
            kind: "group",
            label: format!("group {name}"),
            key: name,
        }));
        rows.push(RoleRow {
            name: role.name.to_string(),
            permissions: role.permissions.to_string(),
            holders,
        });
    }
    Ok(render(
        &req,
        ApiPage {
            chrome: Chrome::new("apis", &console, &state, &query),
            introspectors: api
                .introspectors
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            created: format_time(api.created_at),
            api: row(&api),
            roles: rows,
        },
    ))
}

pub async fn role_create_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let (console, form) = console_form(&req, &state, &body).await?;
    apis::create_role(
        state.provider.store(),
        &id,
        form.get("role").unwrap_or_default(),
        &words(form.get("permissions")),
        &actor(&console),
        state.now(),
    )
    .await
    .map_err(failed)?;
    Ok(done(&api_path(&id), "saved"))
}

/// Give the role to a username or a group typed in its row's form.
pub async fn role_assign_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let (console, form) = console_form(&req, &state, &body).await?;
    let (id, role) = path.into_inner();
    let who = form.get("holder").unwrap_or_default().trim().to_string();
    let holder = match who.strip_prefix("group:") {
        Some(group) => Holder::Group(group.trim()),
        None => Holder::User(UserRef::Username(&who)),
    };
    apis::assign_role(
        state.provider.store(),
        &id,
        &role,
        holder,
        true,
        &actor(&console),
        state.now(),
    )
    .await
    .map_err(failed)?;
    Ok(done(&api_path(&id), "saved"))
}

/// Take the role away from a user (by id) or a group (by name); back to
/// the API's page, or the user's with `back=user`.
pub async fn role_unassign_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String, String)>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let (console, form) = console_form(&req, &state, &body).await?;
    let (id, role, kind, key) = path.into_inner();
    let user = UserId::from_trusted(key.clone());
    let holder = match kind.as_str() {
        "user" => Holder::User(UserRef::Id(&user)),
        "group" => Holder::Group(&key),
        _ => return Err(failed(AdminError::NotFound(format!("{kind} {key}")))),
    };
    apis::assign_role(
        state.provider.store(),
        &id,
        &role,
        holder,
        false,
        &actor(&console),
        state.now(),
    )
    .await
    .map_err(failed)?;
    let back = if form.get("back") == Some("user") {
        format!("/admin/users/{key}")
    } else {
        api_path(&id)
    };
    Ok(done(&back, "saved"))
}

pub async fn role_delete_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let (console, _) = console_form(&req, &state, &body).await?;
    let (id, role) = path.into_inner();
    apis::delete_role(
        state.provider.store(),
        &id,
        &role,
        &actor(&console),
        state.now(),
    )
    .await
    .map_err(failed)?;
    Ok(done(&api_path(&id), "saved"))
}

pub async fn api_delete_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let (console, form) = console_form(&req, &state, &body).await?;
    let api = apis::find_api(state.provider.store(), &id)
        .await
        .map_err(failed)?;
    if form.get("confirm").map(str::trim) != Some(api.identifier.as_str()) {
        return Err(failed(AdminError::Refused(
            "type the API's identifier to delete it",
        )));
    }
    apis::delete_api(
        state.provider.store(),
        &api.id,
        &actor(&console),
        state.now(),
    )
    .await
    .map_err(failed)?;
    Ok(done("/admin/apis", "saved"))
}
