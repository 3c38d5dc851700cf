//! What the console's tables show of users, sessions and audit records.

use std::collections::HashMap;

use crate::domain::{AuditRecord, SessionListing, User};
use crate::http::format::{describe_user_agent, format_time};

pub struct UserRow {
    pub id: String,
    pub username: String,
    pub email: String,
    pub email_verified: bool,
    pub name: String,
    pub given_name: String,
    pub family_name: String,
    pub admin: bool,
    pub disabled: bool,
    pub created: String,
}

impl From<&User> for UserRow {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.to_string(),
            username: u.username.to_string(),
            email: u
                .email
                .as_ref()
                .map(|e| e.as_str().to_string())
                .unwrap_or_default(),
            email_verified: u.email_verified,
            name: u.profile.name.clone().unwrap_or_default(),
            given_name: u.profile.given_name.clone().unwrap_or_default(),
            family_name: u.profile.family_name.clone().unwrap_or_default(),
            admin: u.is_admin,
            disabled: u.disabled,
            created: format_time(u.created_at),
        }
    }
}

pub struct SessionRow {
    pub sid: String,
    pub user_id: String,
    pub username: String,
    pub clients: String,
    pub ip: String,
    pub browser: String,
    pub user_agent: String,
    pub signed_in: String,
    pub last_seen: String,
    pub expires: String,
}

impl From<&SessionListing> for SessionRow {
    fn from(l: &SessionListing) -> Self {
        let s = &l.session;
        Self {
            sid: s.sid.to_string(),
            user_id: s.user_id.to_string(),
            username: l.username.clone(),
            clients: if l.clients.is_empty() {
                "-".into()
            } else {
                l.clients
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            ip: s.ip.clone().unwrap_or_else(|| "-".into()),
            browser: describe_user_agent(s.user_agent.as_deref()),
            user_agent: s.user_agent.clone().unwrap_or_default(),
            signed_in: format_time(s.auth_time),
            last_seen: format_time(s.last_seen_at),
            expires: format_time(s.idle_expires_at.min(s.absolute_expires_at)),
        }
    }
}

/// An actor or target of the audit log as the console shows it: a user by
/// name, linked to their page; a client linked to its page; others as
/// recorded. `raw` is the recorded party.
pub struct Party {
    pub raw: String,
    pub label: String,
    pub href: String,
}

impl Party {
    fn new(raw: &str, names: &HashMap<String, String>) -> Self {
        let (kind, id) = raw.split_once(':').unwrap_or((raw, ""));
        let href = match kind {
            "user" | "admin" if names.contains_key(raw) => format!("/admin/users/{id}"),
            "client" if !id.is_empty() => format!("/admin/clients/{id}"),
            _ => String::new(),
        };
        let label = match names.get(raw) {
            Some(name) if kind == "admin" => format!("{name} (admin)"),
            Some(name) => name.clone(),
            None => raw.to_string(),
        };
        Self {
            raw: raw.to_string(),
            label,
            href,
        }
    }
}

pub struct AuditRow {
    pub at: String,
    pub actor: Party,
    pub action: String,
    pub target: Party,
    pub outcome: String,
    pub reason: String,
    pub ip: String,
    /// The details as `name: value` lines (a change as `from → to`).
    pub details: Vec<(String, String)>,
}

impl AuditRow {
    /// A record, with users named by `names` (party → username).
    pub fn new(r: &AuditRecord, names: &HashMap<String, String>) -> Self {
        Self {
            at: format_time(r.at),
            actor: Party::new(&r.actor, names),
            action: r.action.clone(),
            target: Party::new(r.target.as_deref().unwrap_or_default(), names),
            outcome: r.outcome.clone(),
            reason: r.reason.clone().unwrap_or_default(),
            ip: r.ip.clone().unwrap_or_default(),
            details: detail_lines(&r.details),
        }
    }
}

/// An audit record's details for people: one `(name, value)` per field, a
/// change `{from, to}` as `from → to`, text without its quotes, anything
/// else as compact JSON.
fn detail_lines(details: &serde_json::Value) -> Vec<(String, String)> {
    fn value(v: &serde_json::Value) -> String {
        match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => "none".into(),
            serde_json::Value::Array(items) => {
                items.iter().map(value).collect::<Vec<_>>().join(", ")
            }
            serde_json::Value::Object(map) if map.len() == 2 && map.contains_key("from") => {
                format!(
                    "{} → {}",
                    map.get("from").map(value).unwrap_or_default(),
                    map.get("to").map(value).unwrap_or_default()
                )
            }
            other => other.to_string(),
        }
    }
    match details {
        serde_json::Value::Null => Vec::new(),
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(name, v)| (name.replace('_', " "), value(v)))
            .collect(),
        other => vec![(String::new(), value(other))],
    }
}

#[cfg(test)]
mod tests {
    use super::detail_lines;

    #[test]
    fn details_read_as_fields_and_changes() {
        let lines = detail_lines(&serde_json::json!({
            "auth_method": { "from": "client_secret_basic", "to": "client_secret_post" },
            "grants_revoked": 0,
            "scopes": ["openid", "email"],
        }));
        assert_eq!(
            lines,
            vec![
                (
                    "auth method".into(),
                    "client_secret_basic → client_secret_post".into()
                ),
                ("grants revoked".into(), "0".into()),
                ("scopes".into(), "openid, email".into()),
            ]
        );
        assert!(detail_lines(&serde_json::Value::Null).is_empty());
    }
}
