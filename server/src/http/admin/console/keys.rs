//! The console's Signing keys page.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use super::{Chrome, console_for_page, console_form, done, failed, page_query, render};
use crate::admin::keys::{KeyInfo, list_keys};
use crate::domain::Actor;
use crate::http::HttpError;
use crate::http::body::Body;
use crate::http::format::{format_optional, format_time};
use crate::state::AppState;

struct KeyRow {
    kid: String,
    alg: &'static str,
    state: &'static str,
    created: String,
    activates: String,
    deactivates: String,
    published_until: String,
    /// Revocable: published (not retired or revoked already).
    revocable: bool,
}

impl From<&KeyInfo> for KeyRow {
    fn from(k: &KeyInfo) -> Self {
        Self {
            kid: k.kid.clone(),
            alg: k.alg.as_str(),
            state: k.state.as_str(),
            created: format_time(k.created_at),
            activates: format_time(k.activates_at),
            deactivates: format_optional(k.deactivated_at),
            published_until: format_optional(k.published_until),
            revocable: k.state.is_published(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/keys.html")]
struct KeysPage {
    chrome: Chrome,
    keys: Vec<KeyRow>,
    interval: String,
}

pub async fn keys_get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    let console = console_for_page(&req, &state).await?;
    let query = page_query(&req)?;
    let keys = list_keys(state.provider.store(), state.now())
        .await
        .map_err(failed)?;
    let days = state.provider.config().key_rotation.interval / 86_400;
    Ok(render(
        &req,
        KeysPage {
            chrome: Chrome::new("keys", &console, &state, &query),
            keys: keys.iter().map(KeyRow::from).collect(),
            interval: format!("{days} days"),
        },
    ))
}

pub async fn keys_rotate_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let (console, _) = console_form(&req, &state, &body).await?;
    state
        .provider
        .rotate_keys(Actor::Admin(console.user.id.clone()), state.now())
        .await
        .map_err(HttpError::page_from)?;
    Ok(done("/admin/keys", "keys-rotated"))
}

/// Revoke a key: the form names the key, and the administrator types its
/// id again to confirm.
pub async fn key_revoke_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    kid: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let (console, form) = console_form(&req, &state, &body).await?;
    if form.get("confirm").map(str::trim) != Some(kid.as_str()) {
        return Err(HttpError::page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Not revoked",
            &format!("Type the key id {} to confirm.", kid.as_str()),
        ));
    }
    state
        .provider
        .revoke_key(&kid, Actor::Admin(console.user.id.clone()), state.now())
        .await
        .map_err(|e| failed(e.into()))?;
    Ok(done("/admin/keys", "key-revoked"))
}
