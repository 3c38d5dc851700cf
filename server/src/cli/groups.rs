//! `tessera group …`

use clap::Subcommand;
use serde_json::json;

use super::output;
use crate::admin;
use crate::admin::users::UserRef;
use crate::domain::{Actor, Group};
use crate::startup::Services;

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create a group (a-z 0-9 . _ -, at most 64 characters).
    Create { name: String },
    /// List groups with their member counts.
    List,
    /// Show a group and its members.
    Show { name: String },
    /// Delete a group: its members leave it, applications stop allowing it.
    Delete {
        name: String,
        /// Type the group's name again to confirm.
        #[arg(long)]
        confirm: String,
    },
    /// Put a user in a group.
    Add { username: String, group: String },
    /// Take a user out of a group.
    Remove { username: String, group: String },
}

fn group_json(group: &Group) -> serde_json::Value {
    json!({
        "id": group.id,
        "name": group.name,
        "members": group.members,
        "created_at": group.created_at,
    })
}

pub async fn run(
    services: &Services,
    command: GroupCommand,
    json: bool,
    now: i64,
) -> anyhow::Result<()> {
    let store = &services.store;
    let actor = &Actor::Cli;
    match command {
        GroupCommand::Create { name } => {
            let group = admin::groups::create_group(store, &name, actor, now).await?;
            let text = format!("Created group {}", group.name);
            output(json, group_json(&group), text);
        }
        GroupCommand::List => {
            let groups = admin::groups::list_groups(store).await?;
            let value = json!(groups.iter().map(group_json).collect::<Vec<_>>());
            let text = if groups.is_empty() {
                "No groups.".to_string()
            } else {
                groups
                    .iter()
                    .map(|g| format!("{}  {} member(s)", g.name, g.members))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            output(json, value, text);
        }
        GroupCommand::Show { name } => {
            let (group, members) = admin::groups::show_group(store, &name).await?;
            let mut value = group_json(&group);
            value["users"] = json!(members.iter().map(|(_, u)| u.as_str()).collect::<Vec<_>>());
            let mut text = format!("{}  {} member(s)", group.name, group.members);
            for (_, username) in &members {
                text.push_str(&format!("\n  {}", username.as_str()));
            }
            output(json, value, text);
        }
        GroupCommand::Delete { name, confirm } => {
            if !confirm.trim().eq_ignore_ascii_case(name.trim()) {
                anyhow::bail!("--confirm must repeat the group's name");
            }
            admin::groups::delete_group(store, &name, actor, now).await?;
            output(
                json,
                json!({ "deleted": name }),
                format!("Deleted group {name}"),
            );
        }
        GroupCommand::Add { username, group } => {
            let added =
                admin::groups::add_member(store, UserRef::Username(&username), &group, actor, now)
                    .await?;
            let text = if added {
                format!("Added {username} to {group}")
            } else {
                format!("{username} was already in {group}")
            };
            output(json, json!({ "changed": added }), text);
        }
        GroupCommand::Remove { username, group } => {
            let removed = admin::groups::remove_member(
                store,
                UserRef::Username(&username),
                &group,
                actor,
                now,
            )
            .await?;
            let text = if removed {
                format!("Removed {username} from {group}")
            } else {
                format!("{username} was not in {group}")
            };
            output(json, json!({ "changed": removed }), text);
        }
    }
    Ok(())
}
