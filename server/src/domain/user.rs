use std::fmt;

use serde::{Deserialize, Serialize};

use super::{DomainError, PasswordHash};

/// A user's stable, opaque identifier: the `sub` of every token issued for them.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(String);

impl UserId {
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    /// An identifier read back from storage or from a token we signed.
    pub fn from_trusted(value: String) -> Self {
        Self(value)
    }

    /// An identifier as given in a URL: a UUID, or nothing.
    pub fn parse(value: &str) -> Option<Self> {
        uuid::Uuid::parse_str(value)
            .ok()
            .map(|id| Self(id.hyphenated().to_string()))
            .filter(|id| id.0 == value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A login name: 1 to 64 characters of letters, digits and `. _ - @ +`,
/// compared case-insensitively (stored lowercase).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    pub const MAX_LEN: usize = 64;

    pub fn parse(value: &str) -> Result<Self, DomainError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(DomainError::InvalidUsername("it is empty"));
        }
        if value.chars().count() > Self::MAX_LEN {
            return Err(DomainError::InvalidUsername(
                "it is longer than 64 characters",
            ));
        }
        let allowed = |c: char| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@' | '+');
        if !value.chars().all(allowed) {
            return Err(DomainError::InvalidUsername(
                "use letters, digits and . _ - @ + only",
            ));
        }
        Ok(Self(value.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An email address, checked for shape only (one `@`, a dotted domain, no spaces).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(value: &str) -> Result<Self, DomainError> {
        let value = value.trim();
        let (local, domain) = value.split_once('@').ok_or(DomainError::InvalidEmail)?;
        let valid = !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && value.len() <= 254
            && !value.chars().any(|c| c.is_whitespace() || c.is_control());
        if valid {
            Ok(Self(value.to_string()))
        } else {
            Err(DomainError::InvalidEmail)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The profile claims a user carries (OIDC Core §5.1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
}

#[derive(Clone, Debug)]
pub struct User {
    pub id: UserId,
    pub username: Username,
    pub email: Option<Email>,
    pub email_verified: bool,
    pub profile: Profile,
    pub password_hash: PasswordHash,
    pub is_admin: bool,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl User {
    pub fn can_sign_in(&self) -> bool {
        !self.disabled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_trimmed_and_lowercased() {
        assert_eq!(Username::parse("  Alice ").map(|u| u.0), Ok("alice".into()));
    }

    #[test]
    fn usernames_reject_spaces_and_empty_values() {
        assert!(Username::parse("a b").is_err());
        assert!(Username::parse("").is_err());
        assert!(Username::parse(&"x".repeat(65)).is_err());
    }

    #[test]
    fn emails_need_a_dotted_domain() {
        assert!(Email::parse("a@example.com").is_ok());
        assert!(Email::parse("a@localhost").is_err());
        assert!(Email::parse("@example.com").is_err());
        assert!(Email::parse("a b@example.com").is_err());
    }
}
