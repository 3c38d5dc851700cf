//! Scope values (RFC 6749 §3.3): a set of space-delimited tokens whose order
//! carries no meaning.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::DomainError;

pub const OPENID: &str = "openid";
pub const PROFILE: &str = "profile";
pub const EMAIL: &str = "email";
pub const OFFLINE_ACCESS: &str = "offline_access";
/// The names of the groups the user belongs to, as a `groups` claim.
pub const GROUPS: &str = "groups";

/// Every scope about a user that Tessera understands, as published in
/// discovery.
pub const SUPPORTED: [&str; 5] = [OPENID, PROFILE, EMAIL, OFFLINE_ACCESS, GROUPS];

/// What a client registered without a scope list may be granted; `groups`
/// is allowed to a client explicitly.
pub const DEFAULT_ALLOWED: [&str; 4] = [OPENID, PROFILE, EMAIL, OFFLINE_ACCESS];

/// Reading through Tessera's admin API.
pub const ADMIN_READ: &str = "admin:read";
/// Changing things through Tessera's admin API (reading included).
pub const ADMIN_WRITE: &str = "admin:write";

pub fn is_admin_scope(scope: &str) -> bool {
    scope == ADMIN_READ || scope == ADMIN_WRITE
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Scopes(BTreeSet<String>);

impl Scopes {
    /// Parse a space-delimited list; each token must use the characters of
    /// RFC 6749 §3.3 (`%x21 / %x23-5B / %x5D-7E`).
    pub fn parse(value: &str) -> Result<Self, DomainError> {
        let mut set = BTreeSet::new();
        for token in value.split(' ').filter(|t| !t.is_empty()) {
            let valid = token
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b));
            if !valid {
                return Err(DomainError::InvalidScope(
                    "a scope token contains a character outside RFC 6749 §3.3".into(),
                ));
            }
            set.insert(token.to_string());
        }
        Ok(Self(set))
    }

    pub fn from_tokens<'a>(tokens: impl IntoIterator<Item = &'a str>) -> Self {
        Self(tokens.into_iter().map(str::to_string).collect())
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.contains(scope)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn is_subset(&self, other: &Scopes) -> bool {
        self.0.is_subset(&other.0)
    }

    pub fn union(&self, other: &Scopes) -> Scopes {
        Self(self.0.union(&other.0).cloned().collect())
    }

    pub fn without(&self, scope: &str) -> Scopes {
        Self(self.0.iter().filter(|s| *s != scope).cloned().collect())
    }

    /// These scopes without any of `other`.
    pub fn intersection(&self, other: &Scopes) -> Scopes {
        Self(self.0.intersection(&other.0).cloned().collect())
    }

    pub fn without_all(&self, other: &Scopes) -> Scopes {
        Self(self.0.difference(&other.0).cloned().collect())
    }

    /// The tokens that are not in `allowed`.
    pub fn unknown_in<'a>(&'a self, allowed: &Scopes) -> Vec<&'a str> {
        self.0
            .iter()
            .map(String::as_str)
            .filter(|s| !allowed.contains(s))
            .collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for scope in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(scope)?;
            first = false;
        }
        Ok(())
    }
}

impl TryFrom<String> for Scopes {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Scopes> for String {
    fn from(value: Scopes) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_repetition_do_not_matter() {
        let a = Scopes::parse("email openid  email").expect("valid");
        let b = Scopes::parse("openid email").expect("valid");
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "email openid");
    }

    #[test]
    fn quotes_and_backslashes_are_not_scope_characters() {
        assert!(Scopes::parse("open\"id").is_err());
        assert!(Scopes::parse("a\\b").is_err());
    }

    #[test]
    fn subsets_and_unknown_tokens() {
        let granted = Scopes::parse("openid profile email").expect("valid");
        assert!(
            Scopes::parse("openid email")
                .expect("valid")
                .is_subset(&granted)
        );
        assert!(
            !Scopes::parse("openid admin")
                .expect("valid")
                .is_subset(&granted)
        );
        assert_eq!(
            Scopes::parse("openid admin")
                .expect("valid")
                .unknown_in(&Scopes::from_tokens(SUPPORTED)),
            ["admin"]
        );
    }
}
