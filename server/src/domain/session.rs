//! The server-side SSO session (OIDC Core §3.1.2.3). The browser holds only
//! an opaque random token; what the token means lives here.

use serde::{Deserialize, Serialize};

use std::fmt;

use super::crypto::{hex, random_bytes};
use super::{ClientId, DomainError, UserId};

/// The public id of an SSO session: the `sid` of ID and logout tokens (OIDC
/// Back-Channel Logout 1.0 §2.1). Hex, so it is safe in URLs, logs and
/// command lines.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SessionId(String);

impl SessionId {
    /// 128 random bits.
    pub fn generate() -> Self {
        Self(hex(&random_bytes(16)))
    }

    /// An id as given by a person or a form: 1 to 64 characters of
    /// `A-Z a-z 0-9 - _` (older sids are base64url).
    pub fn parse(value: &str) -> Result<Self, DomainError> {
        let valid = !value.is_empty()
            && value.len() <= 64
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if valid {
            Ok(Self(value.to_string()))
        } else {
            Err(DomainError::InvalidSessionId)
        }
    }

    /// An id read back from storage or from a token we signed.
    pub fn from_trusted(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 of the cookie token; the token itself is never stored.
    pub id_hash: String,
    /// The public session id placed in ID tokens as `sid`.
    pub sid: SessionId,
    pub user_id: UserId,
    pub auth_time: i64,
    pub amr: Vec<String>,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub idle_expires_at: i64,
    pub absolute_expires_at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// SHA-256 of the secret of the parent-domain cookie that identifies
    /// this session to gateways (never to Tessera's own pages); none when
    /// no `cookie_domain` is configured.
    pub gateway_hash: Option<String>,
}

impl Session {
    pub fn is_active(&self, now: i64) -> bool {
        now < self.idle_expires_at && now < self.absolute_expires_at
    }
}

/// A live session as listed for its user or an administrator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionListing {
    pub session: Session,
    pub username: String,
    /// The clients that received tokens in this session.
    pub clients: Vec<ClientId>,
}

/// Lifetimes that govern a session, from configuration.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct SessionLifetimes {
    pub idle_secs: i64,
    pub absolute_secs: i64,
}

impl SessionLifetimes {
    /// The idle expiry after activity at `now`, never past the absolute one.
    pub fn idle_expiry(&self, now: i64, absolute_expires_at: i64) -> i64 {
        (now + self.idle_secs).min(absolute_expires_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(idle: i64, absolute: i64) -> Session {
        Session {
            id_hash: "h".into(),
            sid: SessionId::from_trusted("s".into()),
            user_id: UserId::from_trusted("u".into()),
            auth_time: 0,
            amr: vec!["pwd".into()],
            created_at: 0,
            last_seen_at: 0,
            idle_expires_at: idle,
            absolute_expires_at: absolute,
            ip: None,
            user_agent: None,
            gateway_hash: None,
        }
    }

    #[test]
    fn a_session_ends_at_whichever_expiry_comes_first() {
        assert!(session(100, 200).is_active(99));
        assert!(!session(100, 200).is_active(100));
        assert!(!session(300, 200).is_active(250));
    }

    #[test]
    fn idle_expiry_is_capped_by_the_absolute_one() {
        let lifetimes = SessionLifetimes {
            idle_secs: 50,
            absolute_secs: 1000,
        };
        assert_eq!(lifetimes.idle_expiry(10, 1000), 60);
        assert_eq!(lifetimes.idle_expiry(990, 1000), 1000);
    }
}
