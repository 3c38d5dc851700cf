//! The console's Groups pages: the list with a form for a new group, one
//! group with its members (add by username, remove), deleting a group; and
//! the groups panel of a user's page.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use super::{Chrome, console_for_page, console_form, done, failed, page_query, render};
use crate::admin::AdminError;
use crate::admin::groups;
use crate::admin::users::UserRef;
use crate::domain::{Actor, UserId};
use crate::http::HttpError;
use crate::http::body::Body;
use crate::http::format::format_time;
use crate::state::AppState;

struct GroupRow {
    name: String,
    members: u64,
    created: String,
}

struct MemberRow {
    id: String,
    username: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/groups.html")]
struct GroupsPage {
    chrome: Chrome,
    groups: Vec<GroupRow>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/group.html")]
struct GroupPage {
    chrome: Chrome,
    name: String,
    members: u64,
    users: Vec<MemberRow>,
}

fn actor(console: &crate::oauth::console::Console) -> Actor {
    Actor::Admin(console.user.id.clone())
}

fn group_path(name: &str) -> String {
    format!("/admin/groups/{name}")
}

fn user_id(id: &str) -> Result<UserId, HttpError> {
    UserId::parse(id).ok_or_else(|| failed(AdminError::NotFound(format!("user {id}"))))
}

pub async fn groups_get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    let console = console_for_page(&req, &state).await?;
    let query = page_query(&req)?;
    let list = groups::list_groups(state.provider.store())
        .await
        .map_err(failed)?;
    Ok(render(
        &req,
        GroupsPage {
            chrome: Chrome::new("groups", &console, &state, &query),
            groups: list
                .iter()
                .map(|g| GroupRow {
                    name: g.name.to_string(),
                    members: g.members,
                    created: format_time(g.created_at),
                })
                .collect(),
        },
    ))
}

pub async fn groups_create_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let (console, form) = console_form(&req, &state, &body).await?;
    let group = groups::create_group(
        state.provider.store(),
        form.get("name").unwrap_or_default(),
        &actor(&console),
        state.now(),
    )
    .await
    .map_err(failed)?;
    Ok(done(&group_path(group.name.as_str()), "saved"))
}

pub async fn group_get(
    req: HttpRequest,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, HttpError> {
    let console = console_for_page(&req, &state).await?;
    let query = page_query(&req)?;
    let (group, members) = groups::show_group(state.provider.store(), &name)
        .await
        .map_err(failed)?;
    Ok(render(
        &req,
        GroupPage {
            chrome: Chrome::new("groups", &console, &state, &query),
            name: group.name.to_string(),
            members: group.members,
            users: members
                .into_iter()
                .map(|(id, username)| MemberRow {
                    id: id.to_string(),
                    username: username.as_str().to_string(),
                })
                .collect(),
        },
    ))
}

/// Add a member by username.
pub async fn group_add_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    name: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let (console, form) = console_form(&req, &state, &body).await?;
    groups::add_member(
        state.provider.store(),
        UserRef::Username(form.get("username").unwrap_or_default()),
        &name,
        &actor(&console),
        state.now(),
    )
    .await
    .map_err(failed)?;
    Ok(done(&group_path(&name), "member-added"))
}

/// Take a member out; back to the group's page, or the user's with
/// `back=user`.
pub async fn group_remove_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let (console, form) = console_form(&req, &state, &body).await?;
    let (name, id) = path.into_inner();
    let id = user_id(&id)?;
    groups::remove_member(
        state.provider.store(),
        UserRef::Id(&id),
        &name,
        &actor(&console),
        state.now(),
    )
    .await
    .map_err(failed)?;
    let back = if form.get("back") == Some("user") {
        format!("/admin/users/{id}")
    } else {
        group_path(&name)
    };
    Ok(done(&back, "member-removed"))
}

pub async fn group_delete_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    name: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let (console, form) = console_form(&req, &state, &body).await?;
    if !form
        .get("confirm")
        .is_some_and(|c| c.trim().eq_ignore_ascii_case(name.trim()))
    {
        return Err(failed(AdminError::Refused(
            "type the group's name to delete it",
        )));
    }
    groups::delete_group(state.provider.store(), &name, &actor(&console), state.now())
        .await
        .map_err(failed)?;
    Ok(done("/admin/groups", "group-deleted"))
}

/// Put the user of a user page in the group chosen there.
pub async fn user_group_add_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let (console, form) = console_form(&req, &state, &body).await?;
    let id = user_id(&id)?;
    groups::add_member(
        state.provider.store(),
        UserRef::Id(&id),
        form.get("group").unwrap_or_default(),
        &actor(&console),
        state.now(),
    )
    .await
    .map_err(failed)?;
    Ok(done(&format!("/admin/users/{id}"), "member-added"))
}
