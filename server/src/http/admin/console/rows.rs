//! What the console's tables show of users, sessions and audit records.

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

pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub reason: String,
    pub ip: String,
    pub details: String,
}

impl From<&AuditRecord> for AuditRow {
    fn from(r: &AuditRecord) -> Self {
        Self {
            at: format_time(r.at),
            actor: r.actor.clone(),
            action: r.action.clone(),
            target: r.target.clone().unwrap_or_default(),
            outcome: r.outcome.clone(),
            reason: r.reason.clone().unwrap_or_default(),
            ip: r.ip.clone().unwrap_or_default(),
            details: if r.details.is_null() {
                String::new()
            } else {
                r.details.to_string()
            },
        }
    }
}
