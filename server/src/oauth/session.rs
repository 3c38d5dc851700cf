//! SSO sessions (OIDC Core §3.1.2.3). The browser carries a random 256-bit
//! token; the store keeps only its SHA-256, with the user, auth_time, amr,
//! client IP, user agent and both expiries. Where gateways are served (a
//! `cookie_domain`), the session has a second random secret for the
//! parent-domain cookie, also stored hashed, which only gateways accept.

use super::ending::EndSessions;
use super::{OAuthError, Provider};
use crate::domain::crypto::{random_token, sha256_hex};
use crate::domain::{Actor, EndReason, EndTarget, Session, SessionId, User};
use crate::store::StoreError;

/// Activity is written back at most this often, so busy sessions do not turn
/// every request into a database write.
const TOUCH_INTERVAL_SECS: i64 = 60;

/// The cookie values of a session that just started or was renewed.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionTokens {
    /// For the host-only cookie: signs the browser in to Tessera.
    pub session: String,
    /// For the parent-domain cookie: identifies the session to gateways.
    pub gateway: Option<String>,
}

impl std::fmt::Debug for SessionTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionTokens(***)")
    }
}

/// Where a new session is being started from.
#[derive(Clone, Debug, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl ClientInfo {
    fn clamped(&self) -> (Option<String>, Option<String>) {
        let clamp = |v: &Option<String>, max: usize| {
            v.as_ref().map(|s| s.chars().take(max).collect::<String>())
        };
        (clamp(&self.ip, 64), clamp(&self.user_agent, 512))
    }
}

impl Provider {
    /// The live session behind a cookie token, with its user; `None` when the
    /// token is unknown, the session expired or the user was disabled.
    pub async fn current_session(
        &self,
        token: Option<&str>,
        now: i64,
    ) -> Result<Option<(Session, User)>, OAuthError> {
        let Some(token) = token.filter(|t| !t.is_empty() && t.len() <= 128) else {
            return Ok(None);
        };
        let id_hash = sha256_hex(token.as_bytes());
        let Some(session) = self.store.session_by_id_hash(&id_hash).await? else {
            return Ok(None);
        };
        if !session.is_active(now) {
            self.end_sessions(
                EndSessions {
                    target: EndTarget::Session(session.sid),
                    reason: EndReason::Expired,
                    actor: Actor::System,
                    ip: None,
                },
                now,
            )
            .await?;
            return Ok(None);
        }
        let Some(user) = self.store.user_by_id(&session.user_id).await? else {
            return Ok(None);
        };
        if !user.can_sign_in() {
            return Ok(None);
        }
        if now - session.last_seen_at >= TOUCH_INTERVAL_SECS {
            let idle = self
                .config
                .sessions
                .idle_expiry(now, session.absolute_expires_at);
            self.store.touch_session(&id_hash, now, idle).await?;
        }
        Ok(Some((session, user)))
    }

    /// The live session behind a gateway cookie, with its user: what a
    /// gateway may know. Tessera's own pages never ask this.
    pub async fn gateway_session(
        &self,
        gateway_token: Option<&str>,
        now: i64,
    ) -> Result<Option<(Session, User)>, OAuthError> {
        let Some(token) = gateway_token.filter(|t| !t.is_empty() && t.len() <= 128) else {
            return Ok(None);
        };
        let Some(session) = self
            .store
            .session_by_gateway_hash(&sha256_hex(token.as_bytes()))
            .await?
        else {
            return Ok(None);
        };
        if !session.is_active(now) {
            return Ok(None);
        }
        let Some(user) = self.store.user_by_id(&session.user_id).await? else {
            return Ok(None);
        };
        Ok(user.can_sign_in().then_some((session, user)))
    }

    /// A new gateway cookie secret for a live session, when gateways are
    /// served: for a browser signed in to Tessera whose gateway cookie is
    /// missing or stale. The old secret stops counting at once.
    pub async fn renew_gateway_token(
        &self,
        session: &Session,
    ) -> Result<Option<String>, OAuthError> {
        if !self.config.gateway_cookie {
            return Ok(None);
        }
        let token = random_token(32);
        self.store
            .set_gateway_hash(
                &session.id_hash,
                &session.sid,
                &sha256_hex(token.as_bytes()),
            )
            .await?;
        Ok(Some(token))
    }

    /// Start a session for `user` who just authenticated with `amr`. A previous
    /// session of the same user keeps its `sid` (so relying parties still
    /// recognise it) but gets new tokens; any other previous session ends.
    pub(super) async fn start_session(
        &self,
        user: &User,
        amr: Vec<String>,
        previous: Option<Session>,
        client: &ClientInfo,
        now: i64,
    ) -> Result<SessionTokens, OAuthError> {
        let tokens = SessionTokens {
            session: random_token(32),
            gateway: self.config.gateway_cookie.then(|| random_token(32)),
        };
        let (ip, user_agent) = client.clamped();
        let lifetimes = self.config.sessions;
        let absolute_expires_at = now + lifetimes.absolute_secs;
        let session = Session {
            id_hash: sha256_hex(tokens.session.as_bytes()),
            sid: SessionId::generate(),
            user_id: user.id.clone(),
            auth_time: now,
            amr,
            created_at: now,
            last_seen_at: now,
            idle_expires_at: lifetimes.idle_expiry(now, absolute_expires_at),
            absolute_expires_at,
            ip,
            user_agent,
            gateway_hash: tokens.gateway.as_ref().map(|g| sha256_hex(g.as_bytes())),
        };
        match previous {
            Some(old) if old.user_id == user.id => {
                let renewed = Session {
                    sid: old.sid.clone(),
                    created_at: old.created_at,
                    ..session.clone()
                };
                match self.store.replace_session(&old.id_hash, &renewed).await {
                    Ok(()) => return Ok(tokens),
                    // Ended meanwhile: start afresh under a new sid.
                    Err(StoreError::NotFound) => {}
                    Err(other) => return Err(other.into()),
                }
            }
            Some(old) => {
                self.end_sessions(
                    EndSessions {
                        target: EndTarget::Session(old.sid),
                        reason: EndReason::Replaced,
                        actor: Actor::User(user.id.clone()),
                        ip: session.ip.clone(),
                    },
                    now,
                )
                .await?;
            }
            None => {}
        }
        self.store.insert_session(&session).await?;
        Ok(tokens)
    }
}
