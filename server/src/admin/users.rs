use super::{AdminError, hash_password};
use crate::domain::crypto::random_token;
use crate::domain::{Email, Profile, Secret, User, UserId, Username};
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

async fn find(store: &Store, username: &str) -> Result<User, AdminError> {
    let parsed = Username::parse(username)?;
    store
        .user_by_username(&parsed)
        .await?
        .ok_or_else(|| AdminError::NotFound(format!("user {parsed}")))
}

pub async fn set_password(
    store: &Store,
    username: &str,
    password: Secret,
    now: i64,
) -> Result<(), AdminError> {
    let user = find(store, username).await?;
    let hash = hash_password(password).await?;
    store
        .set_password_hash(&user.id, &hash, now)
        .await
        .map_err(|e| AdminError::from_store(e, format!("user {}", user.username)))
}

pub async fn set_disabled(
    store: &Store,
    username: &str,
    disabled: bool,
    now: i64,
) -> Result<User, AdminError> {
    let user = find(store, username).await?;
    store
        .set_user_disabled(&user.id, disabled, now)
        .await
        .map_err(|e| AdminError::from_store(e, format!("user {}", user.username)))?;
    Ok(User {
        disabled,
        updated_at: now,
        ..user
    })
}
