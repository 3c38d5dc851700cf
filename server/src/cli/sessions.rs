//! `tessera session …`

use clap::Subcommand;
use serde_json::json;

use super::{ended_json, ended_text, output};
use crate::admin;
use crate::domain::Actor;
use crate::domain::SessionListing;
use crate::http::format::{describe_user_agent, format_time};
use crate::startup::Services;

#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// List live sessions, most recently used first.
    List {
        /// Only this user's sessions.
        #[arg(long)]
        user: Option<String>,
    },
    /// End a session (by the sid of `session list`), revoke its tokens and
    /// tell its applications.
    End {
        /// A sid may begin with `-`.
        #[arg(allow_hyphen_values = true)]
        sid: String,
    },
    /// End every session there is, revoking their tokens and telling their
    /// applications.
    EndAll {
        /// Type "end all sessions" to confirm.
        #[arg(long)]
        confirm: String,
    },
}

fn session_json(listing: &SessionListing) -> serde_json::Value {
    let s = &listing.session;
    json!({
        "sid": s.sid,
        "user_id": s.user_id.as_str(),
        "username": listing.username,
        "ip": s.ip,
        "user_agent": s.user_agent,
        "auth_time": s.auth_time,
        "created_at": s.created_at,
        "last_seen_at": s.last_seen_at,
        "expires_at": s.idle_expires_at.min(s.absolute_expires_at),
        "clients": listing.clients.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
    })
}

pub async fn run(
    services: &Services,
    command: SessionCommand,
    json: bool,
    now: i64,
) -> anyhow::Result<()> {
    let store = &services.store;
    match command {
        SessionCommand::List { user } => {
            let listings = admin::sessions::list_sessions(store, user.as_deref(), now).await?;
            let text: Vec<String> = listings
                .iter()
                .map(|l| {
                    let clients: Vec<&str> = l.clients.iter().map(|c| c.as_str()).collect();
                    format!(
                        "{}  {}  {}  {}  signed in {}  last seen {}  {}",
                        l.session.sid,
                        l.username,
                        l.session.ip.as_deref().unwrap_or("-"),
                        describe_user_agent(l.session.user_agent.as_deref()),
                        format_time(l.session.auth_time),
                        format_time(l.session.last_seen_at),
                        if clients.is_empty() {
                            "no applications".to_string()
                        } else {
                            clients.join(",")
                        }
                    )
                })
                .collect();
            output(
                json,
                json!(listings.iter().map(session_json).collect::<Vec<_>>()),
                if text.is_empty() {
                    "No live sessions.".to_string()
                } else {
                    text.join("\n")
                },
            );
        }
        SessionCommand::End { sid } => {
            let ended = admin::sessions::end_session(store, &sid, Actor::Cli, now).await?;
            output(json, ended_json(&ended), ended_text(&ended));
        }
        SessionCommand::EndAll { confirm } => {
            if confirm.trim() != admin::sessions::END_ALL_CONFIRMATION {
                anyhow::bail!(
                    "to end every session, pass --confirm \"{}\"",
                    admin::sessions::END_ALL_CONFIRMATION
                );
            }
            let ended = admin::sessions::end_all_sessions(store, Actor::Cli, now).await?;
            output(json, ended_json(&ended), ended_text(&ended));
        }
    }
    Ok(())
}
