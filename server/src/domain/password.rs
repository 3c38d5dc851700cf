//! Argon2id password hashes (PHC strings). Hashing and verifying cost about
//! 19 MiB and tens of milliseconds each, so callers run them on a blocking
//! thread and cap how many run at once.

use std::fmt;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc};

use super::{DomainError, Secret};

/// A PHC-format argon2id hash of a user's password.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub const MIN_PASSWORD_LEN: usize = 8;
    pub const MAX_PASSWORD_LEN: usize = 1024;

    /// Hash a new password after checking the length policy. CPU-bound.
    pub fn create(password: &Secret) -> Result<Self, DomainError> {
        Self::check_policy(password)?;
        Self::hash(password)
    }

    /// The length policy of a new password, checked without hashing.
    pub fn check_policy(password: &Secret) -> Result<(), DomainError> {
        let len = password.expose().chars().count();
        if len < Self::MIN_PASSWORD_LEN {
            return Err(DomainError::InvalidPassword(
                "it must be at least 8 characters long",
            ));
        }
        if password.expose().len() > Self::MAX_PASSWORD_LEN {
            return Err(DomainError::InvalidPassword(
                "it must be at most 1024 bytes long",
            ));
        }
        Ok(())
    }

    /// Hash without the policy check: for the dummy hash that unknown users are
    /// verified against, so a failed login costs the same either way.
    pub fn hash(password: &Secret) -> Result<Self, DomainError> {
        Argon2::default()
            .hash_password(password.expose().as_bytes())
            .map(|hash| Self(hash.to_string()))
            .map_err(|_| DomainError::PasswordHashing)
    }

    /// A hash read back from storage.
    pub fn from_trusted(phc: String) -> Self {
        Self(phc)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// CPU-bound; false for a wrong password or an unparseable hash.
    pub fn verify(&self, password: &Secret) -> bool {
        if password.expose().len() > Self::MAX_PASSWORD_LEN {
            return false;
        }
        match phc::PasswordHash::new(&self.0) {
            Ok(parsed) => Argon2::default()
                .verify_password(password.expose().as_bytes(), &parsed)
                .is_ok(),
            Err(_) => false,
        }
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_own_password_only() {
        let hash = PasswordHash::create(&Secret::new("correct horse")).expect("hash");
        assert!(hash.as_str().starts_with("$argon2id$"));
        assert!(hash.verify(&Secret::new("correct horse")));
        assert!(!hash.verify(&Secret::new("battery staple")));
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(matches!(
            PasswordHash::create(&Secret::new("short")),
            Err(DomainError::InvalidPassword(_))
        ));
    }

    #[test]
    fn a_corrupt_hash_never_verifies() {
        assert!(!PasswordHash::from_trusted("garbage".into()).verify(&Secret::new("anything")));
    }
}
