//! `tessera user …`

use clap::{Args, Subcommand};
use serde_json::json;

use super::{ended_json, ended_text, output, read_password};
use crate::admin;
use crate::admin::users::NewUser;
use crate::domain::{Actor, Secret, User};
use crate::startup::Services;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; a password is generated and printed once unless --password-stdin.
    Create(CreateUser),
    /// List users.
    List,
    /// Set a user's password (generated and printed once unless
    /// --password-stdin). Every session of the user ends.
    SetPassword {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Stop a user from signing in; every session of the user ends.
    Disable { username: String },
    /// Allow a disabled user to sign in again.
    Enable { username: String },
    /// End every session of a user and revoke all of their tokens.
    Logout { username: String },
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

pub async fn run(
    services: &Services,
    command: UserCommand,
    json: bool,
    now: i64,
) -> anyhow::Result<()> {
    let store = &services.store;
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
            let ended =
                admin::users::set_password(store, &username, password.clone(), Actor::Cli, now)
                    .await?;
            let mut value = json!({ "username": username, "password_changed": true });
            value["ended"] = ended_json(&ended);
            let mut text = format!("Password of {username} changed. {}", ended_text(&ended));
            if generated {
                value["password"] = json!(password.expose());
                text.push_str(&format!("\nPassword (shown once): {}", password.expose()));
            }
            output(json, value, text);
        }
        UserCommand::Disable { username } => {
            let (user, ended) =
                admin::users::set_disabled(store, &username, true, Actor::Cli, now).await?;
            let mut value = user_json(&user);
            value["ended"] = ended_json(&ended);
            output(
                json,
                value,
                format!("User {} is disabled. {}", user.username, ended_text(&ended)),
            );
        }
        UserCommand::Enable { username } => {
            let (user, _) =
                admin::users::set_disabled(store, &username, false, Actor::Cli, now).await?;
            output(
                json,
                user_json(&user),
                format!("User {} is enabled.", user.username),
            );
        }
        UserCommand::Logout { username } => {
            let ended = admin::sessions::logout_user(store, &username, Actor::Cli, now).await?;
            let mut value = ended_json(&ended);
            value["username"] = json!(username);
            output(json, value, format!("{username}: {}", ended_text(&ended)));
        }
    }
    Ok(())
}
