//! A grant is what one authorization code turns into: the family that every
//! access and refresh token issued from that code belongs to. Revoking the
//! grant revokes all of them (RFC 6749 §4.1.2, §10.4; RFC 9700 §4.14.2).

use super::{ApiIdentifier, ClientId, Scopes, SessionId, UserId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub id: String,
    pub client_id: ClientId,
    pub user_id: UserId,
    /// The public `sid` of the SSO session the grant was made in.
    pub session_sid: Option<SessionId>,
    pub scope: Scopes,
    pub auth_time: i64,
    pub amr: Vec<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    /// The APIs the grant was made for (RFC 8707 `resource`); its tokens
    /// may be addressed to each of them.
    pub resources: Vec<ApiIdentifier>,
}

impl Grant {
    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some()
    }
}

/// A stored refresh token: only its hash is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshTokenRecord {
    pub token_hash: String,
    pub grant_id: String,
    pub client_id: ClientId,
    pub scope: Scopes,
    pub issued_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

impl RefreshTokenRecord {
    pub fn is_expired(&self, now: i64) -> bool {
        now >= self.expires_at
    }
}

/// A refresh token joined with its grant and user (RFC 7662 introspection).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshTokenStatus {
    pub client_id: ClientId,
    pub scope: Scopes,
    pub issued_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub grant_revoked_at: Option<i64>,
    pub session_sid: Option<SessionId>,
    pub user_id: UserId,
    pub username: String,
    pub user_disabled: bool,
}

impl RefreshTokenStatus {
    pub fn is_active(&self, now: i64) -> bool {
        now < self.expires_at
            && self.used_at.is_none()
            && self.grant_revoked_at.is_none()
            && !self.user_disabled
    }
}
