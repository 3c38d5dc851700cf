use thiserror::Error;

/// A value that breaks one of the domain's invariants.
#[derive(Debug, Error, PartialEq, Eq)]
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
    #[error("invalid scope: {0}")]
    InvalidScope(String),
    #[error("unknown {kind} {value:?}")]
    UnknownValue { kind: &'static str, value: String },
    #[error("invalid client: {0}")]
    InvalidClient(&'static str),
    #[error("invalid name: it must be at most 200 characters long")]
    InvalidName,
    #[error("invalid session id")]
    InvalidSessionId,
    #[error("password hashing failed")]
    PasswordHashing,
}
