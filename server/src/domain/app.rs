//! Applications a gateway protects (forward authentication): the host the
//! gateway serves them on, the audience of the internal JWT they receive,
//! and who may use them.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{DomainError, GroupName, SigningAlg, Username};

/// A host name a gateway serves an application on: a lower-case DNS name,
/// without port or scheme.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AppHost(String);

impl AppHost {
    pub fn parse(value: &str) -> Result<Self, DomainError> {
        let value = value.trim().trim_end_matches('.').to_ascii_lowercase();
        let invalid = |reason| DomainError::InvalidAppHost(reason);
        if value.is_empty() || value.len() > 253 {
            return Err(invalid("it must be 1 to 253 characters long"));
        }
        for label in value.split('.') {
            let valid = !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !valid {
                return Err(invalid(
                    "use a DNS name such as app.example.com, without port or scheme",
                ));
            }
        }
        Ok(Self(value))
    }

    /// The host part of a `Host` or `X-Forwarded-Host` value (any port
    /// dropped), if it is a name at all.
    pub fn from_header(value: &str) -> Option<Self> {
        let host = value.trim();
        let host = match host.rsplit_once(':') {
            Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
            _ => host,
        };
        Self::parse(host).ok()
    }

    pub fn from_trusted(value: String) -> Self {
        Self(value)
    }

    /// Is this `domain` itself or a name under it?
    pub fn is_within(&self, domain: &str) -> bool {
        let domain = domain.trim_start_matches('.').to_ascii_lowercase();
        self.0 == domain || self.0.ends_with(&format!(".{domain}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AppHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct App {
    pub id: String,
    pub name: String,
    pub host: AppHost,
    /// The `aud` of its internal JWTs.
    pub audience: String,
    /// What its internal JWTs are signed with.
    pub token_alg: SigningAlg,
    /// Who may use it: members of these groups, and these users. Both
    /// empty: anyone signed in.
    pub allowed_groups: Vec<GroupName>,
    pub allowed_users: Vec<Username>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl App {
    /// The default audience of an application on `host`.
    pub fn default_audience(host: &AppHost) -> String {
        format!("https://{host}")
    }

    /// May `username`, member of `groups`, use this application?
    pub fn allows(&self, username: &Username, groups: &[GroupName]) -> bool {
        (self.allowed_groups.is_empty() && self.allowed_users.is_empty())
            || self.allowed_users.contains(username)
            || self.allowed_groups.iter().any(|g| groups.contains(g))
    }
}

/// An audience as registered: 1 to 2,048 characters, none of them control
/// characters or spaces.
pub fn check_audience(value: &str) -> Result<String, DomainError> {
    let value = value.trim();
    if value.is_empty()
        || value.len() > 2048
        || value.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(DomainError::InvalidAudience);
    }
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_dns_names_without_port_or_scheme() {
        assert_eq!(
            AppHost::parse("App.Example.com.").map(|h| h.0),
            Ok("app.example.com".into())
        );
        for bad in [
            "https://app.example.com",
            "app.example.com:443",
            "a b",
            "-a.example.com",
            "",
        ] {
            assert!(AppHost::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            AppHost::from_header("app.example.test:18080").map(|h| h.0),
            Some("app.example.test".into())
        );
    }

    #[test]
    fn a_host_is_within_its_parent_domain_only() {
        let host = AppHost::parse("app.example.com").expect("host");
        assert!(host.is_within("example.com"));
        assert!(host.is_within(".example.com"));
        assert!(!host.is_within("ample.com"));
        assert!(!host.is_within("other.com"));
    }

    #[test]
    fn no_allow_list_means_anyone_signed_in() {
        let mut app = App {
            id: "a".into(),
            name: "A".into(),
            host: AppHost::parse("a.example.com").expect("host"),
            audience: "https://a.example.com".into(),
            token_alg: SigningAlg::ES256,
            allowed_groups: Vec::new(),
            allowed_users: Vec::new(),
            created_at: 0,
            updated_at: 0,
        };
        let alice = Username::parse("alice").expect("name");
        let ops = GroupName::parse("ops").expect("group");
        assert!(app.allows(&alice, &[]));
        app.allowed_groups = vec![ops.clone()];
        assert!(!app.allows(&alice, &[]));
        assert!(app.allows(&alice, &[ops]));
        app.allowed_users = vec![alice.clone()];
        assert!(app.allows(&alice, &[]));
    }
}
