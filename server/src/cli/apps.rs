//! `tessera app …`

use clap::{Args, Subcommand};
use serde_json::json;

use super::{output, parse_alg};
use crate::admin;
use crate::admin::apps::{AppUpdate, NewApp};
use crate::domain::{Actor, App, SigningAlg};
use crate::startup::Services;

#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Register an application behind a gateway.
    Create(CreateApp),
    /// List applications.
    List,
    /// Show an application (by id or host).
    Show { app: String },
    /// Change an application (by id or host).
    Update(UpdateApp),
    /// Remove an application (by id or host): its gateway refuses it from then on.
    Delete {
        app: String,
        /// Type the application's host again to confirm.
        #[arg(long)]
        confirm: String,
    },
}

#[derive(Debug, Args)]
pub struct CreateApp {
    /// Display name, shown when access is refused.
    #[arg(long)]
    pub name: String,
    /// The host the gateway serves it on (under cookie_domain).
    #[arg(long)]
    pub host: String,
    /// The `aud` of its internal JWTs (default: https://HOST).
    #[arg(long)]
    pub audience: Option<String>,
    /// Members of this group may use it; repeat for several.
    #[arg(long = "allow-group")]
    pub allow_groups: Vec<String>,
    /// This user may use it; repeat for several. No allow-list at all: anyone signed in.
    #[arg(long = "allow-user")]
    pub allow_users: Vec<String>,
    /// Signing algorithm of its internal JWTs: ES256 (default), RS256 or EdDSA.
    #[arg(long, value_parser = parse_alg)]
    pub alg: Option<SigningAlg>,
}

#[derive(Debug, Args)]
pub struct UpdateApp {
    pub app: String,
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub host: Option<String>,
    /// An empty value restores the default, https://HOST.
    #[arg(long)]
    pub audience: Option<String>,
    /// Replaces the allowed groups; repeat for several.
    #[arg(long = "allow-group")]
    pub allow_groups: Vec<String>,
    /// Replaces the allowed users; repeat for several.
    #[arg(long = "allow-user")]
    pub allow_users: Vec<String>,
    /// Allow no group by name.
    #[arg(long, conflicts_with = "allow_groups")]
    pub no_groups: bool,
    /// Allow no user by name.
    #[arg(long, conflicts_with = "allow_users")]
    pub no_users: bool,
    #[arg(long, value_parser = parse_alg)]
    pub alg: Option<SigningAlg>,
}

pub fn app_json(app: &App) -> serde_json::Value {
    json!({
        "id": app.id,
        "name": app.name,
        "host": app.host,
        "audience": app.audience,
        "alg": app.token_alg.as_str(),
        "allow_groups": app.allowed_groups,
        "allow_users": app.allowed_users.iter().map(|u| u.as_str()).collect::<Vec<_>>(),
        "created_at": app.created_at,
        "updated_at": app.updated_at,
    })
}

fn app_text(app: &App) -> String {
    let who = if app.allowed_groups.is_empty() && app.allowed_users.is_empty() {
        "anyone signed in".to_string()
    } else {
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
    };
    format!(
        "{} ({})\n  host: {}\n  audience: {}\n  alg: {}\n  allowed: {}",
        app.name,
        app.id,
        app.host,
        app.audience,
        app.token_alg.as_str(),
        who
    )
}

/// A repeatable option replaces the list when given, or empties it when
/// its `--no-…` flag is.
fn replacement(list: Vec<String>, none: bool) -> Option<Vec<String>> {
    if none {
        Some(Vec::new())
    } else {
        (!list.is_empty()).then_some(list)
    }
}

pub async fn run(
    services: &Services,
    cookie_domain: Option<&str>,
    command: AppCommand,
    json: bool,
    now: i64,
) -> anyhow::Result<()> {
    let store = &services.store;
    let actor = &Actor::Cli;
    match command {
        AppCommand::Create(args) => {
            let new = NewApp {
                name: args.name,
                host: args.host,
                audience: args.audience,
                token_alg: args.alg,
                allow_groups: args.allow_groups,
                allow_users: args.allow_users,
            };
            let app = admin::apps::create_app(store, cookie_domain, new, actor, now).await?;
            output(json, app_json(&app), format!("Created {}", app_text(&app)));
        }
        AppCommand::List => {
            let apps = admin::apps::list_apps(store).await?;
            let value = json!(apps.iter().map(app_json).collect::<Vec<_>>());
            let text = if apps.is_empty() {
                "No applications.".to_string()
            } else {
                apps.iter().map(app_text).collect::<Vec<_>>().join("\n")
            };
            output(json, value, text);
        }
        AppCommand::Show { app } => {
            let app = admin::apps::find_app(store, &app).await?;
            output(json, app_json(&app), app_text(&app));
        }
        AppCommand::Update(args) => {
            let update = AppUpdate {
                name: args.name,
                host: args.host,
                audience: args.audience,
                token_alg: args.alg,
                allow_groups: replacement(args.allow_groups, args.no_groups),
                allow_users: replacement(args.allow_users, args.no_users),
            };
            let app = admin::apps::update_app(store, cookie_domain, &args.app, update, actor, now)
                .await?;
            output(json, app_json(&app), format!("Updated {}", app_text(&app)));
        }
        AppCommand::Delete { app, confirm } => {
            let found = admin::apps::find_app(store, &app).await?;
            if confirm.trim().to_ascii_lowercase() != found.host.as_str() {
                anyhow::bail!(
                    "--confirm must repeat the application's host, {}",
                    found.host
                );
            }
            let app = admin::apps::delete_app(store, &found.id, actor, now).await?;
            output(
                json,
                json!({ "deleted": app.id, "host": app.host }),
                format!("Deleted the application on {}", app.host),
            );
        }
    }
    Ok(())
}
