//! The command line: `tessera` serves; the subcommands provision users and
//! clients against the same store, for people and (with `--json`) scripts.

use std::io::BufRead;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use serde_json::json;

use crate::admin;
use crate::admin::clients::{CreatedClient, NewClient};
use crate::admin::users::NewUser;
use crate::config::Settings;
use crate::domain::{AuthMethod, Client, GrantType, RedirectUriPolicy, Secret, SigningAlg, User};
use crate::startup::{Application, Services, open_services};
use crate::state::Clock;

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
    User(UserCommand),
    /// Manage OAuth clients.
    #[command(subcommand)]
    Client(ClientCommand),
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; a password is generated and printed once unless --password-stdin.
    Create(CreateUser),
    /// List users.
    List,
    /// Set a user's password (generated and printed once unless --password-stdin).
    SetPassword {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Stop a user from signing in.
    Disable { username: String },
    /// Allow a disabled user to sign in again.
    Enable { username: String },
}

#[derive(Debug, Args)]
pub struct CreateUser {
    #[arg(long)]
    pub username: String,
    #[arg(long)]
    pub email: Option<String>,
    /// Mark the email address as verified.
    #[arg(long)]
    pub email_verified: bool,
    /// Full name.
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub given_name: Option<String>,
    #[arg(long)]
    pub family_name: Option<String>,
    /// Give the user access to the admin console.
    #[arg(long)]
    pub admin: bool,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client; a confidential client's secret is printed once.
    Create(CreateClient),
    /// List clients.
    List,
    /// Delete a client with its consents and tokens.
    Delete { client_id: String },
}

#[derive(Debug, Args)]
pub struct CreateClient {
    /// Display name shown on the login and consent pages.
    #[arg(long)]
    pub name: String,
    /// The client_id (generated when omitted).
    #[arg(long)]
    pub id: Option<String>,
    /// A public client (SPA or native app): no secret, PKCE required.
    #[arg(long)]
    pub public: bool,
    /// client_secret_basic (default) or client_secret_post.
    #[arg(long, value_parser = parse_auth_method)]
    pub auth_method: Option<AuthMethod>,
    /// A redirect URI, matched exactly; repeat for several.
    #[arg(long = "redirect-uri")]
    pub redirect_uris: Vec<String>,
    /// authorization_code or refresh_token; repeat for several (default: both).
    #[arg(long = "grant", value_parser = parse_grant)]
    pub grants: Vec<GrantType>,
    /// The operator's own app: users are not asked for consent.
    #[arg(long)]
    pub first_party: bool,
    /// ID token signing algorithm: RS256 (default), ES256 or EdDSA.
    #[arg(long, value_parser = parse_alg, default_value = "RS256")]
    pub id_token_alg: SigningAlg,
}

fn parse_auth_method(value: &str) -> Result<AuthMethod, String> {
    value
        .parse()
        .map_err(|e: crate::domain::DomainError| e.to_string())
}

fn parse_grant(value: &str) -> Result<GrantType, String> {
    value
        .parse()
        .map_err(|e: crate::domain::DomainError| e.to_string())
}

fn parse_alg(value: &str) -> Result<SigningAlg, String> {
    value
        .parse()
        .map_err(|e: crate::domain::DomainError| e.to_string())
}

/// Run the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            Application::build(settings)
                .await?
                .run_until_stopped()
                .await?
        }
        Command::Migrate => {
            open_services(&settings).await?;
            output(
                cli.json,
                json!({ "migrated": true }),
                "Database schema is up to date.",
            );
        }
        Command::User(command) => {
            let services = open_services(&settings).await?;
            users(&services, command, cli.json).await?;
        }
        Command::Client(command) => {
            let services = open_services(&settings).await?;
            let policy = RedirectUriPolicy {
                allow_http: !settings.issuer_is_https(),
            };
            clients(&services, policy, command, cli.json).await?;
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

fn user_json(user: &User) -> serde_json::Value {
    json!({
        "id": user.id.as_str(),
        "username": user.username.as_str(),
        "email": user.email.as_ref().map(|e| e.as_str()),
        "email_verified": user.email_verified,
        "name": user.profile.name,
        "admin": user.is_admin,
        "disabled": user.disabled,
        "created_at": user.created_at,
    })
}

async fn users(services: &Services, command: UserCommand, json: bool) -> anyhow::Result<()> {
    let store = &services.store;
    let now = Clock.now();
    match command {
        UserCommand::Create(args) => {
            let password = if args.password_stdin {
                Some(read_password()?)
            } else {
                None
            };
            let created = admin::users::create_user(
                store,
                NewUser {
                    username: args.username,
                    password,
                    email: args.email,
                    email_verified: args.email_verified,
                    name: args.name,
                    given_name: args.given_name,
                    family_name: args.family_name,
                    is_admin: args.admin,
                },
                now,
            )
            .await?;
            let mut value = user_json(&created.user);
            let mut text = format!(
                "Created user {} ({})",
                created.user.username, created.user.id
            );
            if let Some(password) = &created.generated_password {
                value["password"] = json!(password.expose());
                text.push_str(&format!("\nPassword (shown once): {}", password.expose()));
            }
            output(json, value, text);
        }
        UserCommand::List => {
            let users = admin::users::list_users(store).await?;
            let text: Vec<String> = users
                .iter()
                .map(|u| {
                    let flags = [(u.is_admin, "admin"), (u.disabled, "disabled")]
                        .iter()
                        .filter(|(on, _)| *on)
                        .map(|(_, name)| *name)
                        .collect::<Vec<_>>()
                        .join(",");
                    format!(
                        "{}  {}  {}  {}",
                        u.id,
                        u.username,
                        u.email.as_ref().map_or("-", |e| e.as_str()),
                        flags
                    )
                })
                .collect();
            output(
                json,
                json!(users.iter().map(user_json).collect::<Vec<_>>()),
                text.join("\n"),
            );
        }
        UserCommand::SetPassword {
            username,
            password_stdin,
        } => {
            let (password, generated) = if password_stdin {
                (read_password()?, false)
            } else {
                (Secret::new(crate::domain::crypto::random_token(18)), true)
            };
            admin::users::set_password(store, &username, password.clone(), now).await?;
            let mut value = json!({ "username": username, "password_changed": true });
            let mut text = format!("Password of {username} changed.");
            if generated {
                value["password"] = json!(password.expose());
                text.push_str(&format!("\nPassword (shown once): {}", password.expose()));
            }
            output(json, value, text);
        }
        UserCommand::Disable { username } => {
            let user = admin::users::set_disabled(store, &username, true, now).await?;
            output(
                json,
                user_json(&user),
                format!("User {} is disabled.", user.username),
            );
        }
        UserCommand::Enable { username } => {
            let user = admin::users::set_disabled(store, &username, false, now).await?;
            output(
                json,
                user_json(&user),
                format!("User {} is enabled.", user.username),
            );
        }
    }
    Ok(())
}

fn client_json(client: &Client) -> serde_json::Value {
    json!({
        "client_id": client.id.as_str(),
        "name": client.name,
        "public": client.is_public(),
        "token_endpoint_auth_method": client.auth_method().as_str(),
        "redirect_uris": client.redirect_uris.iter().map(|u| u.as_str()).collect::<Vec<_>>(),
        "grant_types": client.grant_types.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
        "first_party": client.first_party,
        "id_token_signed_response_alg": client.id_token_alg.as_str(),
        "created_at": client.created_at,
    })
}

async fn clients(
    services: &Services,
    policy: RedirectUriPolicy,
    command: ClientCommand,
    json: bool,
) -> anyhow::Result<()> {
    let store = &services.store;
    match command {
        ClientCommand::Create(args) => {
            let new = NewClient {
                id: args.id,
                name: args.name,
                public: args.public,
                auth_method: args.auth_method,
                redirect_uris: args.redirect_uris,
                grant_types: args.grants,
                first_party: args.first_party,
                id_token_alg: args.id_token_alg,
            };
            let CreatedClient { client, secret } =
                admin::clients::create_client(store, &services.pepper, policy, new, Clock.now())
                    .await?;
            let mut value = client_json(&client);
            let mut text = format!("Created client {} ({})", client.name, client.id);
            if let Some(secret) = &secret {
                value["client_secret"] = json!(secret.expose());
                text.push_str(&format!(
                    "\nClient secret (shown once): {}",
                    secret.expose()
                ));
            }
            output(json, value, text);
        }
        ClientCommand::List => {
            let clients = admin::clients::list_clients(store).await?;
            let text: Vec<String> = clients
                .iter()
                .map(|c| {
                    let kind = if c.is_public() {
                        "public"
                    } else {
                        "confidential"
                    };
                    let uris: Vec<&str> = c.redirect_uris.iter().map(|u| u.as_str()).collect();
                    format!("{}  {}  {}  {}", c.id, c.name, kind, uris.join(" "))
                })
                .collect();
            output(
                json,
                json!(clients.iter().map(client_json).collect::<Vec<_>>()),
                text.join("\n"),
            );
        }
        ClientCommand::Delete { client_id } => {
            admin::clients::delete_client(store, &client_id).await?;
            output(
                json,
                json!({ "client_id": client_id, "deleted": true }),
                format!("Deleted client {client_id}."),
            );
        }
    }
    Ok(())
}
