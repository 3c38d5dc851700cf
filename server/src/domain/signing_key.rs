//! Signing keys and their life cycle. A new key is published in `/jwks`
//! before it signs anything (at least as long as relying parties may cache
//! the JWK set), signs until its successor takes over, and stays published
//! until every token it signed has expired; then it is retired.

use std::fmt;

use super::SigningAlg;

/// Where a key is in its life at a given moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum KeyState {
    /// Published, not signing yet.
    Next,
    /// Signing (the newest active key of an algorithm signs).
    Active,
    /// No longer signing; still published for the tokens it signed.
    Retiring,
    /// No longer published: every token it signed has expired.
    Retired,
    /// Revoked by an operator (it leaked): unpublished at once, and
    /// nothing it signed verifies.
    Revoked,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Next => "next",
            KeyState::Active => "active",
            KeyState::Retiring => "retiring",
            KeyState::Retired => "retired",
            KeyState::Revoked => "revoked",
        }
    }

    /// In `/jwks`, and trusted to verify what it signed.
    pub fn is_published(self) -> bool {
        matches!(self, KeyState::Next | KeyState::Active | KeyState::Retiring)
    }
}

/// A private signing key as stored: PKCS#8 DER sealed with AES-256-GCM under
/// a key derived from the server's pepper, so a copy of the database does not
/// hold a usable key. Only the public half is ever published (at `/jwks`).
#[derive(Clone)]
pub struct SigningKeyMaterial {
    pub kid: String,
    pub alg: SigningAlg,
    pub sealed_private_key: String,
    pub created_at: i64,
    /// From when it signs.
    pub activates_at: i64,
    /// From when it no longer signs (its successor's activation).
    pub deactivated_at: Option<i64>,
    /// Until when it is published.
    pub published_until: Option<i64>,
    /// Revoked (it leaked): unpublished from then on, and nothing it
    /// signed verifies any more.
    pub revoked_at: Option<i64>,
}

impl SigningKeyMaterial {
    pub fn state(&self, now: i64) -> KeyState {
        if self.revoked_at.is_some_and(|at| at <= now) {
            KeyState::Revoked
        } else if now < self.activates_at {
            KeyState::Next
        } else if self.deactivated_at.is_none_or(|at| now < at) {
            KeyState::Active
        } else if self.published_until.is_none_or(|at| now < at) {
            KeyState::Retiring
        } else {
            KeyState::Retired
        }
    }
}

impl fmt::Debug for SigningKeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKeyMaterial")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("activates_at", &self.activates_at)
            .field("deactivated_at", &self.deactivated_at)
            .field("published_until", &self.published_until)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_goes_from_next_to_retired() {
        let key = SigningKeyMaterial {
            kid: "k".into(),
            alg: SigningAlg::ES256,
            sealed_private_key: String::new(),
            created_at: 0,
            activates_at: 300,
            deactivated_at: Some(1000),
            published_until: Some(5000),
            revoked_at: None,
        };
        assert_eq!(key.state(0), KeyState::Next);
        assert_eq!(key.state(300), KeyState::Active);
        assert_eq!(key.state(999), KeyState::Active);
        assert_eq!(key.state(1000), KeyState::Retiring);
        assert_eq!(key.state(5000), KeyState::Retired);
        assert!(!KeyState::Retired.is_published() && KeyState::Next.is_published());
    }

    #[test]
    fn a_revoked_key_is_revoked_whatever_else_it_was() {
        let key = SigningKeyMaterial {
            kid: "k".into(),
            alg: SigningAlg::ES256,
            sealed_private_key: String::new(),
            created_at: 0,
            activates_at: 0,
            deactivated_at: None,
            published_until: None,
            revoked_at: Some(100),
        };
        assert_eq!(key.state(99), KeyState::Active);
        assert_eq!(key.state(100), KeyState::Revoked);
        assert!(!KeyState::Revoked.is_published());
    }
}
