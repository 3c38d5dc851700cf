//! `tessera api …`

use clap::{Args, Subcommand};
use serde_json::json;

use super::{output, parse_alg};
use crate::admin;
use crate::admin::apis::{ApiUpdate, Holder, NewApi};
use crate::admin::users::UserRef;
use crate::domain::{Actor, Api, DomainError, Role, SigningAlg, TokenFormat};

fn parse_format(value: &str) -> Result<TokenFormat, String> {
    value.parse().map_err(|e: DomainError| e.to_string())
}
use crate::startup::Services;

#[derive(Debug, Subcommand)]
pub enum ApiCommand {
    /// Register an API that accepts Tessera's access tokens.
    Create(CreateApi),
    /// List APIs.
    List,
    /// Show an API (by identifier or id) with its roles.
    Show { api: String },
    /// Change an API (by identifier or id).
    Update(UpdateApi),
    /// Remove an API: tokens for it are refused from then on.
    Delete {
        api: String,
        /// Type the API's identifier again to confirm.
        #[arg(long)]
        confirm: String,
    },
    /// Define an API's roles and give them to users and groups.
    #[command(subcommand)]
    Role(RoleCommand),
}

#[derive(Debug, Args)]
pub struct CreateApi {
    /// The API's identifier: an absolute URI, the `aud` of its tokens.
    #[arg(long)]
    pub identifier: String,
    #[arg(long)]
    pub name: String,
    /// A scope its tokens may carry; repeat for several.
    #[arg(long = "scope")]
    pub scopes: Vec<String>,
    /// `jwt` (default): the API verifies tokens itself; `opaque`: it
    /// introspects them, and a revocation takes effect at once.
    #[arg(long, value_parser = parse_format)]
    pub token_format: Option<TokenFormat>,
    /// Algorithm of its access tokens: ES256 (default), RS256 or EdDSA.
    #[arg(long, value_parser = parse_alg)]
    pub access_token_alg: Option<SigningAlg>,
    /// Access-token lifetime in seconds (default: access_token_lifetime).
    #[arg(long)]
    pub lifetime: Option<i64>,
    /// A client that acts as this API (introspects its tokens, exchanges
    /// them); repeat for several.
    #[arg(long = "introspector")]
    pub introspectors: Vec<String>,
}

#[derive(Debug, Args)]
pub struct UpdateApi {
    pub api: String,
    #[arg(long)]
    pub name: Option<String>,
    /// Replaces the scopes; repeat for several.
    #[arg(long = "scope")]
    pub scopes: Vec<String>,
    #[arg(long, value_parser = parse_format)]
    pub token_format: Option<TokenFormat>,
    #[arg(long, value_parser = parse_alg)]
    pub access_token_alg: Option<SigningAlg>,
    #[arg(long)]
    pub lifetime: Option<i64>,
    /// Replaces the clients that act as this API; repeat for several.
    #[arg(long = "introspector")]
    pub introspectors: Vec<String>,
    /// No client acts as this API.
    #[arg(long, conflicts_with = "introspectors")]
    pub no_introspectors: bool,
}

#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// Define a role: a name for a set of the API's permissions.
    Create {
        api: String,
        role: String,
        /// A permission, such as products:read; repeat for several.
        #[arg(long = "permission", required = true)]
        permissions: Vec<String>,
    },
    /// Replace a role's permissions.
    Update {
        api: String,
        role: String,
        #[arg(long = "permission", required = true)]
        permissions: Vec<String>,
    },
    /// Delete a role: nobody holds it any more.
    Delete { api: String, role: String },
    /// Give a role to a user or to every member of a group.
    Assign(RoleHolder),
    /// Take a role away from a user or a group.
    Unassign(RoleHolder),
}

#[derive(Debug, Args)]
pub struct RoleHolder {
    pub api: String,
    pub role: String,
    #[arg(long, required_unless_present = "group", conflicts_with = "group")]
    pub user: Option<String>,
    #[arg(long)]
    pub group: Option<String>,
}

pub fn api_json(api: &Api) -> serde_json::Value {
    json!({
        "id": api.id,
        "identifier": api.identifier.as_str(),
        "name": api.name,
        "scopes": api.scopes.iter().collect::<Vec<_>>(),
        "token_format": api.token_format.as_str(),
        "access_token_alg": api.access_token_alg.as_str(),
        "lifetime": api.lifetime,
        "introspectors": api.introspectors.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "created_at": api.created_at,
        "updated_at": api.updated_at,
    })
}

fn role_json(role: &Role) -> serde_json::Value {
    json!({
        "name": role.name.as_str(),
        "permissions": role.permissions.iter().collect::<Vec<_>>(),
    })
}

fn api_text(api: &Api) -> String {
    let introspectors: Vec<&str> = api.introspectors.iter().map(|c| c.as_str()).collect();
    format!(
        "{} ({})\n  scopes: {}\n  access tokens: {} {}, {} s\n  acting clients: {}",
        api.name,
        api.identifier,
        if api.scopes.is_empty() {
            "none".to_string()
        } else {
            api.scopes.to_string()
        },
        api.token_format.as_str(),
        api.access_token_alg.as_str(),
        api.lifetime,
        if introspectors.is_empty() {
            "none".to_string()
        } else {
            introspectors.join(", ")
        }
    )
}

fn holder(args: &RoleHolder) -> Holder<'_> {
    match (&args.user, &args.group) {
        (Some(user), _) => Holder::User(UserRef::Username(user)),
        (None, Some(group)) => Holder::Group(group),
        (None, None) => unreachable!("clap requires --user or --group"),
    }
}

pub async fn run(
    services: &Services,
    default_lifetime: i64,
    command: ApiCommand,
    json: bool,
    now: i64,
) -> anyhow::Result<()> {
    let store = &services.store;
    let actor = &Actor::Cli;
    match command {
        ApiCommand::Create(args) => {
            let new = NewApi {
                identifier: args.identifier,
                name: args.name,
                scopes: args.scopes,
                token_format: args.token_format,
                access_token_alg: args.access_token_alg,
                lifetime: args.lifetime,
                introspectors: args.introspectors,
            };
            let api = admin::apis::create_api(store, new, default_lifetime, actor, now).await?;
            output(json, api_json(&api), format!("Created {}", api_text(&api)));
        }
        ApiCommand::List => {
            let apis = admin::apis::list_apis(store).await?;
            let text = if apis.is_empty() {
                "No APIs.".to_string()
            } else {
                apis.iter().map(api_text).collect::<Vec<_>>().join("\n")
            };
            output(
                json,
                json!(apis.iter().map(api_json).collect::<Vec<_>>()),
                text,
            );
        }
        ApiCommand::Show { api } => {
            let (api, roles) = admin::apis::show_api(store, &api).await?;
            let mut value = api_json(&api);
            value["roles"] = json!(roles.iter().map(role_json).collect::<Vec<_>>());
            let mut text = api_text(&api);
            for role in &roles {
                text.push_str(&format!("\n  role {}: {}", role.name, role.permissions));
            }
            output(json, value, text);
        }
        ApiCommand::Update(args) => {
            let update = ApiUpdate {
                name: args.name,
                scopes: (!args.scopes.is_empty()).then_some(args.scopes),
                token_format: args.token_format,
                access_token_alg: args.access_token_alg,
                lifetime: args.lifetime,
                introspectors: if args.no_introspectors {
                    Some(Vec::new())
                } else {
                    (!args.introspectors.is_empty()).then_some(args.introspectors)
                },
            };
            let api = admin::apis::update_api(store, &args.api, update, actor, now).await?;
            output(json, api_json(&api), format!("Updated {}", api_text(&api)));
        }
        ApiCommand::Delete { api, confirm } => {
            let found = admin::apis::find_api(store, &api).await?;
            if confirm.trim() != found.identifier.as_str() {
                anyhow::bail!(
                    "--confirm must repeat the API's identifier, {}",
                    found.identifier
                );
            }
            let api = admin::apis::delete_api(store, &found.id, actor, now).await?;
            output(
                json,
                json!({ "deleted": api.identifier.as_str() }),
                format!("Deleted the API {}", api.identifier),
            );
        }
        ApiCommand::Role(command) => run_role(store, command, json, now).await?,
    }
    Ok(())
}

async fn run_role(
    store: &crate::store::Store,
    command: RoleCommand,
    json: bool,
    now: i64,
) -> anyhow::Result<()> {
    let actor = &Actor::Cli;
    match command {
        RoleCommand::Create {
            api,
            role,
            permissions,
        } => {
            let (api, role) =
                admin::apis::create_role(store, &api, &role, &permissions, actor, now).await?;
            output(
                json,
                role_json(&role),
                format!(
                    "Created role {} of {}: {}",
                    role.name, api.identifier, role.permissions
                ),
            );
        }
        RoleCommand::Update {
            api,
            role,
            permissions,
        } => {
            let role =
                admin::apis::set_role_permissions(store, &api, &role, &permissions, actor, now)
                    .await?;
            output(
                json,
                role_json(&role),
                format!("Role {} now grants {}", role.name, role.permissions),
            );
        }
        RoleCommand::Delete { api, role } => {
            let role = admin::apis::delete_role(store, &api, &role, actor, now).await?;
            output(
                json,
                json!({ "deleted": role.name.as_str() }),
                format!("Deleted role {}", role.name),
            );
        }
        RoleCommand::Assign(args) => assign(store, &args, true, json, now).await?,
        RoleCommand::Unassign(args) => assign(store, &args, false, json, now).await?,
    }
    Ok(())
}

async fn assign(
    store: &crate::store::Store,
    args: &RoleHolder,
    give: bool,
    json: bool,
    now: i64,
) -> anyhow::Result<()> {
    let changed = admin::apis::assign_role(
        store,
        &args.api,
        &args.role,
        holder(args),
        give,
        &Actor::Cli,
        now,
    )
    .await?;
    let who = match (&args.user, &args.group) {
        (Some(user), _) => format!("user {user}"),
        (None, Some(group)) => format!("group {group}"),
        (None, None) => String::new(),
    };
    let text = match (give, changed) {
        (true, true) => format!("Gave role {} to {who}", args.role),
        (true, false) => format!("{who} already holds role {}", args.role),
        (false, true) => format!("Took role {} from {who}", args.role),
        (false, false) => format!("{who} did not hold role {}", args.role),
    };
    output(json, json!({ "changed": changed }), text);
    Ok(())
}
