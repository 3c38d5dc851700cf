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
        }
    }
}
