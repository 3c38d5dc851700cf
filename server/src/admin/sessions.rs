//! Sessions for the operator: list them, end one, end all of a user's. Each
//! ending goes through the one domain operation (`oauth::ending`).

use super::AdminError;
use super::users::find;
use crate::domain::SessionListing;
use crate::domain::{Actor, EndReason, EndTarget, SessionId, SessionsEnded, Username};
use crate::oauth::ending::{EndSessions, end_sessions};
use crate::store::Store;

/// Live sessions, most recently used first; of one user if `username` is given.
pub async fn list_sessions(
    store: &Store,
    username: Option<&str>,
    now: i64,
) -> Result<Vec<SessionListing>, AdminError> {
    let user = match username {
        Some(name) => Some(find(store, name).await?.id),
        None => None,
    };
    Ok(store.sessions(user.as_ref(), now, 10_000).await?)
}

/// End the session `sid`.
pub async fn end_session(
    store: &Store,
    sid: &str,
    actor: Actor,
    now: i64,
) -> Result<SessionsEnded, AdminError> {
    let sid = SessionId::parse(sid)?;
    if store.session_by_sid(&sid).await?.is_none() {
        return Err(AdminError::NotFound(format!("session {sid}")));
    }
    Ok(end_sessions(
        store,
        EndSessions {
            target: EndTarget::Session(sid),
            reason: EndReason::AdminLogout,
            actor,
            ip: None,
        },
        now,
    )
    .await?)
}

/// End every session of `username` and revoke all of their tokens.
pub async fn logout_user(
    store: &Store,
    username: &str,
    actor: Actor,
    now: i64,
) -> Result<SessionsEnded, AdminError> {
    let user = find(store, username).await?;
    end_user_sessions(store, &user.username, EndReason::AdminLogout, actor, now).await
}

pub(super) async fn end_user_sessions(
    store: &Store,
    username: &Username,
    reason: EndReason,
    actor: Actor,
    now: i64,
) -> Result<SessionsEnded, AdminError> {
    let user = store
        .user_by_username(username)
        .await?
        .ok_or_else(|| AdminError::NotFound(format!("user {username}")))?;
    Ok(end_sessions(
        store,
        EndSessions {
            target: EndTarget::User(user.id),
            reason,
            actor,
            ip: None,
        },
        now,
    )
    .await?)
}
