//! Console and CLI use-cases: provisioning users and clients, ending
//! sessions, and the first administrator. The CLI (`tessera user …`,
//! `tessera client …`, `tessera session …`) and the server share this code
//! and the store behind it; ending sessions is the protocol core's one
//! operation (`oauth::ending`), called from here.

pub mod apis;
pub mod apps;
pub mod audit;
pub mod bootstrap;
pub mod clients;
pub mod groups;
pub mod keys;
pub mod overview;
pub mod page;
pub mod sessions;
pub mod users;

use thiserror::Error;

use crate::domain::{Actor, AuditEvent, DomainError};
use crate::store::StoreError;

#[derive(Debug, Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(#[from] DomainError),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0} already exists")]
    Conflict(String),
    #[error(transparent)]
    Store(StoreError),
    #[error("{0}")]
    Failed(String),
    #[error("the page cursor is not one this server made")]
    BadCursor,
    /// A rule of the deployment forbids it (the last administrator, say).
    #[error("{0}")]
    Refused(&'static str),
}

impl AdminError {
    /// The caller's mistake (shown back to them), not the server's.
    pub fn is_client_error(&self) -> bool {
        !matches!(self, AdminError::Store(_) | AdminError::Failed(_))
    }

    pub(crate) fn from_store(err: StoreError, what: impl Into<String>) -> Self {
        match err {
            StoreError::NotFound => AdminError::NotFound(what.into()),
            StoreError::Conflict => AdminError::Conflict(what.into()),
            other => AdminError::Store(other),
        }
    }
}

impl From<StoreError> for AdminError {
    fn from(err: StoreError) -> Self {
        AdminError::Store(err)
    }
}

/// The audit record of what an operator did.
pub(crate) fn event(
    actor: &Actor,
    action: &'static str,
    target: Option<String>,
    details: serde_json::Value,
    now: i64,
) -> AuditEvent {
    AuditEvent {
        at: now,
        actor: actor.clone(),
        action,
        target,
        reason: None,
        ip: None,
        outcome: "success",
        details,
    }
}

/// Hash a password on the blocking pool (argon2id is CPU-bound).
async fn hash_password(
    password: crate::domain::Secret,
) -> Result<crate::domain::PasswordHash, AdminError> {
    tokio::task::spawn_blocking(move || crate::domain::PasswordHash::create(&password))
        .await
        .map_err(|_| AdminError::Invalid(DomainError::PasswordHashing))?
        .map_err(AdminError::Invalid)
}
