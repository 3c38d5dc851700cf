//! `tessera audit` and `tessera overview`.

use clap::Args;
use serde_json::json;

use super::output;
use crate::admin;
use crate::admin::audit::AuditFilter;
use crate::domain::AuditRecord;
use crate::startup::Services;

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only what this party did: a username (as themselves or as administrator), `user:ID`, `admin:ID`, `client:ID`, `cli`, `system`, `anonymous`.
    #[arg(long)]
    pub actor: Option<String>,
    /// Only this action (`sign_in`, `session.end`, `user.disable`, `key.rotate`, …).
    #[arg(long)]
    pub action: Option<String>,
    /// Only about this target: a username, `user:ID`, `session:SID`, `client:ID`, …
    #[arg(long)]
    pub target: Option<String>,
    /// From this Unix time on.
    #[arg(long)]
    pub since: Option<i64>,
    /// Before this Unix time.
    #[arg(long)]
    pub until: Option<i64>,
    /// Records per page (default 50, at most 200).
    #[arg(long)]
    pub limit: Option<u64>,
    /// The `next` cursor of the previous page.
    #[arg(long)]
    pub cursor: Option<String>,
}

pub fn record_json(record: &AuditRecord) -> serde_json::Value {
    json!({
        "id": record.id,
        "at": record.at,
        "actor": record.actor,
        "action": record.action,
        "target": record.target,
        "reason": record.reason,
        "ip": record.ip,
        "outcome": record.outcome,
        "details": record.details,
    })
}

pub async fn audit(services: &Services, args: AuditArgs, json: bool) -> anyhow::Result<()> {
    let page = admin::audit::audit_page(
        &services.store,
        AuditFilter {
            actor: args.actor,
            action: args.action,
            target: args.target,
            about: None,
            since: args.since,
            until: args.until,
            cursor: args.cursor,
            limit: args.limit,
        },
    )
    .await?;
    let mut text: Vec<String> = page
        .items
        .iter()
        .map(|r| {
            format!(
                "{}  {}  {}  {}  {}{}",
                r.at,
                r.actor,
                r.action,
                r.target.as_deref().unwrap_or("-"),
                r.outcome,
                r.reason
                    .as_deref()
                    .map(|reason| format!(" ({reason})"))
                    .unwrap_or_default()
            )
        })
        .collect();
    if let Some(next) = &page.next {
        text.push(format!("more: --cursor {next}"));
    }
    output(
        json,
        json!({ "items": page.items.iter().map(record_json).collect::<Vec<_>>(), "next": page.next }),
        text.join("\n"),
    );
    Ok(())
}

pub async fn overview(services: &Services, json: bool, now: i64) -> anyhow::Result<()> {
    let o = admin::overview::overview(&services.store, now).await?;
    let value = json!({
        "users": o.users,
        "clients": o.clients,
        "live_sessions": o.live_sessions,
        "sign_ins_24h": {
            "succeeded": o.sign_ins_24h.succeeded,
            "failed": o.sign_ins_24h.failed,
            "throttled": o.sign_ins_24h.throttled,
        },
        "backchannel": {
            "pending": o.notices_pending,
            "failing": o.notices_failing,
            "abandoned": o.notices_abandoned,
        },
    });
    let text = format!(
        "{} users, {} clients, {} live sessions\nsign-ins in 24 h: {} succeeded, {} failed, {} throttled\nback-channel notices: {} pending ({} failing), {} abandoned",
        o.users,
        o.clients,
        o.live_sessions,
        o.sign_ins_24h.succeeded,
        o.sign_ins_24h.failed,
        o.sign_ins_24h.throttled,
        o.notices_pending,
        o.notices_failing,
        o.notices_abandoned
    );
    output(json, value, text);
    Ok(())
}
