//! The command line: `tessera` serves; the subcommands provision users and
//! clients and end sessions against the same store, for people and (with
//! `--json`) scripts.

mod apis;
mod apps;
mod audit;
mod clients;
mod groups;
mod keys;
mod sessions;
mod users;

use std::io::BufRead;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use serde_json::json;

use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::domain::{
    AuthMethod, DomainError, GrantType, RedirectUriPolicy, Secret, SessionsEnded, SigningAlg,
};
use crate::startup::{Application, open_existing_services, open_services, rotation_policy};

#[derive(Debug, Parser)]
#[command(
    name = "tessera",
    version,
    about = "Tessera, an OpenID Connect provider"
)]
pub struct Cli {
    /// Configuration file (default: ./tessera.toml if it exists).
    #[arg(long, global = true, env = "TESSERA_CONFIG")]
    pub config: Option<PathBuf>,
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(users::UserCommand),
    /// Manage OAuth clients.
    #[command(subcommand)]
    Client(clients::ClientCommand),
    /// List and end SSO sessions.
    #[command(subcommand)]
    Session(sessions::SessionCommand),
    /// List and rotate signing keys.
    #[command(subcommand)]
    Key(keys::KeyCommand),
    /// Manage groups of users and who is in them.
    #[command(subcommand)]
    Group(groups::GroupCommand),
    /// Manage applications behind gateways (forward-auth) and who may use them.
    #[command(subcommand)]
    App(apps::AppCommand),
    /// Manage APIs (resources), their roles and permissions.
    #[command(subcommand)]
    Api(apis::ApiCommand),
    /// Read the audit log, newest first.
    Audit(audit::AuditArgs),
    /// Counts of users, clients, sessions, sign-ins and back-channel deliveries.
    Overview,
}

/// Run the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    let now = SystemClock.now();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            Application::build(settings)
                .await?
                .run_until_stopped()
                .await?
        }
        Command::Migrate => {
            open_services(&settings, SystemClock::shared()).await?;
            output(
                cli.json,
                json!({ "migrated": true }),
                "Database schema is up to date.",
            );
        }
        Command::User(command) => {
            let services = open_existing_services(&settings, SystemClock::shared()).await?;
            users::run(&services, command, cli.json, now).await?;
        }
        Command::Client(command) => {
            let services = open_existing_services(&settings, SystemClock::shared()).await?;
            let policy = RedirectUriPolicy {
                allow_http: !settings.issuer_is_https(),
            };
            clients::run(&services, policy, command, cli.json, now).await?;
        }
        Command::Session(command) => {
            let services = open_existing_services(&settings, SystemClock::shared()).await?;
            sessions::run(&services, command, cli.json, now).await?;
        }
        Command::Group(command) => {
            let services = open_existing_services(&settings, SystemClock::shared()).await?;
            groups::run(&services, command, cli.json, now).await?;
        }
        Command::Api(command) => {
            let services = open_existing_services(&settings, SystemClock::shared()).await?;
            let lifetime = i64::try_from(settings.access_token_lifetime.as_secs()).unwrap_or(600);
            apis::run(&services, lifetime, command, cli.json, now).await?;
        }
        Command::App(command) => {
            let services = open_existing_services(&settings, SystemClock::shared()).await?;
            apps::run(
                &services,
                settings.cookie_domain.as_deref(),
                command,
                cli.json,
                now,
            )
            .await?;
        }
        Command::Audit(args) => {
            let services = open_existing_services(&settings, SystemClock::shared()).await?;
            audit::audit(&services, args, cli.json, now).await?;
        }
        Command::Overview => {
            let services = open_existing_services(&settings, SystemClock::shared()).await?;
            audit::overview(&services, cli.json, now).await?;
        }
        Command::Key(command) => {
            let services = open_existing_services(&settings, SystemClock::shared()).await?;
            keys::run(
                &services,
                rotation_policy(&settings),
                command,
                cli.json,
                now,
            )
            .await?;
        }
    }
    Ok(())
}

fn output(json: bool, value: serde_json::Value, text: impl std::fmt::Display) {
    if json {
        println!("{value}");
    } else {
        println!("{text}");
    }
}

fn read_password() -> anyhow::Result<Secret> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(Secret::new(line.trim_end_matches(['\r', '\n'])))
}

/// What ending sessions did, for `--json`.
fn ended_json(ended: &SessionsEnded) -> serde_json::Value {
    json!({
        "sessions_ended": ended.sessions.iter().map(|s| s.sid.as_str()).collect::<Vec<_>>(),
        "families_revoked": ended.families_revoked,
        "notices_queued": ended.notices_queued,
    })
}

/// What ending sessions did, for people.
fn ended_text(ended: &SessionsEnded) -> String {
    format!(
        "{} session(s) ended, {} token famil{} revoked, {} back-channel notice(s) queued.",
        ended.sessions.len(),
        ended.families_revoked,
        if ended.families_revoked == 1 {
            "y"
        } else {
            "ies"
        },
        ended.notices_queued
    )
}

fn parse_auth_method(value: &str) -> Result<AuthMethod, String> {
    value.parse().map_err(|e: DomainError| e.to_string())
}

fn parse_grant(value: &str) -> Result<GrantType, String> {
    value.parse().map_err(|e: DomainError| e.to_string())
}

fn parse_alg(value: &str) -> Result<SigningAlg, String> {
    value.parse().map_err(|e: DomainError| e.to_string())
}
