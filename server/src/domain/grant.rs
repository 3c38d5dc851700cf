//! A grant is what one authorization code turns into: the family that every
//! access and refresh token issued from that code belongs to. Revoking the
//! grant revokes all of them (RFC 6749 §4.1.2, §10.4; RFC 9700 §4.14.2).

use super::{ClientId, Scopes, UserId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub id: String,
    pub client_id: ClientId,
    pub user_id: UserId,
    /// The public `sid` of the SSO session the grant was made in.
    pub session_sid: Option<String>,
    pub scope: Scopes,
    pub auth_time: i64,
    pub amr: Vec<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
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
