//! Ending sessions: the one operation behind the user's sign-out, RP-initiated
//! logout, a changed password, a disabled account, an administrator's forced
//! logout and the expiry sweep. It deletes the sessions, revokes the grants
//! issued under them (unless they merely expired, see
//! [`EndReason::revokes_tokens`]), queues a back-channel logout notice for
//! every client that received tokens in them (OIDC Back-Channel Logout 1.0
//! §2.5), writes the audit record, and reports what it ended; all in one
//! transaction.

use serde_json::json;

use super::{OAuthError, Provider};
use crate::domain::{Actor, AuditEvent, EndReason, EndTarget, SessionsEnded};
use crate::store::{Store, StoreError, Unit};

/// A request to end sessions.
#[derive(Clone, Debug)]
pub struct EndSessions {
    pub target: EndTarget,
    pub reason: EndReason,
    pub actor: Actor,
    /// Where the request came from, for the audit log.
    pub ip: Option<String>,
}

/// End sessions (see the module documentation) in a unit of their own.
/// Callable without a [`Provider`], so the command line shares it.
pub async fn end_sessions(
    store: &Store,
    request: EndSessions,
    now: i64,
) -> Result<SessionsEnded, StoreError> {
    let mut unit = store.unit().await?;
    let ended = end_sessions_in(&mut unit, request, now).await?;
    unit.commit().await?;
    Ok(ended)
}

/// End sessions as part of a larger use case (a new password, a disabled
/// or deleted account), committed with it.
pub async fn end_sessions_in(
    unit: &mut Unit<'_>,
    request: EndSessions,
    now: i64,
) -> Result<SessionsEnded, StoreError> {
    let EndSessions {
        target,
        reason,
        actor,
        ip,
    } = request;
    let ended = unit
        .end_sessions(&target, reason.revokes_tokens(), now)
        .await?;
    let event = |target: Option<String>, details| AuditEvent {
        at: now,
        actor: actor.clone(),
        action: "session.end",
        target,
        reason: Some(reason.as_str()),
        ip: ip.clone(),
        outcome: "success",
        details,
    };
    let events: Vec<AuditEvent> = match &target {
        // One record per session: each is its own event, and a sweep that
        // found nothing leaves no trace.
        EndTarget::Expired { .. } => ended
            .sessions
            .iter()
            .map(|s| {
                event(
                    Some(format!("session:{}", s.sid)),
                    json!({ "user_id": s.user_id.as_str() }),
                )
            })
            .collect(),
        other => {
            let label = match other {
                EndTarget::Session(sid) => format!("session:{sid}"),
                EndTarget::User(user) | EndTarget::OtherSessions { user, .. } => {
                    format!("user:{user}")
                }
                EndTarget::Expired { .. } => String::new(),
                EndTarget::All => "sessions:all".to_string(),
            };
            vec![event(
                Some(label),
                json!({
                    "sessions": ended.sessions.iter().map(|s| s.sid.as_str()).collect::<Vec<_>>(),
                    "families_revoked": ended.families_revoked,
                    "notices_queued": ended.notices_queued,
                }),
            )]
        }
    };
    unit.audit(&events).await?;
    if !ended.is_empty() {
        tracing::info!(
            reason = reason.as_str(),
            actor = %actor,
            sessions = ended.sessions.len(),
            families = ended.families_revoked,
            notices = ended.notices_queued,
            "sessions ended"
        );
    }
    Ok(ended)
}

impl Provider {
    pub async fn end_sessions(
        &self,
        request: EndSessions,
        now: i64,
    ) -> Result<SessionsEnded, OAuthError> {
        Ok(end_sessions(&self.store, request, now).await?)
    }
}

/// What one expiry sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub sessions_expired: usize,
    pub notices_queued: u64,
    pub denylist_purged: u64,
    pub opaque_tokens_purged: u64,
    pub notices_purged: u64,
}

impl Provider {
    /// End every session past its idle or absolute expiry (so the clients
    /// that received tokens in it hear of it), and forget deny-list entries
    /// and finished back-channel notices nobody needs any more.
    pub async fn sweep(&self, now: i64) -> Result<SweepReport, OAuthError> {
        const BATCH: u64 = 500;
        const KEEP_NOTICES_SECS: i64 = 7 * 24 * 3600;
        let mut report = SweepReport::default();
        loop {
            let ended = self
                .end_sessions(
                    EndSessions {
                        target: EndTarget::Expired { limit: BATCH },
                        reason: EndReason::Expired,
                        actor: Actor::System,
                        ip: None,
                    },
                    now,
                )
                .await?;
            report.sessions_expired += ended.sessions.len();
            report.notices_queued += ended.notices_queued;
            if (ended.sessions.len() as u64) < BATCH {
                break;
            }
        }
        report.denylist_purged = self.store.purge_expired_denylist(now).await?;
        report.opaque_tokens_purged = self.store.purge_expired_opaque_tokens(now).await?;
        report.notices_purged = self
            .store
            .purge_finished_notices(now - KEEP_NOTICES_SECS)
            .await?;
        Ok(report)
    }
}
