//! `tessera key …`

use clap::Subcommand;
use serde_json::json;

use super::output;
use crate::admin;
use crate::admin::keys::KeyInfo;
use crate::domain::Actor;
use crate::oauth::keys::RotationPolicy;
use crate::startup::Services;

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// List signing keys with their state (next, active, retiring, retired).
    List,
    /// Rotate every algorithm's key: the new keys are published at once and
    /// sign a little over five minutes later; the old ones stay published
    /// until their tokens have expired.
    Rotate,
    /// Revoke a key (it leaked): unpublished, and nothing it signed is
    /// accepted any more; if it was signing, another key takes over.
    Revoke {
        kid: String,
        /// Type the key id again to confirm.
        #[arg(long)]
        confirm: String,
    },
}

fn key_json(key: &KeyInfo) -> serde_json::Value {
    json!({
        "kid": key.kid,
        "alg": key.alg.as_str(),
        "state": key.state.as_str(),
        "created_at": key.created_at,
        "activates_at": key.activates_at,
        "deactivated_at": key.deactivated_at,
        "published_until": key.published_until,
        "revoked_at": key.revoked_at,
    })
}

fn key_text(key: &KeyInfo) -> String {
    format!(
        "{}  {}  {}  created {}",
        key.kid,
        key.alg,
        key.state.as_str(),
        crate::http::format::format_time(key.created_at)
    )
}

pub async fn run(
    services: &Services,
    policy: RotationPolicy,
    command: KeyCommand,
    json: bool,
    now: i64,
) -> anyhow::Result<()> {
    let keys = match command {
        KeyCommand::List => admin::keys::list_keys(&services.store, now).await?,
        KeyCommand::Rotate => {
            admin::keys::rotate_keys(&services.store, &services.pepper, policy, Actor::Cli, now)
                .await?
        }
        KeyCommand::Revoke { kid, confirm } => {
            if confirm.trim() != kid {
                anyhow::bail!("to revoke {kid}, repeat the key id with --confirm");
            }
            let revoked =
                admin::keys::revoke_key(&services.store, &services.pepper, &kid, Actor::Cli, now)
                    .await?;
            let successor = revoked.successor.as_deref().unwrap_or("none needed");
            output(
                json,
                json!({ "revoked": revoked.kid, "successor": revoked.successor }),
                format!(
                    "Revoked key {}; signing now with: {successor}.",
                    revoked.kid
                ),
            );
            return Ok(());
        }
    };
    output(
        json,
        json!(keys.iter().map(key_json).collect::<Vec<_>>()),
        keys.iter().map(key_text).collect::<Vec<_>>().join("\n"),
    );
    Ok(())
}
