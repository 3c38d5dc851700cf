//! The first administrator, created on the first start of an empty database.

use super::AdminError;
use super::users::{NewUser, create_user};
use crate::domain::Actor;
use crate::domain::Secret;
use crate::oauth::passwords::PasswordService;
use crate::store::Store;

pub const BOOTSTRAP_USERNAME: &str = "admin";

/// What bootstrapping did.
#[derive(Debug)]
pub enum Bootstrap {
    /// Users exist already; nothing was done.
    NotNeeded,
    /// The admin was created with the configured password.
    Created,
    /// The admin was created with this generated password, to be shown once.
    CreatedWithPassword(Secret),
}

pub async fn ensure_admin(
    store: &Store,
    passwords: &PasswordService,
    password: Option<Secret>,
    now: i64,
) -> Result<Bootstrap, AdminError> {
    if store.count_users().await? > 0 {
        return Ok(Bootstrap::NotNeeded);
    }
    let new = NewUser {
        username: BOOTSTRAP_USERNAME.to_string(),
        password,
        name: Some("Administrator".to_string()),
        is_admin: true,
        ..NewUser::default()
    };
    match create_user(store, passwords, new, &Actor::System, now).await {
        Ok(created) => Ok(match created.generated_password {
            Some(password) => Bootstrap::CreatedWithPassword(password),
            None => Bootstrap::Created,
        }),
        // Another replica created it at the same moment.
        Err(AdminError::Conflict(_)) => Ok(Bootstrap::NotNeeded),
        Err(other) => Err(other),
    }
}
