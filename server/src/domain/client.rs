//! Registered OAuth clients (RFC 6749 §2) and the enumerations that describe
//! them. A client is public exactly when it authenticates with `none`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::crypto::{KeyPurpose, Pepper, constant_time_eq, hex};
use super::scope::DEFAULT_ALLOWED;
use super::{DomainError, RedirectUri, Scopes, Secret};

/// A `client_id`: 1 to 128 characters of `A-Z a-z 0-9 . _ ~ -`, so it survives
/// URLs, form encoding and HTTP Basic credentials unchanged.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientId(String);

impl ClientId {
    pub fn parse(value: &str) -> Result<Self, DomainError> {
        if value.is_empty() || value.len() > 128 {
            return Err(DomainError::InvalidClientId(
                "it must be 1 to 128 characters long",
            ));
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '~' | '-');
        if !value.chars().all(allowed) {
            return Err(DomainError::InvalidClientId("use A-Z a-z 0-9 . _ ~ - only"));
        }
        Ok(Self(value.to_string()))
    }

    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Declares a string-backed enum with `as_str`, `FromStr`, `Display` and a
/// list of all values, so wire names live in exactly one place.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $wire)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire),+
                }
            }
        }

        impl FromStr for $name {
            type Err = DomainError;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                match value {
                    $($wire => Ok($name::$variant),)+
                    _ => Err(DomainError::UnknownValue { kind: $kind, value: value.to_string() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// The grants a client may use at the token endpoint.
    GrantType, "grant type" {
        AuthorizationCode => "authorization_code",
        RefreshToken => "refresh_token",
        ClientCredentials => "client_credentials",
        TokenExchange => "urn:ietf:params:oauth:grant-type:token-exchange",
    }
);

wire_enum!(
    /// How a client authenticates at the token endpoint (OIDC Core §9).
    AuthMethod, "token endpoint auth method" {
        ClientSecretBasic => "client_secret_basic",
        ClientSecretPost => "client_secret_post",
        None => "none",
    }
);

wire_enum!(
    /// JWS algorithms Tessera signs with (RFC 7518 §3.1, RFC 8037).
    SigningAlg, "signing algorithm" {
        RS256 => "RS256",
        ES256 => "ES256",
        EdDSA => "EdDSA",
    }
);

/// The keyed hash of a client secret: HMAC-SHA-256 under a key derived from
/// the server's pepper for this one purpose (`v2:` + hex). Secrets have 256
/// random bits, so a fast keyed hash is as strong as a slow one and keeps
/// argon2 off the token endpoint. Hashes written before per-purpose keys
/// (bare hex, HMAC under the pepper itself) still verify and are upgraded on
/// the next successful authentication.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecretHash(String);

impl ClientSecretHash {
    const PREFIX: &'static str = "v2:";
    const LEGACY_LABEL: &'static str = "client-secret";

    pub fn compute(pepper: &Pepper, secret: &Secret) -> Self {
        let mac = pepper.mac(KeyPurpose::ClientSecret, secret.expose().as_bytes());
        Self(format!("{}{}", Self::PREFIX, hex(&mac)))
    }

    fn compute_legacy(pepper: &Pepper, secret: &Secret) -> Self {
        Self(pepper.legacy_keyed_hash(Self::LEGACY_LABEL, secret.expose().as_bytes()))
    }

    /// Does `secret` hash to this value? Compared in constant time.
    pub fn matches(&self, pepper: &Pepper, secret: &Secret) -> bool {
        let candidate = if self.is_legacy() {
            Self::compute_legacy(pepper, secret)
        } else {
            Self::compute(pepper, secret)
        };
        constant_time_eq(self.0.as_bytes(), candidate.0.as_bytes())
    }

    /// Is this the same hash as `other`? Compared in constant time.
    pub fn is(&self, other: &ClientSecretHash) -> bool {
        constant_time_eq(self.0.as_bytes(), other.0.as_bytes())
    }

    /// Written with the pepper itself as the key: rehash when next seen.
    pub fn is_legacy(&self) -> bool {
        !self.0.starts_with(Self::PREFIX)
    }

    pub fn from_trusted(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ClientSecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecretHash(***)")
    }
}

#[derive(Clone, Debug)]
pub struct Client {
    pub id: ClientId,
    pub name: String,
    secret_hash: Option<ClientSecretHash>,
    auth_method: AuthMethod,
    pub redirect_uris: Vec<RedirectUri>,
    pub grant_types: Vec<GrantType>,
    /// First-party clients are the operator's own apps: no consent screen.
    pub first_party: bool,
    pub id_token_alg: SigningAlg,
    pub access_token_alg: SigningAlg,
    pub created_at: i64,
    pub logout: LogoutRegistration,
    /// The scopes the client may be granted; `None`: the standard OpenID ones.
    pub scopes: Option<Scopes>,
    /// Access tokens issued before this Unix second no longer count: moved
    /// forward when the secret is rotated (whoever held the old secret
    /// loses what they got with it).
    pub tokens_valid_after: i64,
}

/// Where a client wants to hear about the end of a session (OIDC RP-Initiated
/// Logout 1.0 §3, Back-Channel Logout 1.0 §2.2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogoutRegistration {
    /// Where the browser may be sent after RP-initiated logout, matched exactly.
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    /// Where logout tokens are POSTed.
    pub backchannel_logout_uri: Option<RedirectUri>,
    /// The client needs `sid` in logout tokens (Tessera always sends it).
    pub backchannel_logout_session_required: bool,
}

/// Everything needed to build a [`Client`]; checked by [`Client::new`].
#[derive(Clone, Debug)]
pub struct ClientSpec {
    pub id: ClientId,
    pub name: String,
    pub secret_hash: Option<ClientSecretHash>,
    pub auth_method: AuthMethod,
    pub redirect_uris: Vec<RedirectUri>,
    pub grant_types: Vec<GrantType>,
    pub first_party: bool,
    pub id_token_alg: SigningAlg,
    pub access_token_alg: SigningAlg,
    pub created_at: i64,
    pub logout: LogoutRegistration,
    pub scopes: Option<Scopes>,
    pub tokens_valid_after: i64,
}

impl Client {
    /// A client's display name: 1 to 200 displayable characters.
    pub fn check_name(name: &str) -> Result<(), DomainError> {
        if name.trim().is_empty()
            || name.chars().count() > 200
            || !super::user::is_displayable(name)
        {
            return Err(DomainError::InvalidClient(
                "the name must be 1 to 200 characters long",
            ));
        }
        Ok(())
    }

    pub fn new(spec: ClientSpec) -> Result<Self, DomainError> {
        match (spec.auth_method, &spec.secret_hash) {
            (AuthMethod::None, Some(_)) => {
                return Err(DomainError::InvalidClient("a public client has no secret"));
            }
            (AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost, None) => {
                return Err(DomainError::InvalidClient(
                    "a confidential client needs a secret",
                ));
            }
            _ => {}
        }
        Self::check_name(&spec.name)?;
        if spec.grant_types.is_empty() {
            return Err(DomainError::InvalidClient(
                "at least one grant type is required",
            ));
        }
        if spec.grant_types.contains(&GrantType::AuthorizationCode) && spec.redirect_uris.is_empty()
        {
            return Err(DomainError::InvalidClient(
                "the authorization_code grant needs at least one redirect URI",
            ));
        }
        if spec.grant_types.contains(&GrantType::RefreshToken)
            && !spec.grant_types.contains(&GrantType::AuthorizationCode)
        {
            return Err(DomainError::InvalidClient(
                "the refresh_token grant needs the authorization_code grant",
            ));
        }
        // RFC 6749 §4.4: only confidential clients may use client_credentials;
        // a service exchanging tokens (RFC 8693) must prove it is itself too.
        if spec.grant_types.contains(&GrantType::ClientCredentials)
            && spec.auth_method == AuthMethod::None
        {
            return Err(DomainError::InvalidClient(
                "the client_credentials grant is for confidential clients only",
            ));
        }
        if spec.grant_types.contains(&GrantType::TokenExchange)
            && spec.auth_method == AuthMethod::None
        {
            return Err(DomainError::InvalidClient(
                "the token exchange grant is for confidential clients only",
            ));
        }
        if let Some(uri) = &spec.logout.backchannel_logout_uri
            && !(uri.as_str().starts_with("https://") || uri.as_str().starts_with("http://"))
        {
            return Err(DomainError::InvalidClient(
                "the back-channel logout URI must be an http(s) URL",
            ));
        }
        if spec.scopes.as_ref().is_some_and(Scopes::is_empty) {
            return Err(DomainError::InvalidClient(
                "a client registered with scopes needs at least one",
            ));
        }
        let mut grant_types: Vec<GrantType> = Vec::with_capacity(spec.grant_types.len());
        for grant in spec.grant_types {
            if !grant_types.contains(&grant) {
                grant_types.push(grant);
            }
        }
        Ok(Self {
            id: spec.id,
            name: spec.name.trim().to_string(),
            secret_hash: spec.secret_hash,
            auth_method: spec.auth_method,
            redirect_uris: spec.redirect_uris,
            grant_types,
            first_party: spec.first_party,
            id_token_alg: spec.id_token_alg,
            access_token_alg: spec.access_token_alg,
            created_at: spec.created_at,
            logout: spec.logout,
            scopes: spec.scopes,
            tokens_valid_after: spec.tokens_valid_after,
        })
    }

    /// Rules a registration (new or changed) must follow beyond what makes
    /// a client a client; a stored registration that predates one of them
    /// still loads, and each rule is enforced again where it matters.
    pub fn check_registration(&self) -> Result<(), DomainError> {
        // Admin scopes are for services acting for themselves, in tokens
        // addressed to the admin API; never for a user's token.
        let admin_scopes = self
            .scopes
            .as_ref()
            .is_some_and(|s| s.iter().any(super::scope::is_admin_scope));
        if admin_scopes && self.grant_types != [GrantType::ClientCredentials] {
            return Err(DomainError::InvalidClient(
                "admin scopes are for clients with the client_credentials grant alone",
            ));
        }
        Ok(())
    }

    /// Everything needed to rebuild this client with changes; the secret
    /// hash is kept.
    pub fn to_spec(&self) -> ClientSpec {
        ClientSpec {
            id: self.id.clone(),
            name: self.name.clone(),
            secret_hash: self.secret_hash.clone(),
            auth_method: self.auth_method,
            redirect_uris: self.redirect_uris.clone(),
            grant_types: self.grant_types.clone(),
            first_party: self.first_party,
            id_token_alg: self.id_token_alg,
            access_token_alg: self.access_token_alg,
            created_at: self.created_at,
            logout: self.logout.clone(),
            scopes: self.scopes.clone(),
            tokens_valid_after: self.tokens_valid_after,
        }
    }

    /// The scopes this client may be granted.
    pub fn allowed_scopes(&self) -> Scopes {
        self.scopes
            .clone()
            .unwrap_or_else(|| Scopes::from_tokens(DEFAULT_ALLOWED))
    }

    /// The registered post-logout redirect URI equal to `candidate`, byte for byte.
    pub fn registered_post_logout_uri(&self, candidate: &str) -> Option<&RedirectUri> {
        self.logout
            .post_logout_redirect_uris
            .iter()
            .find(|uri| uri.as_str() == candidate)
    }

    pub fn is_public(&self) -> bool {
        self.auth_method == AuthMethod::None
    }

    pub fn auth_method(&self) -> AuthMethod {
        self.auth_method
    }

    pub fn secret_hash(&self) -> Option<&ClientSecretHash> {
        self.secret_hash.as_ref()
    }

    pub fn allows(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    /// The registered URI equal to `candidate`, byte for byte.
    pub fn registered_redirect_uri(&self, candidate: &str) -> Option<&RedirectUri> {
        self.redirect_uris
            .iter()
            .find(|uri| uri.as_str() == candidate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::RedirectUriPolicy;

    fn spec(auth_method: AuthMethod, secret: Option<&str>) -> ClientSpec {
        ClientSpec {
            id: ClientId::generate(),
            name: "App".into(),
            secret_hash: secret.map(|s| ClientSecretHash::from_trusted(s.into())),
            auth_method,
            redirect_uris: vec![
                RedirectUri::parse("https://app.example.com/cb", RedirectUriPolicy::default())
                    .expect("valid"),
            ],
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            first_party: false,
            id_token_alg: SigningAlg::RS256,
            access_token_alg: SigningAlg::RS256,
            created_at: 0,
            logout: LogoutRegistration::default(),
            scopes: None,
            tokens_valid_after: 0,
        }
    }

    #[test]
    fn public_clients_have_no_secret_and_confidential_ones_need_one() {
        assert!(Client::new(spec(AuthMethod::None, None)).is_ok_and(|c| c.is_public()));
        assert!(Client::new(spec(AuthMethod::None, Some("h"))).is_err());
        assert!(Client::new(spec(AuthMethod::ClientSecretBasic, None)).is_err());
        assert!(Client::new(spec(AuthMethod::ClientSecretPost, Some("h"))).is_ok());
    }

    #[test]
    fn client_credentials_is_for_confidential_clients() {
        let mut public = spec(AuthMethod::None, None);
        public.grant_types = vec![GrantType::ClientCredentials];
        assert!(Client::new(public).is_err());
        let mut service = spec(AuthMethod::ClientSecretBasic, Some("h"));
        service.grant_types = vec![GrantType::ClientCredentials];
        service.redirect_uris.clear();
        assert!(Client::new(service).is_ok());
    }

    #[test]
    fn redirect_uris_match_exactly() {
        let client = Client::new(spec(AuthMethod::None, None)).expect("valid");
        assert!(
            client
                .registered_redirect_uri("https://app.example.com/cb")
                .is_some()
        );
        assert!(
            client
                .registered_redirect_uri("https://app.example.com/cb/")
                .is_none()
        );
        assert!(
            client
                .registered_redirect_uri("https://APP.example.com/cb")
                .is_none()
        );
    }

    #[test]
    fn client_ids_are_url_safe() {
        assert!(ClientId::parse("my-app_1.0~x").is_ok());
        assert!(ClientId::parse("my app").is_err());
        assert!(ClientId::parse("a:b").is_err());
        assert!(ClientId::parse("").is_err());
    }

    #[test]
    fn secret_hashes_are_keyed() {
        let pepper = Pepper::new(vec![1; 32]).expect("pepper");
        let other = Pepper::new(vec![2; 32]).expect("pepper");
        let hash = ClientSecretHash::compute(&pepper, &Secret::new("s3cret"));
        assert!(hash.matches(&pepper, &Secret::new("s3cret")));
        assert!(!hash.matches(&pepper, &Secret::new("s3cret!")));
        assert!(!hash.matches(&other, &Secret::new("s3cret")));
    }

    #[test]
    fn legacy_secret_hashes_still_verify() {
        let pepper = Pepper::new(vec![1; 32]).expect("pepper");
        let secret = Secret::new("s3cret");
        let legacy = ClientSecretHash::compute_legacy(&pepper, &secret);
        assert!(legacy.is_legacy());
        assert!(legacy.matches(&pepper, &secret));
        assert!(!legacy.matches(&pepper, &Secret::new("other")));
        let current = ClientSecretHash::compute(&pepper, &secret);
        assert!(!current.is_legacy());
        assert_ne!(current.as_str(), legacy.as_str());
    }

    #[test]
    fn wire_names_round_trip() {
        for alg in SigningAlg::ALL {
            assert_eq!(alg.as_str().parse::<SigningAlg>(), Ok(*alg));
        }
        assert!("plain".parse::<GrantType>().is_err());
    }
}
