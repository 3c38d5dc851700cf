//! The console's Applications pages: applications behind gateways, who may
//! use them, and the audience and algorithm of their internal JWTs.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use super::{Chrome, console_for_page, console_form, done, failed, page_query, render};
use crate::admin::AdminError;
use crate::admin::apps::{self, AppUpdate, NewApp};
use crate::domain::{Actor, App, SigningAlg};
use crate::http::HttpError;
use crate::http::body::Body;
use crate::oauth::Params;
use crate::state::AppState;

struct AppRow {
    id: String,
    name: String,
    host: String,
    audience: String,
    allowed: String,
}

/// The fields of the application form, as shown.
#[derive(Default)]
struct AppForm {
    name: String,
    host: String,
    audience: String,
    alg: &'static str,
    /// Space-separated names.
    groups: String,
    /// One username per line.
    users: String,
}

impl AppForm {
    fn of(app: &App) -> Self {
        Self {
            name: app.name.clone(),
            host: app.host.to_string(),
            audience: app.audience.clone(),
            alg: app.token_alg.as_str(),
            groups: app
                .allowed_groups
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" "),
            users: app
                .allowed_users
                .iter()
                .map(|u| u.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    fn posted(form: &Params) -> Self {
        Self {
            name: form.get("name").unwrap_or_default().into(),
            host: form.get("host").unwrap_or_default().into(),
            audience: form.get("audience").unwrap_or_default().into(),
            alg: alg(form).as_str(),
            groups: form.get("groups").unwrap_or_default().into(),
            users: form.get("users").unwrap_or_default().into(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/apps.html")]
struct AppsPage {
    chrome: Chrome,
    apps: Vec<AppRow>,
    cookie_domain: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/app.html")]
struct AppPage {
    chrome: Chrome,
    /// None for a new application.
    id: Option<String>,
    form: AppForm,
    algs: Vec<&'static str>,
    cookie_domain: String,
}

fn actor(console: &crate::oauth::console::Console) -> Actor {
    Actor::Admin(console.user.id.clone())
}

fn alg(form: &Params) -> SigningAlg {
    form.get("alg")
        .and_then(|a| a.parse().ok())
        .unwrap_or(SigningAlg::ES256)
}

fn words(value: Option<&str>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn algs() -> Vec<&'static str> {
    SigningAlg::ALL.iter().map(|a| a.as_str()).collect()
}

fn cookie_domain(state: &AppState) -> String {
    state.web.cookies.domain.clone().unwrap_or_default()
}

fn allowed(app: &App) -> String {
    if app.allowed_groups.is_empty() && app.allowed_users.is_empty() {
        return "anyone signed in".into();
    }
    let mut parts: Vec<String> = app
        .allowed_groups
        .iter()
        .map(|g| format!("group {g}"))
        .collect();
    parts.extend(
        app.allowed_users
            .iter()
            .map(|u| format!("user {}", u.as_str())),
    );
    parts.join(", ")
}

pub async fn apps_get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    let console = console_for_page(&req, &state).await?;
    let query = page_query(&req)?;
    let list = apps::list_apps(state.provider.store())
        .await
        .map_err(failed)?;
    Ok(render(
        &req,
        AppsPage {
            chrome: Chrome::new("apps", &console, &state, &query),
            apps: list
                .iter()
                .map(|a| AppRow {
                    id: a.id.clone(),
                    name: a.name.clone(),
                    host: a.host.to_string(),
                    audience: a.audience.clone(),
                    allowed: allowed(a),
                })
                .collect(),
            cookie_domain: cookie_domain(&state),
        },
    ))
}

pub async fn app_new_get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    let console = console_for_page(&req, &state).await?;
    let query = page_query(&req)?;
    Ok(render(
        &req,
        AppPage {
            chrome: Chrome::new("apps", &console, &state, &query),
            id: None,
            form: AppForm {
                alg: SigningAlg::ES256.as_str(),
                ..AppForm::default()
            },
            algs: algs(),
            cookie_domain: cookie_domain(&state),
        },
    ))
}

/// The form again with what went wrong, or a failure page.
fn form_again(
    req: &HttpRequest,
    state: &AppState,
    mut chrome: Chrome,
    id: Option<String>,
    form: &Params,
    err: AdminError,
) -> Result<HttpResponse, HttpError> {
    if !err.is_client_error() {
        return Err(failed(err));
    }
    chrome.error = Some(err.to_string());
    let page = AppPage {
        chrome,
        id,
        form: AppForm::posted(form),
        algs: algs(),
        cookie_domain: cookie_domain(state),
    };
    Ok(crate::http::page(
        req,
        page,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
    ))
}

pub async fn apps_create_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let (console, form) = console_form(&req, &state, &body).await?;
    let new = NewApp {
        name: form.get("name").unwrap_or_default().into(),
        host: form.get("host").unwrap_or_default().into(),
        audience: form.get("audience").map(str::to_string),
        token_alg: Some(alg(&form)),
        allow_groups: words(form.get("groups")),
        allow_users: words(form.get("users")),
    };
    let chrome = Chrome::new("apps", &console, &state, &Params::default());
    match apps::create_app(
        state.provider.store(),
        state.web.cookies.domain.as_deref(),
        new,
        &actor(&console),
        state.now(),
    )
    .await
    {
        Ok(app) => Ok(done(&format!("/admin/apps/{}", app.id), "saved")),
        Err(err) => form_again(&req, &state, chrome, None, &form, err),
    }
}

pub async fn app_get(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, HttpError> {
    let console = console_for_page(&req, &state).await?;
    let query = page_query(&req)?;
    let app = apps::find_app(state.provider.store(), &id)
        .await
        .map_err(failed)?;
    Ok(render(
        &req,
        AppPage {
            chrome: Chrome::new("apps", &console, &state, &query),
            id: Some(app.id.clone()),
            form: AppForm::of(&app),
            algs: algs(),
            cookie_domain: cookie_domain(&state),
        },
    ))
}

pub async fn app_update_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let (console, form) = console_form(&req, &state, &body).await?;
    let update = AppUpdate {
        name: form.get("name").map(str::to_string),
        host: form.get("host").map(str::to_string),
        audience: Some(form.get("audience").unwrap_or_default().to_string()),
        token_alg: Some(alg(&form)),
        allow_groups: Some(words(form.get("groups"))),
        allow_users: Some(words(form.get("users"))),
    };
    let chrome = Chrome::new("apps", &console, &state, &Params::default());
    match apps::update_app(
        state.provider.store(),
        state.web.cookies.domain.as_deref(),
        &id,
        update,
        &actor(&console),
        state.now(),
    )
    .await
    {
        Ok(app) => Ok(done(&format!("/admin/apps/{}", app.id), "saved")),
        Err(err) => form_again(&req, &state, chrome, Some(id.into_inner()), &form, err),
    }
}

pub async fn app_delete_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let (console, form) = console_form(&req, &state, &body).await?;
    let app = apps::find_app(state.provider.store(), &id)
        .await
        .map_err(failed)?;
    if form.get("confirm").map(str::trim) != Some(app.host.as_str()) {
        return Err(failed(AdminError::Refused(
            "type the application's host to remove it",
        )));
    }
    apps::delete_app(
        state.provider.store(),
        &app.id,
        &actor(&console),
        state.now(),
    )
    .await
    .map_err(failed)?;
    Ok(done("/admin/apps", "app-deleted"))
}
