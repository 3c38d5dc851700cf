//! Registering, changing, showing and deleting OAuth clients.

use serde_json::json;

use super::{AdminError, FieldChecks, event};
use crate::domain::crypto::{Pepper, random_token};
use crate::domain::{
    Actor, AuthMethod, Client, ClientId, ClientSecretHash, ClientSpec, DeliveryStatus, DomainError,
    GrantType, LogoutRegistration, RedirectUri, RedirectUriPolicy, Scopes, Secret, SigningAlg,
};
use crate::store::Store;

#[derive(Debug)]
pub struct NewClient {
    /// Generated when absent.
    pub id: Option<String>,
    pub name: String,
    /// Public clients (browser and native apps) have no secret and use PKCE.
    pub public: bool,
    /// For confidential clients; `client_secret_basic` when absent.
    pub auth_method: Option<AuthMethod>,
    pub redirect_uris: Vec<String>,
    /// `authorization_code` and `refresh_token` when empty.
    pub grant_types: Vec<GrantType>,
    pub first_party: bool,
    pub id_token_alg: SigningAlg,
    pub access_token_alg: SigningAlg,
    pub post_logout_redirect_uris: Vec<String>,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    /// The scopes the client may be granted; empty: the standard OpenID ones.
    pub scopes: Vec<String>,
}

impl Default for NewClient {
    fn default() -> Self {
        Self {
            id: None,
            name: String::new(),
            public: false,
            auth_method: None,
            redirect_uris: Vec::new(),
            grant_types: Vec::new(),
            first_party: false,
            id_token_alg: SigningAlg::RS256,
            access_token_alg: SigningAlg::RS256,
            post_logout_redirect_uris: Vec::new(),
            backchannel_logout_uri: None,
            backchannel_logout_session_required: false,
            scopes: Vec::new(),
        }
    }
}

/// Changes to a client; `None` leaves a field as it is. A list given
/// replaces the registered one; an empty back-channel URI removes it.
#[derive(Debug, Default)]
pub struct ClientUpdate {
    pub name: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    pub grant_types: Option<Vec<GrantType>>,
    pub first_party: Option<bool>,
    pub id_token_alg: Option<SigningAlg>,
    pub access_token_alg: Option<SigningAlg>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: Option<bool>,
    pub scopes: Option<Vec<String>>,
}

impl ClientUpdate {
    /// Changes nothing.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.redirect_uris.is_none()
            && self.grant_types.is_none()
            && self.first_party.is_none()
            && self.id_token_alg.is_none()
            && self.access_token_alg.is_none()
            && self.post_logout_redirect_uris.is_none()
            && self.backchannel_logout_uri.is_none()
            && self.backchannel_logout_session_required.is_none()
            && self.scopes.is_none()
    }
}

#[derive(Debug)]
pub struct CreatedClient {
    pub client: Client,
    /// The generated secret of a confidential client: shown once, stored hashed.
    pub secret: Option<Secret>,
}

fn uris(list: &[String], policy: RedirectUriPolicy) -> Result<Vec<RedirectUri>, DomainError> {
    list.iter()
        .map(|uri| RedirectUri::parse(uri, policy))
        .collect()
}

/// Where logout tokens go: https (http only with a development issuer, as
/// for redirect URIs); where it leads is checked again at each delivery.
fn backchannel_uri(
    value: Option<&str>,
    policy: RedirectUriPolicy,
) -> Result<Option<RedirectUri>, DomainError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(uri) => Ok(Some(RedirectUri::parse_backchannel(
            uri,
            policy.allow_http,
        )?)),
    }
}

fn scopes(list: &[String]) -> Result<Option<Scopes>, DomainError> {
    if list.is_empty() {
        return Ok(None);
    }
    Ok(Some(Scopes::parse(&list.join(" "))?))
}

/// Register a client, with an audit record of who did it.
pub async fn create_client(
    store: &Store,
    pepper: &Pepper,
    policy: RedirectUriPolicy,
    new: NewClient,
    actor: &Actor,
    now: i64,
) -> Result<CreatedClient, AdminError> {
    let mut checks = FieldChecks::default();
    let id = match &new.id {
        Some(id) => checks.check(ClientId::parse(id)),
        None => Some(ClientId::generate()),
    };
    let name_allowed = checks.check_as("name", Client::check_name(&new.name));
    let redirect_uris = checks.check(uris(&new.redirect_uris, policy));
    let post_logout_redirect_uris = checks.check_as(
        "post_logout_redirect_uris",
        uris(&new.post_logout_redirect_uris, policy),
    );
    let backchannel_logout_uri = checks.check(backchannel_uri(
        new.backchannel_logout_uri.as_deref(),
        policy,
    ));
    let scopes = checks.check(scopes(&new.scopes));
    let (
        Some(id),
        Some(()),
        Some(redirect_uris),
        Some(post_logout_redirect_uris),
        Some(backchannel_logout_uri),
        Some(scopes),
    ) = (
        id,
        name_allowed,
        redirect_uris,
        post_logout_redirect_uris,
        backchannel_logout_uri,
        scopes,
    )
    else {
        return Err(checks.refusal());
    };
    let auth_method = match (new.public, new.auth_method) {
        (true, None | Some(AuthMethod::None)) => AuthMethod::None,
        (true, Some(_)) => {
            return Err(AdminError::Invalid(DomainError::InvalidClient(
                "a public client authenticates with none",
            )));
        }
        (false, None) => AuthMethod::ClientSecretBasic,
        (false, Some(method)) => method,
    };
    // 256 bits of randomness; only the keyed hash is stored.
    let secret = (auth_method != AuthMethod::None).then(|| Secret::new(random_token(32)));
    let grant_types = if new.grant_types.is_empty() {
        vec![GrantType::AuthorizationCode, GrantType::RefreshToken]
    } else {
        new.grant_types
    };
    let client = Client::new(ClientSpec {
        id,
        name: new.name,
        secret_hash: secret
            .as_ref()
            .map(|s| ClientSecretHash::compute(pepper, s)),
        auth_method,
        redirect_uris,
        grant_types,
        first_party: new.first_party,
        id_token_alg: new.id_token_alg,
        access_token_alg: new.access_token_alg,
        created_at: now,
        logout: LogoutRegistration {
            post_logout_redirect_uris,
            backchannel_logout_uri,
            backchannel_logout_session_required: new.backchannel_logout_session_required,
        },
        scopes,
        tokens_valid_after: now,
    })?;
    client.check_registration()?;
    let mut unit = store.unit().await?;
    unit.insert_client(&client)
        .await
        .map_err(|e| AdminError::from_store(e, format!("client {}", client.id)))?;
    let target = Some(format!("client:{}", client.id));
    unit.audit(&[event(
        actor,
        "client.create",
        target,
        json!({ "name": client.name }),
        now,
    )])
    .await?;
    unit.commit().await?;
    Ok(CreatedClient { client, secret })
}

/// Change a client's registration; the result is checked like a new one.
pub async fn update_client(
    store: &Store,
    policy: RedirectUriPolicy,
    id: &str,
    update: ClientUpdate,
    actor: &Actor,
    now: i64,
) -> Result<Client, AdminError> {
    let current = find(store, id).await?;
    let mut spec = current.to_spec();
    let mut checks = FieldChecks::default();
    if let Some(name) = update.name {
        checks.check_as("name", Client::check_name(&name));
        spec.name = name;
    }
    if let Some(list) = update.redirect_uris
        && let Some(list) = checks.check(uris(&list, policy))
    {
        spec.redirect_uris = list;
    }
    if let Some(grants) = update.grant_types {
        spec.grant_types = grants;
    }
    if let Some(first_party) = update.first_party {
        spec.first_party = first_party;
    }
    if let Some(alg) = update.id_token_alg {
        spec.id_token_alg = alg;
    }
    if let Some(alg) = update.access_token_alg {
        spec.access_token_alg = alg;
    }
    if let Some(list) = update.post_logout_redirect_uris
        && let Some(list) = checks.check_as("post_logout_redirect_uris", uris(&list, policy))
    {
        spec.logout.post_logout_redirect_uris = list;
    }
    if let Some(uri) = update.backchannel_logout_uri
        && let Some(uri) = checks.check(backchannel_uri(Some(&uri), policy))
    {
        spec.logout.backchannel_logout_uri = uri;
    }
    if let Some(required) = update.backchannel_logout_session_required {
        spec.logout.backchannel_logout_session_required = required;
    }
    if let Some(list) = update.scopes
        && let Some(list) = checks.check(scopes(&list))
    {
        spec.scopes = list;
    }
    checks.finish()?;
    let client = Client::new(spec)?;
    client.check_registration()?;
    let mut unit = store.unit().await?;
    unit.update_client(&client)
        .await
        .map_err(|e| AdminError::from_store(e, format!("client {}", client.id)))?;
    let target = Some(format!("client:{}", client.id));
    unit.audit(&[event(
        actor,
        "client.update",
        target,
        changes(&current, &client),
        now,
    )])
    .await?;
    unit.commit().await?;
    Ok(client)
}

/// What an update changed: each field that differs, with its value before
/// and after (never a secret: the secret is not a field here).
fn changes(before: &Client, after: &Client) -> serde_json::Value {
    fn view(c: &Client) -> serde_json::Map<String, serde_json::Value> {
        let uris = |list: &[crate::domain::RedirectUri]| {
            list.iter()
                .map(|u| u.as_str().to_string())
                .collect::<Vec<_>>()
        };
        let mut map = serde_json::Map::new();
        map.insert("name".into(), json!(c.name));
        map.insert("redirect_uris".into(), json!(uris(&c.redirect_uris)));
        map.insert(
            "grant_types".into(),
            json!(c.grant_types.iter().map(|g| g.as_str()).collect::<Vec<_>>()),
        );
        map.insert("first_party".into(), json!(c.first_party));
        map.insert("id_token_alg".into(), json!(c.id_token_alg.as_str()));
        map.insert(
            "access_token_alg".into(),
            json!(c.access_token_alg.as_str()),
        );
        map.insert(
            "post_logout_redirect_uris".into(),
            json!(uris(&c.logout.post_logout_redirect_uris)),
        );
        map.insert(
            "backchannel_logout_uri".into(),
            json!(c.logout.backchannel_logout_uri.as_ref().map(|u| u.as_str())),
        );
        map.insert(
            "backchannel_logout_session_required".into(),
            json!(c.logout.backchannel_logout_session_required),
        );
        map.insert("scopes".into(), json!(c.allowed_scopes().to_string()));
        map
    }
    let (before, after) = (view(before), view(after));
    let mut changed = serde_json::Map::new();
    for (field, new) in after {
        let old = before
            .get(&field)
            .cloned()
            .unwrap_or(serde_json::Value::Null);
        if old != new {
            changed.insert(field, json!({ "from": old, "to": new }));
        }
    }
    serde_json::Value::Object(changed)
}

/// Change how a client authenticates. Between `client_secret_basic` and
/// `client_secret_post` the secret stays. Becoming public drops the secret;
/// becoming confidential makes one (returned, to be shown once). A change
/// of kind also ends every token the client holds: its access tokens stop
/// counting and its refresh tokens are revoked, since they were issued on
/// other terms.
pub async fn change_auth_method(
    store: &Store,
    pepper: &Pepper,
    id: &str,
    method: AuthMethod,
    actor: &Actor,
    now: i64,
) -> Result<(Client, Option<Secret>), AdminError> {
    let current = find(store, id).await?;
    let before = current.auth_method();
    if before == method {
        return Ok((current, None));
    }
    let kind_changes = (before == AuthMethod::None) != (method == AuthMethod::None);
    let mut spec = current.to_spec();
    spec.auth_method = method;
    let secret = match (before == AuthMethod::None, method == AuthMethod::None) {
        (true, false) => Some(Secret::new(random_token(32))),
        _ => None,
    };
    if method == AuthMethod::None {
        spec.secret_hash = None;
    } else if let Some(secret) = &secret {
        spec.secret_hash = Some(ClientSecretHash::compute(pepper, secret));
    }
    if kind_changes {
        spec.tokens_valid_after = now + 1;
    }
    let client = Client::new(spec)?;
    client.check_registration()?;
    let mut unit = store.unit().await?;
    unit.update_client(&client)
        .await
        .map_err(|e| AdminError::from_store(e, format!("client {}", client.id)))?;
    let revoked = if kind_changes {
        unit.revoke_client_grants(&client.id, now).await?
    } else {
        0
    };
    unit.audit(&[event(
        actor,
        "client.update",
        Some(format!("client:{}", client.id)),
        json!({
            "auth_method": { "from": before.as_str(), "to": method.as_str() },
            "grants_revoked": revoked,
        }),
        now,
    )])
    .await?;
    unit.commit().await?;
    Ok((find(store, id).await?, secret))
}

/// Give a confidential client a new secret (shown once); the old one stops
/// working at once, and so do the access tokens issued before.
pub async fn rotate_secret(
    store: &Store,
    pepper: &Pepper,
    id: &str,
    actor: &Actor,
    now: i64,
) -> Result<(Client, Secret), AdminError> {
    let client = find(store, id).await?;
    if client.is_public() {
        return Err(AdminError::Invalid(DomainError::InvalidClient(
            "a public client has no secret",
        )));
    }
    let secret = Secret::new(random_token(32));
    // Access tokens got with the old secret stop counting; tokens issued
    // from now on carry an `iat` no earlier than this (see `Provider::issue`).
    let tokens_valid_after = now + 1;
    let mut unit = store.unit().await?;
    unit.rotate_client_secret(
        &client.id,
        &ClientSecretHash::compute(pepper, &secret),
        tokens_valid_after,
    )
    .await
    .map_err(|e| AdminError::from_store(e, format!("client {}", client.id)))?;
    let target = Some(format!("client:{}", client.id));
    unit.audit(&[event(actor, "client.rotate_secret", target, json!({}), now)])
        .await?;
    unit.commit().await?;
    let client = find(store, id).await?;
    Ok((client, secret))
}

pub async fn find(store: &Store, id: &str) -> Result<Client, AdminError> {
    let id = ClientId::parse(id)?;
    store
        .client_by_id(id.as_str())
        .await?
        .ok_or_else(|| AdminError::NotFound(format!("client {id}")))
}

/// A client with how its back-channel logout deliveries are going.
pub async fn show_client(store: &Store, id: &str) -> Result<(Client, DeliveryStatus), AdminError> {
    let client = find(store, id).await?;
    let status = store.delivery_status(&client.id).await?;
    Ok((client, status))
}

pub async fn list_clients(store: &Store) -> Result<Vec<Client>, AdminError> {
    Ok(store.list_clients().await?)
}

/// Delete a client with its consents and grants; its tokens stop working.
pub async fn delete_client(
    store: &Store,
    id: &str,
    actor: &Actor,
    now: i64,
) -> Result<(), AdminError> {
    let id = ClientId::parse(id)?;
    let mut unit = store.unit().await?;
    unit.delete_client(&id, now)
        .await
        .map_err(|e| AdminError::from_store(e, format!("client {id}")))?;
    unit.audit(&[event(
        actor,
        "client.delete",
        Some(format!("client:{id}")),
        json!({}),
        now,
    )])
    .await?;
    unit.commit().await?;
    Ok(())
}
