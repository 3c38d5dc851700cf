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

/// A login name, normalized as the PRECIS UsernameCaseMapped profile does
/// (RFC 8265 §3.3: width mapping, case mapping, NFC, the bidi rule), then
/// checked: 1 to 64 characters of letters, digits and `. _ - @ +`. The
/// length is that of the normalized form, which is what is stored and
/// compared (lowercasing can make a name longer: `İ` becomes `i̇`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    pub const MAX_LEN: usize = 64;
    /// Input longer than this (in bytes) is refused before any normalizing.
    const MAX_INPUT_BYTES: usize = 1024;

    pub fn parse(value: &str) -> Result<Self, DomainError> {
        use precis_profiles::UsernameCaseMapped;
        use precis_profiles::precis_core::profile::PrecisFastInvocation;

        let value = value.trim();
        if value.is_empty() {
            return Err(DomainError::InvalidUsername("it is empty"));
        }
        let too_long = DomainError::InvalidUsername("it is longer than 64 characters");
        if value.len() > Self::MAX_INPUT_BYTES {
            return Err(too_long);
        }
        let refused = DomainError::InvalidUsername("use letters, digits and . _ - @ + only");
        let normalized = UsernameCaseMapped::enforce(value).map_err(|_| refused.clone())?;
        if normalized.chars().count() > Self::MAX_LEN {
            return Err(too_long);
        }
        let allowed = |c: char| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@' | '+');
        if !normalized.chars().all(allowed) {
            return Err(refused);
        }
        Ok(Self(normalized.into_owned()))
    }

    /// A username read back from storage, where it was checked on the way in.
    pub fn from_trusted(value: String) -> Self {
        Self(value)
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

/// Is `value` fit to be shown as a name (of a user or a client) on pages
/// and in tokens? No control characters, and none of the invisible
/// bidirectional controls that make text read other than it is stored
/// (U+202E "RIGHT-TO-LEFT OVERRIDE" and its kind).
pub fn is_displayable(value: &str) -> bool {
    !value.chars().any(|c| {
        c.is_control()
            || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}')
            || ('\u{202A}'..='\u{202E}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    })
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

    /// An address read back from storage, where it was checked on the way in.
    pub fn from_trusted(value: String) -> Self {
        Self(value)
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
    fn usernames_are_normalized_before_their_length_is_checked() {
        // 33 × U+0130 passes a check of the input (33 characters), but
        // lowercases to 66: refused, as it could not be stored.
        assert!(Username::parse(&"\u{130}".repeat(33)).is_err());
        // Fullwidth letters map to their ASCII forms, case folds.
        assert_eq!(
            Username::parse("\u{FF21}lice").map(|u| u.0),
            Ok("alice".into())
        );
        assert_eq!(Username::parse(&"a".repeat(64)).map(|u| u.0.len()), Ok(64));
        assert!(Username::parse(&"a".repeat(65)).is_err());
        assert!(Username::parse(&"a".repeat(10_000)).is_err());
    }

    #[test]
    fn parsing_a_normalized_username_changes_nothing() {
        for name in [
            "alice",
            "bob.smith+x@example.com",
            "\u{e9}l\u{e8}ve",
            "i\u{307}",
        ] {
            if let Ok(once) = Username::parse(name) {
                assert_eq!(Username::parse(once.as_str()), Ok(once.clone()), "{name}");
            }
        }
    }

    #[test]
    fn names_with_bidirectional_overrides_are_not_displayable() {
        assert!(is_displayable("Alice Example"));
        assert!(!is_displayable("evil\u{202E}gpj.exe"));
        assert!(!is_displayable("a\u{2066}b"));
        assert!(!is_displayable("line\nbreak"));
    }

    #[test]
    fn emails_need_a_dotted_domain() {
        assert!(Email::parse("a@example.com").is_ok());
        assert!(Email::parse("a@localhost").is_err());
        assert!(Email::parse("@example.com").is_err());
        assert!(Email::parse("a b@example.com").is_err());
    }
}
