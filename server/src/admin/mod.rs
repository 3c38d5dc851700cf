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
use crate::oauth::passwords::{Busy, PasswordService};
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
    /// Every password hasher is busy and its queue full: try again.
    #[error("too many password checks are under way; try again in a moment")]
    Busy,
    /// More than one field of an input is invalid; each is named.
    #[error("{}", .0.iter().map(|f| f.error.to_string()).collect::<Vec<_>>().join("; "))]
    InvalidFields(Vec<InvalidField>),
}

/// One invalid field of an input, and why.
#[derive(Debug)]
pub struct InvalidField {
    pub field: &'static str,
    pub error: DomainError,
}

/// Checks every field of an input and keeps each failure, so that one
/// refusal names all of them rather than the first.
#[derive(Debug, Default)]
pub(crate) struct FieldChecks(Vec<InvalidField>);

impl FieldChecks {
    /// The value, or `None` with the failure kept under the error's field.
    pub fn check<T>(&mut self, result: Result<T, DomainError>) -> Option<T> {
        result
            .map_err(|error| InvalidField {
                field: error.field(),
                error,
            })
            .map_err(|invalid| self.0.push(invalid))
            .ok()
    }

    /// As [`FieldChecks::check`], under the field's own name (`given_name`
    /// where the error says `name`).
    pub fn check_as<T>(
        &mut self,
        field: &'static str,
        result: Result<T, DomainError>,
    ) -> Option<T> {
        result
            .map_err(|error| self.0.push(InvalidField { field, error }))
            .ok()
    }

    /// Every failure kept, as one refusal; `Ok` when there was none.
    pub fn finish(self) -> Result<(), AdminError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AdminError::InvalidFields(self.0))
        }
    }

    /// The refusal naming every failure kept; the caller found a `None`.
    pub fn refusal(self) -> AdminError {
        if self.0.is_empty() {
            return AdminError::Failed("a field check failed without a reason".into());
        }
        AdminError::InvalidFields(self.0)
    }
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

/// Hash a new password on the password hashers (argon2id is CPU-bound and
/// holds 7 MiB), after its length policy.
async fn hash_password(
    passwords: &PasswordService,
    password: crate::domain::Secret,
) -> Result<crate::domain::PasswordHash, AdminError> {
    passwords
        .hash_new(password)
        .await
        .map_err(|Busy| AdminError::Busy)?
        .map_err(AdminError::Invalid)
}
