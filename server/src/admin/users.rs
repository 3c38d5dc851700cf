//! Users for the operator: create, find, page through, edit, disable, set a
//! password, grant the admin role, unlock, delete; their consents. Whatever
//! ends a user's access (a new password, disabling, deleting) ends their
//! sessions through the one domain operation.

use serde_json::json;

use super::page::{self, Page};
use super::sessions::end_user_sessions;
use super::{AdminError, FieldChecks, event, hash_password};
use crate::domain::crypto::random_token;
use crate::domain::{
    Actor, ClientId, DomainError, Email, EndReason, PasswordHash, Profile, Secret, SessionsEnded,
    User, UserId, Username,
};
use crate::oauth::passwords::PasswordService;
use crate::store::{Consent, Store, Unit};

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

/// Changes to a profile; `None` leaves a field alone, an empty string clears it.
#[derive(Debug, Default)]
pub struct UserUpdate {
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
}

/// A user as named by an operator: by id (console, API) or by username
/// (command line).
#[derive(Clone, Copy, Debug)]
pub enum UserRef<'a> {
    Id(&'a UserId),
    Username(&'a str),
}

impl<'a> From<&'a str> for UserRef<'a> {
    fn from(username: &'a str) -> Self {
        UserRef::Username(username)
    }
}

impl<'a> From<&'a String> for UserRef<'a> {
    fn from(username: &'a String) -> Self {
        UserRef::Username(username)
    }
}

impl<'a> From<&'a UserId> for UserRef<'a> {
    fn from(id: &'a UserId) -> Self {
        UserRef::Id(id)
    }
}

fn clean(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// A display name: at most 200 characters, none of them a control character.
fn name(value: Option<String>) -> Result<Option<String>, DomainError> {
    let value = clean(value);
    if value
        .as_deref()
        .is_some_and(|v| v.chars().count() > 200 || !crate::domain::user::is_displayable(v))
    {
        return Err(DomainError::InvalidName);
    }
    Ok(value)
}

fn target(user: &User) -> Option<String> {
    Some(format!("user:{}", user.id))
}

/// Create a user, with an audit record of who did it.
pub async fn create_user(
    store: &Store,
    passwords: &PasswordService,
    new: NewUser,
    actor: &Actor,
    now: i64,
) -> Result<CreatedUser, AdminError> {
    let mut checks = FieldChecks::default();
    let username = checks.check(Username::parse(&new.username));
    let email = checks.check(clean(new.email).map(|e| Email::parse(&e)).transpose());
    let display_name = checks.check(name(new.name));
    let given_name = checks.check_as("given_name", name(new.given_name));
    let family_name = checks.check_as("family_name", name(new.family_name));
    let password_allowed = checks.check(
        new.password
            .as_ref()
            .map_or(Ok(()), PasswordHash::check_policy),
    );
    let (Some(username), Some(email), Some(name), Some(given_name), Some(family_name), Some(())) = (
        username,
        email,
        display_name,
        given_name,
        family_name,
        password_allowed,
    ) else {
        return Err(checks.refusal());
    };
    let profile = Profile {
        name,
        given_name,
        family_name,
    };
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
        profile,
        password_hash: hash_password(passwords, password).await?,
        is_admin: new.is_admin,
        disabled: false,
        created_at: now,
        updated_at: now,
    };
    let mut unit = store.unit().await?;
    unit.insert_user(&user)
        .await
        .map_err(|e| AdminError::from_store(e, format!("user {}", user.username)))?;
    let details = json!({ "username": user.username.as_str(), "admin": user.is_admin });
    unit.audit(&[event(actor, "user.create", target(&user), details, now)])
        .await?;
    unit.commit().await?;
    Ok(CreatedUser {
        user,
        generated_password,
    })
}

pub async fn list_users(store: &Store) -> Result<Vec<User>, AdminError> {
    Ok(store.list_users().await?)
}

/// One page of users by username; `search` matches the start of the
/// username or email address.
pub async fn users_page(
    store: &Store,
    search: Option<&str>,
    cursor: Option<&str>,
    limit: Option<u64>,
) -> Result<Page<User>, AdminError> {
    let limit = page::limit(limit);
    let after = match cursor {
        None => None,
        Some(cursor) => Some(page::decode(cursor).ok_or(AdminError::BadCursor)?),
    };
    let rows = store
        .users_page(search, after.as_deref(), limit + 1)
        .await?;
    Ok(Page::from_rows(rows, limit, |u| u.username.to_string()))
}

pub async fn find_user(store: &Store, who: UserRef<'_>) -> Result<User, AdminError> {
    match who {
        UserRef::Id(id) => store
            .user_by_id(id)
            .await?
            .ok_or_else(|| AdminError::NotFound(format!("user {id}"))),
        UserRef::Username(name) => {
            let parsed = Username::parse(name)?;
            store
                .user_by_username(&parsed)
                .await?
                .ok_or_else(|| AdminError::NotFound(format!("user {parsed}")))
        }
    }
}

pub(super) async fn find(store: &Store, username: &str) -> Result<User, AdminError> {
    find_user(store, UserRef::Username(username)).await
}

/// Change a user's name, email or verified flag.
pub async fn update_user(
    store: &Store,
    who: UserRef<'_>,
    update: UserUpdate,
    actor: &Actor,
    now: i64,
) -> Result<User, AdminError> {
    let mut user = find_user(store, who).await?;
    let mut checks = FieldChecks::default();
    if let Some(email) = update.email
        && let Some(email) = checks.check(clean(Some(email)).map(|e| Email::parse(&e)).transpose())
    {
        user.email = email;
    }
    if let Some(verified) = update.email_verified {
        user.email_verified = verified;
    }
    for (field_name, field, value) in [
        ("name", &mut user.profile.name, update.name),
        (
            "given_name",
            &mut user.profile.given_name,
            update.given_name,
        ),
        (
            "family_name",
            &mut user.profile.family_name,
            update.family_name,
        ),
    ] {
        if let Some(value) = value
            && let Some(value) = checks.check_as(field_name, name(Some(value)))
        {
            *field = value;
        }
    }
    checks.finish()?;
    user.updated_at = now;
    let mut unit = store.unit().await?;
    unit.update_profile(&user, now).await?;
    unit.audit(&[event(actor, "user.update", target(&user), json!({}), now)])
        .await?;
    unit.commit().await?;
    Ok(user)
}

/// Set a user's password. Every session of the user ends and every token
/// is revoked: whoever knew the old password is signed out everywhere. The
/// new hash, the ending and the audit record commit together.
pub async fn set_password<'a>(
    store: &Store,
    passwords: &PasswordService,
    who: impl Into<UserRef<'a>>,
    password: Secret,
    actor: Actor,
    now: i64,
) -> Result<SessionsEnded, AdminError> {
    let user = find_user(store, who.into()).await?;
    let hash = hash_password(passwords, password).await?;
    let mut unit = store.unit().await?;
    unit.set_password_hash(&user.id, &hash, now)
        .await
        .map_err(|e| AdminError::from_store(e, format!("user {}", user.username)))?;
    let ended =
        end_user_sessions(&mut unit, &user, EndReason::PasswordChanged, &actor, now).await?;
    unit.audit(&[event(
        &actor,
        "user.set_password",
        target(&user),
        json!({}),
        now,
    )])
    .await?;
    unit.commit().await?;
    Ok(ended)
}

/// Disable or enable a user. Disabling ends every session of the user and
/// revokes every token, in the same transaction.
pub async fn set_disabled<'a>(
    store: &Store,
    who: impl Into<UserRef<'a>>,
    disabled: bool,
    actor: Actor,
    now: i64,
) -> Result<(User, SessionsEnded), AdminError> {
    let user = find_user(store, who.into()).await?;
    let mut unit = store.unit().await?;
    if disabled {
        guard_administrators(&mut unit, &user, &actor).await?;
    }
    unit.set_user_disabled(&user.id, disabled, now)
        .await
        .map_err(|e| AdminError::from_store(e, format!("user {}", user.username)))?;
    let action = if disabled {
        "user.disable"
    } else {
        "user.enable"
    };
    let ended = if disabled {
        end_user_sessions(&mut unit, &user, EndReason::UserDisabled, &actor, now).await?
    } else {
        SessionsEnded::default()
    };
    unit.audit(&[event(&actor, action, target(&user), json!({}), now)])
        .await?;
    unit.commit().await?;
    Ok((
        User {
            disabled,
            updated_at: now,
            ..user
        },
        ended,
    ))
}

/// Give or take the admin role. Nobody takes their own, and the last
/// enabled administrator keeps theirs.
pub async fn set_admin<'a>(
    store: &Store,
    who: impl Into<UserRef<'a>>,
    admin: bool,
    actor: &Actor,
    now: i64,
) -> Result<User, AdminError> {
    let user = find_user(store, who.into()).await?;
    let mut unit = store.unit().await?;
    if !admin {
        guard_administrators(&mut unit, &user, actor).await?;
    }
    unit.set_user_admin(&user.id, admin, now)
        .await
        .map_err(|e| AdminError::from_store(e, format!("user {}", user.username)))?;
    let action = if admin {
        "user.grant_admin"
    } else {
        "user.revoke_admin"
    };
    unit.audit(&[event(actor, action, target(&user), json!({}), now)])
        .await?;
    unit.commit().await?;
    Ok(User {
        is_admin: admin,
        updated_at: now,
        ..user
    })
}

/// `user` is about to lose administrator access (demoted, disabled or
/// deleted): refused if it is the actor's own, or the last there is.
async fn guard_administrators(
    unit: &mut Unit<'_>,
    user: &User,
    actor: &Actor,
) -> Result<(), AdminError> {
    if !user.is_admin || user.disabled {
        return Ok(());
    }
    if *actor == Actor::Admin(user.id.clone()) {
        return Err(AdminError::Refused(
            "you cannot remove your own administrator access; another administrator can",
        ));
    }
    let administrators = unit.lock_administrators().await?;
    if administrators.iter().all(|id| *id == user.id) {
        return Err(AdminError::Refused(
            "this is the last administrator: make someone else an administrator first",
        ));
    }
    Ok(())
}

/// Let a user whose sign-ins are throttled try again at once.
pub async fn unlock<'a>(
    store: &Store,
    who: impl Into<UserRef<'a>>,
    actor: &Actor,
    now: i64,
) -> Result<User, AdminError> {
    let user = find_user(store, who.into()).await?;
    store
        .clear_attempts(&crate::oauth::login::account_throttle_key(&user.username))
        .await?;
    store
        .record_audit(&event(actor, "user.unlock", target(&user), json!({}), now))
        .await?;
    Ok(user)
}

/// Delete a user: their sessions end (their applications are told), their
/// tokens are revoked, and their consents go with them; all in one
/// transaction with its audit record.
pub async fn delete_user<'a>(
    store: &Store,
    who: impl Into<UserRef<'a>>,
    actor: Actor,
    now: i64,
) -> Result<SessionsEnded, AdminError> {
    let user = find_user(store, who.into()).await?;
    let mut unit = store.unit().await?;
    guard_administrators(&mut unit, &user, &actor).await?;
    let ended = end_user_sessions(&mut unit, &user, EndReason::AdminLogout, &actor, now).await?;
    unit.delete_user(&user.id)
        .await
        .map_err(|e| AdminError::from_store(e, format!("user {}", user.username)))?;
    let details = json!({ "username": user.username.as_str() });
    unit.audit(&[event(&actor, "user.delete", target(&user), details, now)])
        .await?;
    unit.commit().await?;
    Ok(ended)
}

pub async fn consents<'a>(
    store: &Store,
    who: impl Into<UserRef<'a>>,
) -> Result<Vec<Consent>, AdminError> {
    let user = find_user(store, who.into()).await?;
    Ok(store.consents_of(&user.id).await?)
}

/// Withdraw a user's consent to a client; the client's tokens for the user
/// are revoked. Returns how many grants were revoked.
pub async fn revoke_consent<'a>(
    store: &Store,
    who: impl Into<UserRef<'a>>,
    client: &str,
    actor: &Actor,
    now: i64,
) -> Result<usize, AdminError> {
    let user = find_user(store, who.into()).await?;
    let client = ClientId::parse(client)?;
    let mut unit = store.unit().await?;
    let revoked = unit
        .revoke_consent(&user.id, &client, now)
        .await
        .map_err(|e| AdminError::from_store(e, format!("consent to {client}")))?;
    let details = json!({ "client_id": client.as_str(), "families_revoked": revoked.len() });
    unit.audit(&[event(actor, "consent.revoke", target(&user), details, now)])
        .await?;
    unit.commit().await?;
    Ok(revoked.len())
}
