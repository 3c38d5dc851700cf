//! Audit records: who did what to what, why, from where, and how it went.

use super::Actor;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    pub at: i64,
    pub actor: Actor,
    /// A dotted verb such as `session.end` or `token.revoke`.
    pub action: &'static str,
    /// What was acted on, e.g. `session:<sid>` or `user:<id>`.
    pub target: Option<String>,
    pub reason: Option<&'static str>,
    pub ip: Option<String>,
    /// `success`, `failure`, `throttled`, …
    pub outcome: &'static str,
    /// Counts and identifiers that tell the rest (a JSON object).
    pub details: serde_json::Value,
}

/// An audit record as read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub reason: Option<String>,
    pub ip: Option<String>,
    pub outcome: String,
    pub details: serde_json::Value,
}
