//! `tessera user …`

use crate::oauth::passwords::PasswordService;
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
    /// Show a user with their sessions and consents.
    Show { username: String },
    /// Change a user's email address, name or verified flag (an empty value clears).
    Update(UpdateUser),
    /// Give a user the admin role (the console and the admin API).
    GrantAdmin { username: String },
    /// Take the admin role away.
    RevokeAdmin { username: String },
    /// Let a user whose sign-ins are throttled try again at once.
    Unlock { username: String },
    /// Delete a user: their sessions end, their tokens and consents go.
    Delete {
        username: String,
        /// Type the username again to confirm.
        #[arg(long)]
        confirm: String,
    },
    /// Withdraw a user's consent to a client, revoking the client's tokens for them.
    RevokeConsent { username: String, client_id: String },
}

#[derive(Debug, Args)]
pub struct UpdateUser {
    pub username: String,
    #[arg(long)]
    pub email: Option<String>,
    #[arg(long, action = clap::ArgAction::Set)]
    pub email_verified: Option<bool>,
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub given_name: Option<String>,
    #[arg(long)]
    pub family_name: Option<String>,
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
                &PasswordService::new(1, 0)?,
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
                &Actor::Cli,
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
            let passwords = PasswordService::new(1, 0)?;
            let ended = admin::users::set_password(
                store,
                &passwords,
                &username,
                password.clone(),
                Actor::Cli,
                now,
            )
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
        UserCommand::Show { username } => {
            let user = admin::users::find_user(store, username.as_str().into()).await?;
            let sessions = store.sessions(Some(&user.id), now, 100).await?;
            let consents = admin::users::consents(store, &user.id).await?;
            let mut value = user_json(&user);
            value["sessions"] = json!(
                sessions
                    .iter()
                    .map(|l| json!({
                        "sid": l.session.sid.as_str(),
                        "ip": l.session.ip,
                        "last_seen_at": l.session.last_seen_at,
                        "clients": l.clients.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                    }))
                    .collect::<Vec<_>>()
            );
            value["consents"] = json!(
                consents
                    .iter()
                    .map(|c| json!({
                        "client_id": c.client_id.as_str(),
                        "scope": c.scope.to_string(),
                        "granted_at": c.granted_at,
                    }))
                    .collect::<Vec<_>>()
            );
            let text = format!(
                "{} ({}){}\n  {} session(s), consents: {}",
                user.username,
                user.id,
                if user.disabled { " disabled" } else { "" },
                sessions.len(),
                consents
                    .iter()
                    .map(|c| format!("{} [{}]", c.client_id, c.scope))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            output(json, value, text);
        }
        UserCommand::Update(args) => {
            let update = admin::users::UserUpdate {
                email: args.email,
                email_verified: args.email_verified,
                name: args.name,
                given_name: args.given_name,
                family_name: args.family_name,
            };
            let user = admin::users::update_user(
                store,
                args.username.as_str().into(),
                update,
                &Actor::Cli,
                now,
            )
            .await?;
            output(
                json,
                user_json(&user),
                format!("Updated user {}.", user.username),
            );
        }
        UserCommand::GrantAdmin { username } => {
            let user = admin::users::set_admin(store, &username, true, &Actor::Cli, now).await?;
            output(
                json,
                user_json(&user),
                format!("{} is an administrator.", user.username),
            );
        }
        UserCommand::RevokeAdmin { username } => {
            let user = admin::users::set_admin(store, &username, false, &Actor::Cli, now).await?;
            output(
                json,
                user_json(&user),
                format!("{} is no longer an administrator.", user.username),
            );
        }
        UserCommand::Unlock { username } => {
            if !store.ephemeral_is_shared() {
                anyhow::bail!(
                    "without Redis (setting `redis_url`) the server counts failed sign-ins in its own \
                     process, out of this command's reach: unlock {username} in the console (/admin) \
                     or with the admin API, or wait for `login_failure_window` to pass"
                );
            }
            let user = admin::users::unlock(store, &username, &Actor::Cli, now).await?;
            output(
                json,
                user_json(&user),
                format!("{} may sign in again.", user.username),
            );
        }
        UserCommand::Delete { username, confirm } => {
            if confirm.trim().to_lowercase() != username.trim().to_lowercase() {
                anyhow::bail!("to delete {username}, repeat the username with --confirm");
            }
            let ended = admin::users::delete_user(store, &username, Actor::Cli, now).await?;
            let mut value = ended_json(&ended);
            value["deleted"] = json!(username);
            output(
                json,
                value,
                format!("Deleted {username}. {}", ended_text(&ended)),
            );
        }
        UserCommand::RevokeConsent {
            username,
            client_id,
        } => {
            let revoked =
                admin::users::revoke_consent(store, &username, &client_id, &Actor::Cli, now)
                    .await?;
            output(
                json,
                json!({ "username": username, "client_id": client_id, "families_revoked": revoked }),
                format!(
                    "Consent of {username} to {client_id} withdrawn; {revoked} token famil{} revoked.",
                    if revoked == 1 { "y" } else { "ies" }
                ),
            );
        }
    }
    Ok(())
}
