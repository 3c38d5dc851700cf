//! API resources: register, list, show, change and delete them; define
//! their roles and give those roles to users and groups; say which clients
//! may get tokens for them or exchange tokens to them. Every change is
//! audited in the transaction that makes it; a change of roles is seen by
//! the next token issued.

use serde_json::json;

use super::groups::find_group;
use super::users::{UserRef, find_user};
use super::{AdminError, event};
use crate::domain::{
    Actor, Api, ApiAllowance, ApiIdentifier, ClientId, Role, RoleName, Scopes, SigningAlg,
    TokenFormat, UserId,
};
use crate::store::Store;

/// What `api create` asks for.
#[derive(Clone, Debug, Default)]
pub struct NewApi {
    pub identifier: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub token_format: Option<TokenFormat>,
    pub access_token_alg: Option<SigningAlg>,
    pub lifetime: Option<i64>,
    pub introspectors: Vec<String>,
}

/// What `api update` changes; `None` leaves a field alone.
#[derive(Clone, Debug, Default)]
pub struct ApiUpdate {
    pub name: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub token_format: Option<TokenFormat>,
    pub access_token_alg: Option<SigningAlg>,
    pub lifetime: Option<i64>,
    pub introspectors: Option<Vec<String>>,
}

/// Who receives or loses a role.
#[derive(Clone, Copy, Debug)]
pub enum Holder<'a> {
    User(UserRef<'a>),
    Group(&'a str),
}

fn target(api: &Api) -> String {
    format!("api:{}", api.identifier)
}

fn check_name(name: &str) -> Result<String, AdminError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 128 || name.chars().any(char::is_control) {
        return Err(crate::domain::DomainError::InvalidName.into());
    }
    Ok(name.to_string())
}

fn parse_scopes(list: &[String]) -> Result<Scopes, AdminError> {
    Ok(Scopes::parse(&list.join(" "))?)
}

async fn introspectors(store: &Store, ids: &[String]) -> Result<Vec<ClientId>, AdminError> {
    let mut list = Vec::with_capacity(ids.len());
    for id in ids {
        let client = super::clients::find(store, id).await?;
        if client.is_public() {
            return Err(AdminError::Failed(format!(
                "client {} is public: only a confidential client can act as an API",
                client.id
            )));
        }
        if !list.contains(&client.id) {
            list.push(client.id);
        }
    }
    Ok(list)
}

pub async fn create_api(
    store: &Store,
    new: NewApi,
    default_lifetime: i64,
    actor: &Actor,
    now: i64,
) -> Result<Api, AdminError> {
    let api = Api {
        id: uuid::Uuid::new_v4().to_string(),
        identifier: ApiIdentifier::parse(&new.identifier)?,
        name: check_name(&new.name)?,
        scopes: parse_scopes(&new.scopes)?,
        token_format: new.token_format.unwrap_or(TokenFormat::Jwt),
        access_token_alg: new.access_token_alg.unwrap_or(SigningAlg::ES256),
        lifetime: Api::check_lifetime(new.lifetime.unwrap_or(default_lifetime))?,
        created_at: now,
        updated_at: now,
        introspectors: introspectors(store, &new.introspectors).await?,
    };
    let mut unit = store.unit().await?;
    unit.insert_api(&api)
        .await
        .map_err(|e| AdminError::from_store(e, format!("API {}", api.identifier)))?;
    unit.audit(&[event(
        actor,
        "api.create",
        Some(target(&api)),
        json!({
            "name": api.name,
            "scopes": api.scopes.to_string(),
            "token_format": api.token_format.as_str(),
        }),
        now,
    )])
    .await?;
    unit.commit().await?;
    Ok(api)
}

pub async fn list_apis(store: &Store) -> Result<Vec<Api>, AdminError> {
    Ok(store.list_apis().await?)
}

/// An API by identifier or id.
pub async fn find_api(store: &Store, api: &str) -> Result<Api, AdminError> {
    let found = match ApiIdentifier::parse(api) {
        Ok(identifier) => store.api_by_identifier(&identifier).await?,
        Err(_) => None,
    };
    let found = match found {
        Some(api) => Some(api),
        None => store.api_by_id(api.trim()).await?,
    };
    found.ok_or_else(|| AdminError::NotFound(format!("API {api}")))
}

/// An API with its roles.
pub async fn show_api(store: &Store, api: &str) -> Result<(Api, Vec<Role>), AdminError> {
    let api = find_api(store, api).await?;
    let roles = store.roles_of_api(&api.id).await?;
    Ok((api, roles))
}

pub async fn update_api(
    store: &Store,
    api: &str,
    update: ApiUpdate,
    actor: &Actor,
    now: i64,
) -> Result<Api, AdminError> {
    let mut api = find_api(store, api).await?;
    let mut changed = serde_json::Map::new();
    if let Some(name) = update.name {
        api.name = check_name(&name)?;
        changed.insert("name".into(), json!(api.name));
    }
    if let Some(scopes) = update.scopes {
        api.scopes = parse_scopes(&scopes)?;
        changed.insert("scopes".into(), json!(api.scopes.to_string()));
    }
    if let Some(format) = update.token_format {
        api.token_format = format;
        changed.insert("token_format".into(), json!(format.as_str()));
    }
    if let Some(alg) = update.access_token_alg {
        api.access_token_alg = alg;
        changed.insert("access_token_alg".into(), json!(alg.as_str()));
    }
    if let Some(lifetime) = update.lifetime {
        api.lifetime = Api::check_lifetime(lifetime)?;
        changed.insert("lifetime".into(), json!(lifetime));
    }
    if let Some(ids) = update.introspectors {
        api.introspectors = introspectors(store, &ids).await?;
        changed.insert(
            "introspectors".into(),
            json!(
                api.introspectors
                    .iter()
                    .map(ClientId::as_str)
                    .collect::<Vec<_>>()
            ),
        );
    }
    api.updated_at = now;
    let mut unit = store.unit().await?;
    unit.update_api(&api)
        .await
        .map_err(|e| AdminError::from_store(e, format!("API {}", api.identifier)))?;
    unit.audit(&[event(
        actor,
        "api.update",
        Some(target(&api)),
        serde_json::Value::Object(changed),
        now,
    )])
    .await?;
    unit.commit().await?;
    Ok(api)
}

/// Delete an API with its roles and allowances: tokens addressed to it are
/// refused from then on.
pub async fn delete_api(
    store: &Store,
    api: &str,
    actor: &Actor,
    now: i64,
) -> Result<Api, AdminError> {
    let api = find_api(store, api).await?;
    let mut unit = store.unit().await?;
    unit.delete_api(&api.id)
        .await
        .map_err(|e| AdminError::from_store(e, format!("API {}", api.identifier)))?;
    unit.audit(&[event(
        actor,
        "api.delete",
        Some(target(&api)),
        json!({}),
        now,
    )])
    .await?;
    unit.commit().await?;
    Ok(api)
}

pub async fn find_role(store: &Store, api: &Api, name: &str) -> Result<Role, AdminError> {
    let name = RoleName::parse(name)?;
    store
        .role_by_name(&api.id, &name)
        .await?
        .ok_or_else(|| AdminError::NotFound(format!("role {name} of {}", api.identifier)))
}

pub async fn create_role(
    store: &Store,
    api: &str,
    name: &str,
    permissions: &[String],
    actor: &Actor,
    now: i64,
) -> Result<(Api, Role), AdminError> {
    let api = find_api(store, api).await?;
    let role = Role {
        id: uuid::Uuid::new_v4().to_string(),
        api_id: api.id.clone(),
        name: RoleName::parse(name)?,
        permissions: parse_scopes(permissions)?,
        created_at: now,
    };
    let mut unit = store.unit().await?;
    unit.insert_role(&role)
        .await
        .map_err(|e| AdminError::from_store(e, format!("role {}", role.name)))?;
    unit.audit(&[event(
        actor,
        "api.role.create",
        Some(target(&api)),
        json!({ "role": role.name, "permissions": role.permissions.to_string() }),
        now,
    )])
    .await?;
    unit.commit().await?;
    Ok((api, role))
}

/// Replace a role's permissions; the next token carries the new ones.
pub async fn set_role_permissions(
    store: &Store,
    api: &str,
    name: &str,
    permissions: &[String],
    actor: &Actor,
    now: i64,
) -> Result<Role, AdminError> {
    let api = find_api(store, api).await?;
    let mut role = find_role(store, &api, name).await?;
    role.permissions = parse_scopes(permissions)?;
    let mut unit = store.unit().await?;
    unit.set_role_permissions(&role.id, &role.permissions)
        .await
        .map_err(|e| AdminError::from_store(e, format!("role {}", role.name)))?;
    unit.audit(&[event(
        actor,
        "api.role.update",
        Some(target(&api)),
        json!({ "role": role.name, "permissions": role.permissions.to_string() }),
        now,
    )])
    .await?;
    unit.commit().await?;
    Ok(role)
}

pub async fn delete_role(
    store: &Store,
    api: &str,
    name: &str,
    actor: &Actor,
    now: i64,
) -> Result<Role, AdminError> {
    let api = find_api(store, api).await?;
    let role = find_role(store, &api, name).await?;
    let mut unit = store.unit().await?;
    unit.delete_role(&role.id)
        .await
        .map_err(|e| AdminError::from_store(e, format!("role {}", role.name)))?;
    unit.audit(&[event(
        actor,
        "api.role.delete",
        Some(target(&api)),
        json!({ "role": role.name }),
        now,
    )])
    .await?;
    unit.commit().await?;
    Ok(role)
}

/// Give (`assign`) or take away a role; `false` (and no audit record) when
/// nothing changed.
pub async fn assign_role(
    store: &Store,
    api: &str,
    role: &str,
    holder: Holder<'_>,
    assign: bool,
    actor: &Actor,
    now: i64,
) -> Result<bool, AdminError> {
    let api = find_api(store, api).await?;
    let role = find_role(store, &api, role).await?;
    let (holder_target, holder_id): (String, HolderId) = match holder {
        Holder::User(user) => {
            let user = find_user(store, user).await?;
            (format!("user:{}", user.id), HolderId::User(user.id))
        }
        Holder::Group(group) => {
            let group = find_group(store, group).await?;
            (format!("group:{}", group.name), HolderId::Group(group.id))
        }
    };
    let mut unit = store.unit().await?;
    let changed = match (&holder_id, assign) {
        (HolderId::User(user), true) => unit.grant_role_to_user(&role.id, user).await?,
        (HolderId::User(user), false) => unit.take_role_from_user(&role.id, user).await?,
        (HolderId::Group(group), true) => unit.grant_role_to_group(&role.id, group).await?,
        (HolderId::Group(group), false) => unit.take_role_from_group(&role.id, group).await?,
    };
    if changed {
        unit.audit(&[event(
            actor,
            if assign {
                "api.role.assign"
            } else {
                "api.role.unassign"
            },
            Some(holder_target),
            json!({ "api": api.identifier, "role": role.name }),
            now,
        )])
        .await?;
    }
    unit.commit().await?;
    Ok(changed)
}

enum HolderId {
    User(UserId),
    Group(String),
}

/// What `client update` says about one API.
#[derive(Clone, Debug)]
pub enum AllowanceChange {
    /// `--allow-api URI[:scope,…]`: tokens for it through `resource`,
    /// within those scopes (all of the API's without them).
    Direct { api: String },
    /// `--exchange-to URI`: tokens exchanged to it.
    Exchange { api: String },
    /// `--remove-api URI`: neither.
    Remove { api: String },
}

/// Split `URI[:scope,…]` into the registered API and the scopes after it:
/// scope names hold `:` too (`products:read`), so the API is the longest
/// prefix that names a registered API.
async fn api_and_scopes(
    store: &Store,
    value: &str,
) -> Result<(Api, Option<Vec<String>>), AdminError> {
    if let Ok(api) = find_api(store, value).await {
        return Ok((api, None));
    }
    for (at, _) in value
        .match_indices(':')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
    {
        let (uri, scopes) = (&value[..at], &value[at + 1..]);
        if let Ok(identifier) = ApiIdentifier::parse(uri)
            && let Some(api) = store.api_by_identifier(&identifier).await?
        {
            let scopes = scopes
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            return Ok((api, Some(scopes)));
        }
    }
    Err(AdminError::NotFound(format!("API {value}")))
}

/// Apply one change to what `client` may do with an API; returns the API
/// and the allowance now in force (`None`: nothing).
pub async fn change_allowance(
    store: &Store,
    client: &str,
    change: AllowanceChange,
    actor: &Actor,
    now: i64,
) -> Result<(Api, Option<ApiAllowance>), AdminError> {
    let found = super::clients::find(store, client).await?;
    let (api, scopes) = match &change {
        AllowanceChange::Direct { api } => api_and_scopes(store, api).await?,
        AllowanceChange::Exchange { api } | AllowanceChange::Remove { api } => {
            (find_api(store, api).await?, None)
        }
    };
    let current = store
        .resource_for(&found.id, api.identifier.as_str())
        .await?
        .and_then(|r| r.allowance);
    let allowance = match change {
        AllowanceChange::Direct { .. } => Some(ApiAllowance {
            scopes: scopes.map(|list| parse_scopes(&list)).transpose()?,
            direct: true,
            exchange: current.as_ref().is_some_and(|c| c.exchange),
        }),
        AllowanceChange::Exchange { .. } => Some(ApiAllowance {
            scopes: current.as_ref().and_then(|c| c.scopes.clone()),
            direct: current.as_ref().is_some_and(|c| c.direct),
            exchange: true,
        }),
        AllowanceChange::Remove { .. } => None,
    };
    let api_ref = api.id.clone();
    let allowance = set_allowance(store, client, &api_ref, allowance, actor, now).await?;
    Ok((api, allowance))
}

/// Set what `client` may do with the API `api` (identifier or id): get
/// tokens for it, exchange tokens to it, within which scopes; `None` or
/// neither right: nothing. Audited.
pub async fn set_allowance(
    store: &Store,
    client: &str,
    api: &str,
    allowance: Option<ApiAllowance>,
    actor: &Actor,
    now: i64,
) -> Result<Option<ApiAllowance>, AdminError> {
    let client = super::clients::find(store, client).await?;
    let api = find_api(store, api).await?;
    let allowance = allowance.filter(|a| a.direct || a.exchange);
    if let Some(extra) = allowance
        .as_ref()
        .and_then(|a| a.scopes.as_ref())
        .and_then(|s| s.unknown_in(&api.scopes).first().map(|s| s.to_string()))
    {
        return Err(AdminError::Failed(format!(
            "{} has no scope {extra}",
            api.identifier
        )));
    }
    if allowance.as_ref().is_some_and(|a| a.exchange) && client.is_public() {
        return Err(AdminError::Failed(format!(
            "client {} is public: only a confidential client can exchange tokens",
            client.id
        )));
    }
    let mut unit = store.unit().await?;
    unit.set_allowance(&client.id, &api.id, allowance.as_ref())
        .await?;
    unit.audit(&[event(
        actor,
        "client.allow_api",
        Some(format!("client:{}", client.id)),
        json!({
            "api": api.identifier,
            "tokens": allowance.as_ref().is_some_and(|a| a.direct),
            "exchange": allowance.as_ref().is_some_and(|a| a.exchange),
            "scopes": allowance.as_ref().and_then(|a| a.scopes.as_ref()).map(Scopes::to_string),
        }),
        now,
    )])
    .await?;
    unit.commit().await?;
    Ok(allowance)
}
