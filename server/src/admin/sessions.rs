//! Sessions for the operator: list them, end one, end all of a user's. Each
//! ending goes through the one domain operation (`oauth::ending`).

use super::AdminError;
use super::page::{self, Page};
use super::users::{UserRef, find, find_user};
use crate::domain::{
    Actor, ClientId, EndReason, EndTarget, SessionId, SessionListing, SessionsEnded, User, UserId,
};
use crate::oauth::ending::{EndSessions, end_sessions, end_sessions_in};
use crate::store::{SessionFilter, Store, Unit};

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

/// End every session of a user and revoke all of their tokens.
pub async fn logout_user<'a>(
    store: &Store,
    who: impl Into<UserRef<'a>>,
    actor: Actor,
    now: i64,
) -> Result<SessionsEnded, AdminError> {
    let user = find_user(store, who.into()).await?;
    let mut unit = store.unit().await?;
    let ended = end_user_sessions(&mut unit, &user, EndReason::AdminLogout, &actor, now).await?;
    unit.commit().await?;
    Ok(ended)
}

/// What an operator types to confirm ending every session.
pub const END_ALL_CONFIRMATION: &str = "end all sessions";

/// End every session there is, revoking their tokens.
pub async fn end_all_sessions(
    store: &Store,
    actor: Actor,
    now: i64,
) -> Result<SessionsEnded, AdminError> {
    Ok(end_sessions(
        store,
        EndSessions {
            target: EndTarget::All,
            reason: EndReason::AdminLogout,
            actor,
            ip: None,
        },
        now,
    )
    .await?)
}

/// Filters of the sessions page; `cursor` from the previous page.
#[derive(Clone, Debug, Default)]
pub struct SessionsFilter {
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    pub ip: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u64>,
}

/// One page of live sessions, most recently used first.
pub async fn sessions_page(
    store: &Store,
    filter: SessionsFilter,
    now: i64,
) -> Result<Page<SessionListing>, AdminError> {
    let limit = page::limit(filter.limit);
    let after = match &filter.cursor {
        None => None,
        Some(cursor) => {
            let key = page::decode(cursor).ok_or(AdminError::BadCursor)?;
            let (seen, sid) = key.split_once(':').ok_or(AdminError::BadCursor)?;
            let seen: i64 = seen.parse().map_err(|_| AdminError::BadCursor)?;
            let sid = SessionId::parse(sid).map_err(|_| AdminError::BadCursor)?;
            Some((seen, sid))
        }
    };
    let query = SessionFilter {
        user: filter.user_id.map(UserId::from_trusted),
        client: filter
            .client_id
            .as_deref()
            .map(ClientId::parse)
            .transpose()?,
        ip: filter.ip.filter(|ip| !ip.trim().is_empty()),
    };
    let rows = store
        .sessions_page(
            &query,
            after.as_ref().map(|(seen, sid)| (*seen, sid)),
            now,
            limit + 1,
        )
        .await?;
    Ok(Page::from_rows(rows, limit, |l| {
        format!("{}:{}", l.session.last_seen_at, l.session.sid)
    }))
}

/// End every session of `user` as part of a larger change, committed with it.
pub(super) async fn end_user_sessions(
    unit: &mut Unit<'_>,
    user: &User,
    reason: EndReason,
    actor: &Actor,
    now: i64,
) -> Result<SessionsEnded, AdminError> {
    Ok(end_sessions_in(
        unit,
        EndSessions {
            target: EndTarget::User(user.id.clone()),
            reason,
            actor: actor.clone(),
            ip: None,
        },
        now,
    )
    .await?)
}
