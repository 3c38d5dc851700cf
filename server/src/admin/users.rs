use super::sessions::end_user_sessions;
use super::{AdminError, hash_password};
use crate::domain::crypto::random_token;
use crate::domain::{
    Actor, Email, EndReason, Profile, Secret, SessionsEnded, User, UserId, Username,
};
use crate::store::Store;

#[derive(Debug, Default)]
pub struct NewUser {
    pub username: String,
    /// Generated (and returned once) when absent.
    pub password: Option<Secret>,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub is_admin: bool,
}

#[derive(Debug)]
pub struct CreatedUser {
    pub user: User,
    /// The generated password, to be shown once; `None` if one was given.
    pub generated_password: Option<Secret>,
}

fn clean(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

pub async fn create_user(store: &Store, new: NewUser, now: i64) -> Result<CreatedUser, AdminError> {
    let username = Username::parse(&new.username)?;
    let email = clean(new.email).map(|e| Email::parse(&e)).transpose()?;
    let (password, generated_password) = match new.password {
        Some(password) => (password, None),
        None => {
            let generated = Secret::new(random_token(18));
            (generated.clone(), Some(generated))
        }
    };
    let user = User {
        id: UserId::generate(),
        username,
        email,
        email_verified: new.email_verified,
        profile: Profile {
            name: clean(new.name),
            given_name: clean(new.given_name),
            family_name: clean(new.family_name),
        },
        password_hash: hash_password(password).await?,
        is_admin: new.is_admin,
        disabled: false,
        created_at: now,
        updated_at: now,
    };
    store
        .insert_user(&user)
        .await
        .map_err(|e| AdminError::from_store(e, format!("user {}", user.username)))?;
    Ok(CreatedUser {
        user,
        generated_password,
    })
}

pub async fn list_users(store: &Store) -> Result<Vec<User>, AdminError> {
    Ok(store.list_users().await?)
}

pub(super) async fn find(store: &Store, username: &str) -> Result<User, AdminError> {
    let parsed = Username::parse(username)?;
    store
        .user_by_username(&parsed)
        .await?
        .ok_or_else(|| AdminError::NotFound(format!("user {parsed}")))
}

/// Set a user's password. Every session of the user ends and every token
/// is revoked: whoever knew the old password is signed out everywhere.
pub async fn set_password(
    store: &Store,
    username: &str,
    password: Secret,
    actor: Actor,
    now: i64,
) -> Result<SessionsEnded, AdminError> {
    let user = find(store, username).await?;
    let hash = hash_password(password).await?;
    store
        .set_password_hash(&user.id, &hash, now)
        .await
        .map_err(|e| AdminError::from_store(e, format!("user {}", user.username)))?;
    end_user_sessions(
        store,
        &user.username,
        EndReason::PasswordChanged,
        actor,
        now,
    )
    .await
}

/// Disable or enable a user. Disabling ends every session of the user and
/// revokes every token.
pub async fn set_disabled(
    store: &Store,
    username: &str,
    disabled: bool,
    actor: Actor,
    now: i64,
) -> Result<(User, SessionsEnded), AdminError> {
    let user = find(store, username).await?;
    store
        .set_user_disabled(&user.id, disabled, now)
        .await
        .map_err(|e| AdminError::from_store(e, format!("user {}", user.username)))?;
    let ended = if disabled {
        end_user_sessions(store, &user.username, EndReason::UserDisabled, actor, now).await?
    } else {
        SessionsEnded::default()
    };
    Ok((
        User {
            disabled,
            updated_at: now,
            ..user
        },
        ended,
    ))
}
