//! The console's Clients pages: the list, a new client (its secret shown
//! once), one client with its back-channel deliveries, and its actions.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use super::users::ShownOnce;
use super::{Chrome, console_for_page, console_form, done, failed, page_query, render};
use crate::admin::clients::{self, ClientUpdate, NewClient};
use crate::domain::{
    Actor, AuthMethod, Client, DeliveryStatus, GrantType, RedirectUriPolicy, SigningAlg,
};
use crate::http::HttpError;
use crate::http::body::Body;
use crate::http::format::format_optional;
use crate::oauth::Params;
use crate::state::AppState;

struct ClientRow {
    id: String,
    name: String,
    kind: &'static str,
    grants: String,
    backchannel: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/clients.html")]
struct ClientsPage {
    chrome: Chrome,
    clients: Vec<ClientRow>,
}

/// The fields of the client form, as shown.
#[derive(Default)]
struct ClientForm {
    id: String,
    public: bool,
    auth_method: String,
    name: String,
    redirect_uris: String,
    post_logout_redirect_uris: String,
    backchannel_logout_uri: String,
    session_required: bool,
    grant_code: bool,
    grant_refresh: bool,
    grant_client_credentials: bool,
    scopes: String,
    first_party: bool,
    id_token_alg: &'static str,
    access_token_alg: &'static str,
}

impl ClientForm {
    fn of(c: &Client) -> Self {
        let lines = |list: &[crate::domain::RedirectUri]| {
            list.iter()
                .map(|u| u.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        };
        Self {
            id: c.id.to_string(),
            public: c.is_public(),
            auth_method: c.auth_method().as_str().to_string(),
            name: c.name.clone(),
            redirect_uris: lines(&c.redirect_uris),
            post_logout_redirect_uris: lines(&c.logout.post_logout_redirect_uris),
            backchannel_logout_uri: c
                .logout
                .backchannel_logout_uri
                .as_ref()
                .map(|u| u.as_str().to_string())
                .unwrap_or_default(),
            session_required: c.logout.backchannel_logout_session_required,
            grant_code: c.allows(GrantType::AuthorizationCode),
            grant_refresh: c.allows(GrantType::RefreshToken),
            grant_client_credentials: c.allows(GrantType::ClientCredentials),
            scopes: c.scopes.as_ref().map(|s| s.to_string()).unwrap_or_default(),
            first_party: c.first_party,
            id_token_alg: c.id_token_alg.as_str(),
            access_token_alg: c.access_token_alg.as_str(),
        }
    }

    fn fresh() -> Self {
        Self {
            auth_method: "client_secret_basic".into(),
            grant_code: true,
            grant_refresh: true,
            id_token_alg: "RS256",
            access_token_alg: "RS256",
            ..Self::default()
        }
    }

    /// What the browser posted, to show again after a mistake.
    fn posted(form: &Params) -> Self {
        let alg = |name| {
            SigningAlg::ALL
                .iter()
                .map(|a| a.as_str())
                .find(|a| Some(*a) == form.get(name))
                .unwrap_or("RS256")
        };
        Self {
            id: form.get("id").unwrap_or_default().into(),
            public: form.get("kind") == Some("public"),
            auth_method: form
                .get("auth_method")
                .unwrap_or("client_secret_basic")
                .into(),
            name: form.get("name").unwrap_or_default().into(),
            redirect_uris: form.get("redirect_uris").unwrap_or_default().into(),
            post_logout_redirect_uris: form
                .get("post_logout_redirect_uris")
                .unwrap_or_default()
                .into(),
            backchannel_logout_uri: form
                .get("backchannel_logout_uri")
                .unwrap_or_default()
                .into(),
            session_required: checked(form, "backchannel_logout_session_required"),
            grant_code: checked(form, "grant_authorization_code"),
            grant_refresh: checked(form, "grant_refresh_token"),
            grant_client_credentials: checked(form, "grant_client_credentials"),
            scopes: form.get("scopes").unwrap_or_default().into(),
            first_party: checked(form, "first_party"),
            id_token_alg: alg("id_token_alg"),
            access_token_alg: alg("access_token_alg"),
        }
    }
}

struct DeliveryView {
    pending: u64,
    delivered: u64,
    abandoned: u64,
    last_attempt: String,
    last_outcome: String,
}

impl From<&DeliveryStatus> for DeliveryView {
    fn from(d: &DeliveryStatus) -> Self {
        Self {
            pending: d.pending,
            delivered: d.delivered,
            abandoned: d.abandoned,
            last_attempt: format_optional(d.last_attempt_at),
            last_outcome: d.last_outcome.clone().unwrap_or_else(|| "-".into()),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/client_new.html")]
struct NewClientPage {
    chrome: Chrome,
    form: ClientForm,
    algs: Vec<&'static str>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/client.html")]
struct ClientPage {
    chrome: Chrome,
    client_id: String,
    kind: &'static str,
    public: bool,
    auth_method: &'static str,
    form: ClientForm,
    algs: Vec<&'static str>,
    delivery: DeliveryView,
}

fn algs() -> Vec<&'static str> {
    SigningAlg::ALL.iter().map(|a| a.as_str()).collect()
}

fn checked(form: &Params, name: &str) -> bool {
    form.get(name) == Some("yes")
}

fn lines(value: Option<&str>) -> Vec<String> {
    value
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn grants(form: &Params) -> Vec<GrantType> {
    [
        ("grant_authorization_code", GrantType::AuthorizationCode),
        ("grant_refresh_token", GrantType::RefreshToken),
        ("grant_client_credentials", GrantType::ClientCredentials),
    ]
    .into_iter()
    .filter(|(name, _)| checked(form, name))
    .map(|(_, grant)| grant)
    .collect()
}

fn alg(form: &Params, name: &str) -> SigningAlg {
    form.get(name)
        .and_then(|a| a.parse().ok())
        .unwrap_or(SigningAlg::RS256)
}

fn policy(state: &AppState) -> RedirectUriPolicy {
    RedirectUriPolicy {
        allow_http: !state.web.cookies.secure,
    }
}

fn kind(client: &Client) -> &'static str {
    if client.is_public() {
        "public"
    } else {
        "confidential"
    }
}

pub async fn clients_get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    let console = console_for_page(&req, &state).await?;
    let query = page_query(&req)?;
    let store = state.provider.store();
    let list = clients::list_clients(store).await.map_err(failed)?;
    let mut rows = Vec::with_capacity(list.len());
    for c in &list {
        let backchannel = match &c.logout.backchannel_logout_uri {
            None => "-".to_string(),
            Some(_) => {
                let status = store
                    .delivery_status(&c.id)
                    .await
                    .map_err(|e| failed(e.into()))?;
                format!(
                    "{} pending, {} delivered, {} abandoned",
                    status.pending, status.delivered, status.abandoned
                )
            }
        };
        rows.push(ClientRow {
            id: c.id.to_string(),
            name: c.name.clone(),
            kind: kind(c),
            grants: c
                .grant_types
                .iter()
                .map(|g| g.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            backchannel,
        });
    }
    Ok(render(
        &req,
        ClientsPage {
            chrome: Chrome::new("clients", &console, &state, &query),
            clients: rows,
        },
    ))
}

pub async fn client_new_get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    let console = console_for_page(&req, &state).await?;
    let query = page_query(&req)?;
    Ok(render(
        &req,
        NewClientPage {
            chrome: Chrome::new("clients", &console, &state, &query),
            form: ClientForm::fresh(),
            algs: algs(),
        },
    ))
}

pub async fn clients_create_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let (console, form) = console_form(&req, &state, &body).await?;
    let public = form.get("kind") == Some("public");
    let new = NewClient {
        id: form.get("id").map(str::to_string),
        name: form.get("name").unwrap_or_default().to_string(),
        public,
        auth_method: if public {
            None
        } else {
            form.get("auth_method")
                .and_then(|m| m.parse::<AuthMethod>().ok())
        },
        redirect_uris: lines(form.get("redirect_uris")),
        grant_types: grants(&form),
        first_party: checked(&form, "first_party"),
        id_token_alg: alg(&form, "id_token_alg"),
        access_token_alg: alg(&form, "access_token_alg"),
        post_logout_redirect_uris: lines(form.get("post_logout_redirect_uris")),
        backchannel_logout_uri: form.get("backchannel_logout_uri").map(str::to_string),
        backchannel_logout_session_required: checked(&form, "backchannel_logout_session_required"),
        scopes: form
            .get("scopes")
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect(),
    };
    let mut chrome = Chrome::new("clients", &console, &state, &Params::default());
    let actor = Actor::Admin(console.user.id.clone());
    match clients::create_client(
        state.provider.store(),
        state.provider.pepper(),
        policy(&state),
        new,
        &actor,
        state.now(),
    )
    .await
    {
        Ok(created) => {
            let back = format!("/admin/clients/{}", created.client.id);
            match created.secret {
                Some(secret) => Ok(render(
                    &req,
                    ShownOnce {
                        chrome,
                        title: format!("{} was registered", created.client.id),
                        explanation: "Give the application its client secret.".into(),
                        label: "Client secret",
                        value: secret.expose().to_string(),
                        back,
                    },
                )),
                None => Ok(done(&back, "saved")),
            }
        }
        Err(err) if !err.is_client_error() => Err(failed(err)),
        Err(err) => {
            chrome.error = Some(err.to_string());
            let page = NewClientPage {
                chrome,
                form: ClientForm::posted(&form),
                algs: algs(),
            };
            Ok(crate::http::page(
                &req,
                page,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            ))
        }
    }
}

async fn client_page(
    req: &HttpRequest,
    state: &AppState,
    chrome: Chrome,
    id: &str,
    form: Option<ClientForm>,
    status: StatusCode,
) -> Result<HttpResponse, HttpError> {
    let (client, delivery) = clients::show_client(state.provider.store(), id)
        .await
        .map_err(failed)?;
    let page = ClientPage {
        chrome,
        client_id: client.id.to_string(),
        kind: kind(&client),
        public: client.is_public(),
        auth_method: client.auth_method().as_str(),
        form: form.unwrap_or_else(|| ClientForm::of(&client)),
        algs: algs(),
        delivery: DeliveryView::from(&delivery),
    };
    Ok(crate::http::page(req, page, status, None))
}

pub async fn client_get(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, HttpError> {
    let console = console_for_page(&req, &state).await?;
    let query = page_query(&req)?;
    let chrome = Chrome::new("clients", &console, &state, &query);
    client_page(&req, &state, chrome, &id, None, StatusCode::OK).await
}

pub async fn client_update_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let (console, form) = console_form(&req, &state, &body).await?;
    let update = ClientUpdate {
        name: form.get("name").map(str::to_string),
        redirect_uris: Some(lines(form.get("redirect_uris"))),
        grant_types: Some(grants(&form)),
        first_party: Some(checked(&form, "first_party")),
        id_token_alg: Some(alg(&form, "id_token_alg")),
        access_token_alg: Some(alg(&form, "access_token_alg")),
        post_logout_redirect_uris: Some(lines(form.get("post_logout_redirect_uris"))),
        backchannel_logout_uri: Some(
            form.get("backchannel_logout_uri")
                .unwrap_or_default()
                .to_string(),
        ),
        backchannel_logout_session_required: Some(checked(
            &form,
            "backchannel_logout_session_required",
        )),
        scopes: Some(
            form.get("scopes")
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_string)
                .collect(),
        ),
    };
    let actor = Actor::Admin(console.user.id.clone());
    match clients::update_client(
        state.provider.store(),
        policy(&state),
        &id,
        update,
        &actor,
        state.now(),
    )
    .await
    {
        Ok(client) => Ok(done(&format!("/admin/clients/{}", client.id), "saved")),
        Err(err) if err.is_client_error() => {
            let mut chrome = Chrome::new("clients", &console, &state, &Params::default());
            chrome.error = Some(err.to_string());
            client_page(
                &req,
                &state,
                chrome,
                &id,
                Some(ClientForm::posted(&form)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(err) => Err(failed(err)),
    }
}

pub async fn client_secret_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let (console, _) = console_form(&req, &state, &body).await?;
    let actor = Actor::Admin(console.user.id.clone());
    let (client, secret) = clients::rotate_secret(
        state.provider.store(),
        state.provider.pepper(),
        &id,
        &actor,
        state.now(),
    )
    .await
    .map_err(failed)?;
    let chrome = Chrome::new("clients", &console, &state, &Params::default());
    Ok(render(
        &req,
        ShownOnce {
            chrome,
            title: format!("New secret of {}", client.id),
            explanation: "The old secret no longer works. Give the application this one.".into(),
            label: "Client secret",
            value: secret.expose().to_string(),
            back: format!("/admin/clients/{}", client.id),
        },
    ))
}

/// The client's page again, saying why a change was refused.
async fn refused(
    req: &HttpRequest,
    state: &AppState,
    mut chrome: Chrome,
    id: &str,
    message: String,
) -> Result<HttpResponse, HttpError> {
    chrome.error = Some(message);
    client_page(
        req,
        state,
        chrome,
        id,
        None,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// Change how the client authenticates (see
/// [`clients::change_auth_method`]): a client becoming confidential gets a
/// secret, shown once.
pub async fn client_auth_method_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let (console, form) = console_form(&req, &state, &body).await?;
    let chrome = Chrome::new("clients", &console, &state, &Params::default());
    let Some(method) = form
        .get("auth_method")
        .and_then(|m| m.parse::<AuthMethod>().ok())
    else {
        let message = "Choose client_secret_basic, client_secret_post or none.";
        return refused(&req, &state, chrome, &id, message.into()).await;
    };
    let actor = Actor::Admin(console.user.id.clone());
    let changed = clients::change_auth_method(
        state.provider.store(),
        state.provider.pepper(),
        &id,
        method,
        &actor,
        state.now(),
    )
    .await;
    let (client, secret) = match changed {
        Ok(changed) => changed,
        Err(err) if err.is_client_error() => {
            return refused(&req, &state, chrome, &id, err.to_string()).await;
        }
        Err(err) => return Err(failed(err)),
    };
    let back = format!("/admin/clients/{}", client.id);
    match secret {
        Some(secret) => Ok(render(
            &req,
            ShownOnce {
                chrome,
                title: format!("{} is now confidential", client.id),
                explanation:
                    "Give the application its client secret. Its earlier tokens were revoked."
                        .into(),
                label: "Client secret",
                value: secret.expose().to_string(),
                back,
            },
        )),
        None => Ok(done(&back, "saved")),
    }
}

pub async fn client_delete_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, HttpError> {
    let (console, form) = console_form(&req, &state, &body).await?;
    if form.get("confirm").map(str::trim) != Some(id.as_str()) {
        return Err(HttpError::page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Not deleted",
            &format!("Type the client id {} to confirm.", id.as_str()),
        ));
    }
    let actor = Actor::Admin(console.user.id.clone());
    clients::delete_client(state.provider.store(), &id, &actor, state.now())
        .await
        .map_err(failed)?;
    Ok(done("/admin/clients", "client-deleted"))
}
