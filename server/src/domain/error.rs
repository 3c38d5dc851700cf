use thiserror::Error;

/// A value that breaks one of the domain's invariants.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum DomainError {
    #[error("invalid username: {0}")]
    InvalidUsername(&'static str),
    #[error("invalid email address")]
    InvalidEmail,
    #[error("invalid password: {0}")]
    InvalidPassword(&'static str),
    #[error("invalid client id: {0}")]
    InvalidClientId(&'static str),
    #[error("invalid redirect URI {uri}: {reason}")]
    InvalidRedirectUri { uri: String, reason: &'static str },
    #[error("invalid back-channel logout URI {uri}: {reason}")]
    InvalidBackchannelUri { uri: String, reason: &'static str },
    #[error("invalid scope: {0}")]
    InvalidScope(String),
    #[error("unknown {kind} {value:?}")]
    UnknownValue { kind: &'static str, value: String },
    #[error("invalid client: {0}")]
    InvalidClient(&'static str),
    #[error(
        "invalid name: at most 200 characters, and no control or bidirectional formatting characters"
    )]
    InvalidName,
    #[error("invalid session id")]
    InvalidSessionId,
    #[error("password hashing failed")]
    PasswordHashing,
    #[error("invalid group name: {0}")]
    InvalidGroupName(&'static str),
    #[error("invalid host: {0}")]
    InvalidAppHost(&'static str),
    #[error("invalid audience: 1 to 2048 characters, no spaces or control characters")]
    InvalidAudience,
    #[error(
        "host {host} is not under the gateway cookie's domain {domain}: browsers would not send that cookie to it, so its gateway could never see who is signed in"
    )]
    HostOutsideCookieDomain { host: String, domain: String },
    #[error(
        "no cookie_domain is configured: set it to the parent domain of the applications (for example example.com), so that their gateways see who is signed in"
    )]
    NoCookieDomain,
    #[error("invalid return URL: {0}")]
    InvalidReturnUrl(&'static str),
    #[error("invalid API identifier: {0}")]
    InvalidApiIdentifier(&'static str),
    #[error("invalid lifetime: 60 to 86400 seconds")]
    InvalidLifetime,
}

impl DomainError {
    /// The input field a broken invariant belongs to, for validation errors
    /// that name it.
    pub fn field(&self) -> &'static str {
        match self {
            DomainError::InvalidUsername(_) => "username",
            DomainError::InvalidEmail => "email",
            DomainError::InvalidPassword(_) => "password",
            DomainError::InvalidClientId(_) => "id",
            DomainError::InvalidRedirectUri { .. } => "redirect_uris",
            DomainError::InvalidBackchannelUri { .. } => "backchannel_logout_uri",
            DomainError::InvalidScope(_) => "scopes",
            DomainError::UnknownValue { kind, .. } => match *kind {
                "grant type" => "grant_types",
                "token endpoint auth method" => "auth_method",
                "signing algorithm" => "alg",
                _ => "value",
            },
            DomainError::InvalidClient(_) => "client",
            DomainError::InvalidName => "name",
            DomainError::InvalidSessionId => "id",
            DomainError::PasswordHashing => "password",
            DomainError::InvalidGroupName(_) => "group",
            DomainError::InvalidAppHost(_) => "host",
            DomainError::InvalidAudience => "audience",
            DomainError::HostOutsideCookieDomain { .. } | DomainError::NoCookieDomain => "host",
            DomainError::InvalidReturnUrl(_) => "rd",
            DomainError::InvalidApiIdentifier(_) => "identifier",
            DomainError::InvalidLifetime => "lifetime",
        }
    }
}
