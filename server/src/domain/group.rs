//! Groups of users: named sets that applications behind a gateway allow,
//! and that tokens name in a `groups` claim when the `groups` scope asks.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::DomainError;

/// A group's name: 1 to 64 characters of `a-z 0-9 . _ -` (upper case is
/// folded), so it reads the same in a token, a header and a command line.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GroupName(String);

impl GroupName {
    pub const MAX_LEN: usize = 64;

    pub fn parse(value: &str) -> Result<Self, DomainError> {
        let value = value.trim().to_ascii_lowercase();
        if value.is_empty() || value.len() > Self::MAX_LEN {
            return Err(DomainError::InvalidGroupName(
                "it must be 1 to 64 characters long",
            ));
        }
        let allowed =
            |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-');
        if !value.chars().all(allowed) {
            return Err(DomainError::InvalidGroupName("use a-z 0-9 . _ - only"));
        }
        Ok(Self(value))
    }

    /// A name read back from storage, where it was checked on the way in.
    pub fn from_trusted(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GroupName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub id: String,
    pub name: GroupName,
    pub created_at: i64,
    /// How many users belong to it.
    pub members: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_are_folded_and_checked() {
        assert_eq!(
            GroupName::parse(" Ops-Team ").map(|g| g.0),
            Ok("ops-team".into())
        );
        assert!(GroupName::parse("").is_err());
        assert!(GroupName::parse("a b").is_err());
        assert!(
            GroupName::parse("a,b").is_err(),
            "commas would split Remote-Groups"
        );
        assert!(GroupName::parse(&"g".repeat(65)).is_err());
    }
}
