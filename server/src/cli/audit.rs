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
    /// From this time on: `1h` (ago; also s, m, d), `2026-12-01`,
    /// `2026-12-01T08:00:00Z` or Unix seconds.
    #[arg(long)]
    pub since: Option<String>,
    /// Before this time (the same forms).
    #[arg(long)]
    pub until: Option<String>,
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

/// A moment given on the command line, as Unix seconds: a duration ago
/// (`90s`, `15m`, `1h`, `2d`), a date (`2026-12-01`, midnight UTC), an
/// RFC 3339 time, or Unix seconds.
pub fn parse_when(value: &str, now: i64) -> anyhow::Result<i64> {
    let value = value.trim();
    if let Ok(unix) = value.parse::<i64>() {
        return Ok(unix);
    }
    let unit = |c: char| match c {
        's' => Some(1),
        'm' => Some(60),
        'h' => Some(3600),
        'd' => Some(86_400),
        _ => None,
    };
    if let Some(last) = value.chars().last()
        && let Some(seconds) = unit(last)
        && let Ok(count) = value[..value.len() - 1].parse::<i64>()
        && count >= 0
    {
        return Ok(now - count.saturating_mul(seconds));
    }
    if let Ok(date) = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return Ok(date
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp())
            .unwrap_or_default());
    }
    if let Ok(time) = chrono::DateTime::parse_from_rfc3339(value) {
        return Ok(time.timestamp());
    }
    anyhow::bail!(
        "cannot read {value:?} as a time: use 1h (ago; also s, m, d), 2026-12-01, 2026-12-01T08:00:00Z or Unix seconds"
    )
}

pub async fn audit(
    services: &Services,
    args: AuditArgs,
    json: bool,
    now: i64,
) -> anyhow::Result<()> {
    let since = args
        .since
        .as_deref()
        .map(|v| parse_when(v, now))
        .transpose()?;
    let until = args
        .until
        .as_deref()
        .map(|v| parse_when(v, now))
        .transpose()?;
    let page = admin::audit::audit_page(
        &services.store,
        AuditFilter {
            actor: args.actor,
            action: args.action,
            target: args.target,
            about: None,
            since,
            until,
            cursor: args.cursor,
            limit: args.limit,
        },
    )
    .await?;
    // People read names: `user:ID` and `admin:ID` as the username (`--json`
    // keeps the recorded parties).
    let names = admin::audit::party_names(&services.store, &page.items).await?;
    let party = |raw: &str| match (names.get(raw), raw.starts_with("admin:")) {
        (Some(name), true) => format!("{name} (admin)"),
        (Some(name), false) => name.clone(),
        (None, _) => raw.to_string(),
    };
    let mut text: Vec<String> = page
        .items
        .iter()
        .map(|r| {
            format!(
                "{}  {}  {}  {}  {}{}",
                crate::http::format::format_time(r.at),
                party(&r.actor),
                r.action,
                r.target.as_deref().map_or_else(|| "-".to_string(), party),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_as_people_write_them() {
        let now = 1_800_000_000;
        assert_eq!(parse_when("1h", now).unwrap(), now - 3600);
        assert_eq!(parse_when("90s", now).unwrap(), now - 90);
        assert_eq!(parse_when("2d", now).unwrap(), now - 172_800);
        assert_eq!(parse_when("1700000000", now).unwrap(), 1_700_000_000);
        assert_eq!(parse_when("2026-12-01", now).unwrap(), 1_796_083_200);
        assert_eq!(
            parse_when("2026-12-01T08:00:00Z", now).unwrap(),
            1_796_083_200 + 8 * 3600
        );
        assert!(parse_when("yesterday", now).is_err());
        assert!(parse_when("-5m", now).is_err());
    }
}
