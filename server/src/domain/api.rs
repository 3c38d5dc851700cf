//! API resources (RFC 8707): the services that accept Tessera's access
//! tokens. Each has an identifier (the tokens' `aud`), the scopes it
//! understands, roles that bundle its permissions, and how its tokens are
//! made (a JWT or an opaque handle, the algorithm, the lifetime).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{ClientId, DomainError, GroupName, Scopes, SigningAlg};

/// An API's identifier: an absolute URI without a fragment (RFC 8707 §2),
/// at most 255 characters, such as `https://product.example.com`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ApiIdentifier(String);

impl ApiIdentifier {
    pub const MAX_LEN: usize = 255;

    pub fn parse(value: &str) -> Result<Self, DomainError> {
        let value = value.trim();
        if value.is_empty() || value.len() > Self::MAX_LEN {
            return Err(DomainError::InvalidApiIdentifier(
                "it must be 1 to 255 characters long",
            ));
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(DomainError::InvalidApiIdentifier(
                "it may not contain spaces or control characters",
            ));
        }
        let url = url::Url::parse(value).map_err(|_| {
            DomainError::InvalidApiIdentifier(
                "it must be an absolute URI, such as https://api.example.com",
            )
        })?;
        if url.fragment().is_some() {
            return Err(DomainError::InvalidApiIdentifier(
                "it may not have a fragment",
            ));
        }
        Ok(Self(value.to_string()))
    }

    /// An identifier read back from storage, where it was checked on the way in.
    pub fn from_trusted(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ApiIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an API's access tokens are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenFormat {
    /// A JWT (RFC 9068) the API verifies itself with `/jwks`.
    Jwt,
    /// A random handle the API checks at `/introspect`: revoked the moment
    /// it is, everywhere.
    Opaque,
}

impl TokenFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenFormat::Jwt => "jwt",
            TokenFormat::Opaque => "opaque",
        }
    }
}

impl FromStr for TokenFormat {
    type Err = DomainError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "jwt" => Ok(TokenFormat::Jwt),
            "opaque" => Ok(TokenFormat::Opaque),
            _ => Err(DomainError::UnknownValue {
                kind: "token format",
                value: value.to_string(),
            }),
        }
    }
}

/// Access-token lifetimes an API may choose, in seconds.
pub const API_LIFETIMES: std::ops::RangeInclusive<i64> = 60..=86_400;

/// The longest an exchanged token lives (RFC 8693 tokens are for one call
/// chain, not a session).
pub const EXCHANGED_TOKEN_LIFETIME: i64 = 300;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Api {
    pub id: String,
    pub identifier: ApiIdentifier,
    pub name: String,
    /// The scopes its tokens may carry.
    pub scopes: Scopes,
    pub token_format: TokenFormat,
    pub access_token_alg: SigningAlg,
    /// Access-token lifetime in seconds (see [`API_LIFETIMES`]).
    pub lifetime: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// The clients that act as this API: they may introspect its tokens and
    /// exchange them for tokens to the APIs they call.
    pub introspectors: Vec<ClientId>,
}

impl Api {
    pub fn check_lifetime(lifetime: i64) -> Result<i64, DomainError> {
        if API_LIFETIMES.contains(&lifetime) {
            Ok(lifetime)
        } else {
            Err(DomainError::InvalidLifetime)
        }
    }

    /// Is `client` one of the clients that act as this API?
    pub fn is_served_by(&self, client: &ClientId) -> bool {
        self.introspectors.contains(client)
    }
}

/// What a client may do with an API: get tokens for it itself (`direct`,
/// through `resource`), exchange other tokens for tokens to it
/// (`exchange`), within `scopes` (all of the API's when `None`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiAllowance {
    pub scopes: Option<Scopes>,
    pub direct: bool,
    pub exchange: bool,
}

impl ApiAllowance {
    /// The scopes of `api` this allowance covers.
    pub fn scopes_of(&self, api: &Api) -> Scopes {
        match &self.scopes {
            Some(scopes) => scopes.intersection(&api.scopes),
            None => api.scopes.clone(),
        }
    }
}

/// An API as one client sees it: the API and that client's allowance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resource {
    pub api: Api,
    pub allowance: Option<ApiAllowance>,
}

impl Resource {
    /// May the client ask for tokens to it with `resource`?
    pub fn direct(&self) -> bool {
        self.allowance.as_ref().is_some_and(|a| a.direct)
    }

    /// May the client exchange tokens for tokens to it?
    pub fn exchange(&self) -> bool {
        self.allowance.as_ref().is_some_and(|a| a.exchange)
    }

    /// The scopes of the API the client may have (none without an allowance).
    pub fn allowed_scopes(&self) -> Scopes {
        self.allowance
            .as_ref()
            .map(|a| a.scopes_of(&self.api))
            .unwrap_or_default()
    }
}

/// A role's name: the rules of a group's name (`a-z 0-9 . _ -`, 1 to 64).
pub type RoleName = GroupName;

/// A named bundle of one API's permissions, given to users directly or
/// through their groups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Role {
    pub id: String,
    pub api_id: String,
    pub name: RoleName,
    /// Permission names, such as `products:read`.
    pub permissions: Scopes,
    pub created_at: i64,
}

/// What a user holds at one API: the names of their roles and the union
/// of those roles' permissions, both sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Entitlements {
    pub roles: Vec<String>,
    pub permissions: Vec<String>,
}

impl Entitlements {
    pub fn of(roles: &[Role]) -> Self {
        let mut names: Vec<String> = roles.iter().map(|r| r.name.to_string()).collect();
        names.sort();
        names.dedup();
        let mut permissions = Scopes::default();
        for role in roles {
            permissions = permissions.union(&role.permissions);
        }
        Self {
            roles: names,
            permissions: permissions.iter().map(str::to_string).collect(),
        }
    }

    /// Keep only the permissions also in `other` (an exchange only narrows).
    pub fn narrowed_to(mut self, other: &[String]) -> Self {
        self.permissions.retain(|p| other.contains(p));
        self
    }
}

/// A stored opaque access token: its hash and the claims it stands for
/// (the JSON a JWT for the API would carry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpaqueToken {
    pub token_hash: String,
    pub api_id: String,
    pub client_id: ClientId,
    pub grant_id: Option<String>,
    pub claims: String,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_absolute_uris_without_fragments() {
        assert!(ApiIdentifier::parse("https://product.example.com").is_ok());
        assert!(ApiIdentifier::parse("urn:example:orders").is_ok());
        for bad in [
            "",
            "product",
            "/relative",
            "https://a.example/#f",
            "https://a example",
        ] {
            assert!(ApiIdentifier::parse(bad).is_err(), "{bad}");
        }
        assert!(ApiIdentifier::parse(&format!("https://a.example/{}", "x".repeat(300))).is_err());
    }

    #[test]
    fn entitlements_union_permissions_and_narrow() {
        let role = |name: &str, perms: &str| Role {
            id: name.into(),
            api_id: "a".into(),
            name: RoleName::parse(name).unwrap(),
            permissions: Scopes::parse(perms).unwrap(),
            created_at: 0,
        };
        let e = Entitlements::of(&[
            role("viewer", "products:read"),
            role("editor", "products:read products:write"),
        ]);
        assert_eq!(e.roles, ["editor", "viewer"]);
        assert_eq!(e.permissions, ["products:read", "products:write"]);
        let narrowed = e.narrowed_to(&["products:read".to_string()]);
        assert_eq!(narrowed.permissions, ["products:read"]);
    }
}
