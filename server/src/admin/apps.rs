//! Applications behind gateways: register one under a host, say who may use
//! it (groups, single users; nobody named: anyone signed in), change, show
//! and remove it. A host must lie under the gateway cookie's domain, or the
//! browser would never send that cookie along with the application's
//! requests.

use serde_json::json;

use super::groups::find_group;
use super::users::{UserRef, find_user};
use super::{AdminError, event};
use crate::domain::app::check_audience;
use crate::domain::{Actor, App, AppHost, DomainError, SigningAlg, user::is_displayable};
use crate::store::{AppRules, Store};

#[derive(Debug, Default)]
pub struct NewApp {
    pub name: String,
    pub host: String,
    /// `https://HOST` when absent.
    pub audience: Option<String>,
    /// ES256 when absent.
    pub token_alg: Option<SigningAlg>,
    pub allow_groups: Vec<String>,
    /// Usernames.
    pub allow_users: Vec<String>,
}

/// Changes to an application; `None` leaves a field as it is, a list given
/// replaces the registered one.
#[derive(Debug, Default)]
pub struct AppUpdate {
    pub name: Option<String>,
    pub host: Option<String>,
    pub audience: Option<String>,
    pub token_alg: Option<SigningAlg>,
    pub allow_groups: Option<Vec<String>>,
    pub allow_users: Option<Vec<String>>,
}

fn app_name(value: &str) -> Result<String, AdminError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > 200 || !is_displayable(value) {
        return Err(AdminError::Invalid(DomainError::InvalidName));
    }
    Ok(value.to_string())
}

/// A host the gateway cookie reaches.
fn host(value: &str, cookie_domain: Option<&str>) -> Result<AppHost, AdminError> {
    let host = AppHost::parse(value)?;
    let Some(domain) = cookie_domain else {
        return Err(AdminError::Invalid(DomainError::NoCookieDomain));
    };
    if !host.is_within(domain) {
        return Err(AdminError::Invalid(DomainError::HostOutsideCookieDomain {
            host: host.to_string(),
            domain: domain.trim_start_matches('.').to_string(),
        }));
    }
    Ok(host)
}

/// The stored ids behind the names of an allow-list; an unknown name is
/// an error that names it.
async fn rules(store: &Store, groups: &[String], users: &[String]) -> Result<AppRules, AdminError> {
    let mut rules = AppRules::default();
    for name in groups {
        let group = find_group(store, name).await?;
        if !rules.group_ids.contains(&group.id) {
            rules.group_ids.push(group.id);
        }
    }
    for name in users {
        let user = find_user(store, UserRef::Username(name)).await?;
        if !rules.user_ids.contains(&user.id) {
            rules.user_ids.push(user.id);
        }
    }
    Ok(rules)
}

fn target(app: &App) -> Option<String> {
    Some(format!("app:{}", app.host))
}

fn details(app: &App) -> serde_json::Value {
    json!({
        "name": app.name,
        "audience": app.audience,
        "alg": app.token_alg.as_str(),
        "allow_groups": app.allowed_groups,
        "allow_users": app.allowed_users,
    })
}

pub async fn create_app(
    store: &Store,
    cookie_domain: Option<&str>,
    new: NewApp,
    actor: &Actor,
    now: i64,
) -> Result<App, AdminError> {
    let name = app_name(&new.name)?;
    let host = host(&new.host, cookie_domain)?;
    let audience = match new
        .audience
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        Some(audience) => check_audience(audience)?,
        None => App::default_audience(&host),
    };
    let rules = rules(store, &new.allow_groups, &new.allow_users).await?;
    let app = App {
        id: uuid::Uuid::new_v4().to_string(),
        name,
        host,
        audience,
        token_alg: new.token_alg.unwrap_or(SigningAlg::ES256),
        allowed_groups: Vec::new(),
        allowed_users: Vec::new(),
        created_at: now,
        updated_at: now,
    };
    let app = with_names(app, &new.allow_groups, &new.allow_users)?;
    let mut unit = store.unit().await?;
    unit.insert_app(&app, &rules)
        .await
        .map_err(|e| AdminError::from_store(e, format!("an application on {}", app.host)))?;
    unit.audit(&[event(actor, "app.create", target(&app), details(&app), now)])
        .await?;
    unit.commit().await?;
    Ok(app)
}

/// The allow-lists as names, normalised as stored.
fn with_names(mut app: App, groups: &[String], users: &[String]) -> Result<App, AdminError> {
    let mut group_names = groups
        .iter()
        .map(|g| crate::domain::GroupName::parse(g))
        .collect::<Result<Vec<_>, _>>()?;
    group_names.sort();
    group_names.dedup();
    let mut usernames = users
        .iter()
        .map(|u| crate::domain::Username::parse(u))
        .collect::<Result<Vec<_>, _>>()?;
    usernames.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    usernames.dedup();
    app.allowed_groups = group_names;
    app.allowed_users = usernames;
    Ok(app)
}

/// An application by id or by host.
pub async fn find_app(store: &Store, id_or_host: &str) -> Result<App, AdminError> {
    let by_id = store.app_by_id(id_or_host.trim()).await?;
    let found = match by_id {
        Some(app) => Some(app),
        None => match AppHost::parse(id_or_host) {
            Ok(host) => store.app_by_host(&host).await?,
            Err(_) => None,
        },
    };
    found.ok_or_else(|| AdminError::NotFound(format!("application {id_or_host}")))
}

pub async fn list_apps(store: &Store) -> Result<Vec<App>, AdminError> {
    Ok(store.list_apps().await?)
}

pub async fn update_app(
    store: &Store,
    cookie_domain: Option<&str>,
    id_or_host: &str,
    update: AppUpdate,
    actor: &Actor,
    now: i64,
) -> Result<App, AdminError> {
    let current = find_app(store, id_or_host).await?;
    let mut app = current.clone();
    if let Some(name) = &update.name {
        app.name = app_name(name)?;
    }
    if let Some(value) = &update.host {
        app.host = host(value, cookie_domain)?;
    }
    if let Some(audience) = &update.audience {
        app.audience = match audience.trim() {
            "" => App::default_audience(&app.host),
            value => check_audience(value)?,
        };
    }
    if let Some(alg) = update.token_alg {
        app.token_alg = alg;
    }
    let groups: Vec<String> = update.allow_groups.clone().unwrap_or_else(|| {
        current
            .allowed_groups
            .iter()
            .map(ToString::to_string)
            .collect()
    });
    let users: Vec<String> = update.allow_users.clone().unwrap_or_else(|| {
        current
            .allowed_users
            .iter()
            .map(|u| u.as_str().to_string())
            .collect()
    });
    let rules = rules(store, &groups, &users).await?;
    app.updated_at = now;
    let app = with_names(app, &groups, &users)?;
    let mut unit = store.unit().await?;
    unit.update_app(&app, &rules)
        .await
        .map_err(|e| AdminError::from_store(e, format!("an application on {}", app.host)))?;
    unit.audit(&[event(actor, "app.update", target(&app), details(&app), now)])
        .await?;
    unit.commit().await?;
    Ok(app)
}

pub async fn delete_app(
    store: &Store,
    id_or_host: &str,
    actor: &Actor,
    now: i64,
) -> Result<App, AdminError> {
    let app = find_app(store, id_or_host).await?;
    let mut unit = store.unit().await?;
    unit.delete_app(&app.id)
        .await
        .map_err(|e| AdminError::from_store(e, format!("application {}", app.host)))?;
    unit.audit(&[event(actor, "app.delete", target(&app), json!({}), now)])
        .await?;
    unit.commit().await?;
    Ok(app)
}
