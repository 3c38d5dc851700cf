//! Password sign-in on the hosted login page. Unknown users cost the same
//! argon2id work as known ones and get the same answer. Every attempt is
//! counted, per client address (an IPv6 /64) and per account, atomically and
//! *before* the password is checked; a success takes its count back. Past
//! the limit the password is not even checked until the window passes, so
//! parallel guesses get no more tries than serial ones. Counter keys are
//! bounded: the account's is a hash of the normalized username.

use super::passwords::Checked;
use super::session::{ClientInfo, SessionTokens};
use super::{OAuthError, Provider};
use crate::domain::crypto::sha256_hex;
use crate::domain::{Actor, AuditEvent, Secret, User, Username, address};
use crate::metrics::SignIn;

#[derive(Debug)]
pub struct LoginAttempt {
    pub username: String,
    pub password: Secret,
    pub client: ClientInfo,
}

#[derive(Debug)]
pub enum LoginError {
    /// Wrong username or password, or a disabled account: one answer for all.
    InvalidCredentials,
    /// Too many failures for this account or address.
    Throttled,
    /// Every password hasher is busy and the queue is full.
    Busy,
    Internal(OAuthError),
}

impl From<OAuthError> for LoginError {
    fn from(err: OAuthError) -> Self {
        LoginError::Internal(err)
    }
}

impl From<crate::store::StoreError> for LoginError {
    fn from(err: crate::store::StoreError) -> Self {
        LoginError::Internal(err.into())
    }
}

/// What a login page shows about the request it serves.
#[derive(Debug, Clone)]
pub struct LoginContext {
    pub client_name: String,
    pub login_hint: Option<String>,
}

/// The counter of failed sign-ins for one account: keyed by a hash of the
/// normalized username, so a key is small whatever was typed.
pub fn account_throttle_key(username: &Username) -> String {
    format!("acct:{}", &sha256_hex(username.as_str().as_bytes())[..32])
}

/// The counter of failed sign-ins from one address (an IPv6 /64).
fn address_throttle_key(ip: &str) -> String {
    format!("ip:{}", address::per_address(ip))
}

/// What the audit log names as the target of an attempt with an unknown
/// or unusable username: at most 64 characters of what was typed.
fn attempted_name(typed: &str) -> String {
    let shown: String = typed.trim().chars().take(64).collect();
    format!("username:{}", shown.to_lowercase())
}

impl Provider {
    /// Verify a username and password and start a session. Returns the new
    /// session's cookie tokens.
    ///
    /// The address is counted first: a request from an address past its
    /// limit touches nothing else (no counter for the name it tried, and one
    /// audit record per address and window, not one per request). Only then
    /// is the account counted, by the normalized username.
    pub async fn login(
        &self,
        attempt: LoginAttempt,
        current_session_token: Option<&str>,
        now: i64,
    ) -> Result<SessionTokens, LoginError> {
        let user = self.check_password(&attempt, now).await?;
        self.sign_in(&user, &attempt, current_session_token, now)
            .await
    }

    /// Start (or renew) the session of `user`, whose password was just
    /// checked, and record the successful sign-in.
    pub(super) async fn sign_in(
        &self,
        user: &User,
        attempt: &LoginAttempt,
        current_session_token: Option<&str>,
        now: i64,
    ) -> Result<SessionTokens, LoginError> {
        let previous = self
            .current_session(current_session_token, now)
            .await?
            .map(|(s, _)| s);
        let tokens = self
            .start_session(
                user,
                vec!["pwd".to_string()],
                previous,
                &attempt.client,
                now,
            )
            .await?;
        tracing::info!(outcome = "success", user_id = %user.id, "sign-in attempt");
        self.audit_sign_in(
            attempt,
            Actor::User(user.id.clone()),
            format!("user:{}", user.id),
            "success",
            None,
            now,
        )
        .await?;
        Ok(tokens)
    }

    /// Count the attempt, then check the username and password: the user
    /// they belong to, if the account may sign in. Failures are audited.
    pub(super) async fn check_password(
        &self,
        attempt: &LoginAttempt,
        now: i64,
    ) -> Result<User, LoginError> {
        let throttle = self.config.login_throttle;
        if let Some(ip) = &attempt.client.ip {
            let key = address_throttle_key(ip);
            if self.store.count_attempt(&key, throttle.window).await? > throttle.max_failures_per_ip
            {
                tracing::info!(outcome = "throttled", "sign-in attempt");
                if self
                    .store
                    .first_throttled_in_window(&key, throttle.window)
                    .await?
                {
                    let target = attempted_name(&attempt.username);
                    self.audit_sign_in(attempt, Actor::Anonymous, target, "throttled", None, now)
                        .await?;
                }
                crate::metrics::sign_in(SignIn::Throttled);
                return Err(LoginError::Throttled);
            }
        }
        let username = Username::parse(&attempt.username).ok();
        let account_key = username.as_ref().map(account_throttle_key);
        if let Some(key) = &account_key
            && self.store.count_attempt(key, throttle.window).await?
                > throttle.max_failures_per_account
        {
            tracing::info!(outcome = "throttled", "sign-in attempt");
            let target = attempted_name(&attempt.username);
            self.audit_sign_in(attempt, Actor::Anonymous, target, "throttled", None, now)
                .await?;
            crate::metrics::sign_in(SignIn::Throttled);
            return Err(LoginError::Throttled);
        }

        let user = match &username {
            Some(username) => self.store.user_by_username(username).await?,
            None => None,
        };
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        let checked = self
            .passwords
            .verify(hash, attempt.password.clone())
            .await
            .map_err(|_| {
                crate::metrics::sign_in(SignIn::Busy);
                LoginError::Busy
            })?;
        let verified = checked.is_right();
        let user = match user {
            Some(user) if verified && user.can_sign_in() => user,
            other => {
                tracing::info!(outcome = "failure", "sign-in attempt");
                let (target, reason) = match &other {
                    None => (attempted_name(&attempt.username), "unknown_user"),
                    Some(user) if !verified => (format!("user:{}", user.id), "wrong_password"),
                    Some(user) => (format!("user:{}", user.id), "disabled"),
                };
                self.audit_sign_in(
                    attempt,
                    Actor::Anonymous,
                    target,
                    "failure",
                    Some(reason),
                    now,
                )
                .await?;
                crate::metrics::sign_in(SignIn::Failure);
                return Err(LoginError::InvalidCredentials);
            }
        };
        if let Checked::Rehashed(rehashed) = &checked {
            self.store
                .upgrade_password_hash(&user.id, &user.password_hash, rehashed)
                .await?;
        }
        if let Some(key) = &account_key {
            self.store.clear_attempts(key).await?;
        }
        if let Some(ip) = &attempt.client.ip {
            self.store
                .uncount_attempt(&address_throttle_key(ip))
                .await?;
        }
        crate::metrics::sign_in(SignIn::Success);
        Ok(user)
    }

    /// Every sign-in attempt goes to the audit log: who, how it went, from where.
    pub(super) async fn audit_sign_in(
        &self,
        attempt: &LoginAttempt,
        actor: Actor,
        target: String,
        outcome: &'static str,
        reason: Option<&'static str>,
        now: i64,
    ) -> Result<(), LoginError> {
        self.store
            .record_audit(&AuditEvent {
                at: now,
                actor,
                action: "sign_in",
                target: Some(target),
                reason,
                ip: attempt.client.ip.clone(),
                outcome,
                details: serde_json::Value::Null,
            })
            .await?;
        Ok(())
    }

    /// The client name and login hint of a parked request, for the login page.
    pub async fn login_context(
        &self,
        request_id: &str,
    ) -> Result<Option<LoginContext>, OAuthError> {
        let Some(pending) = self.store.pending(request_id).await? else {
            return Ok(None);
        };
        let client = self
            .store
            .client_by_id(pending.request.client_id.as_str())
            .await?;
        Ok(client.map(|client| LoginContext {
            client_name: client.name,
            login_hint: pending.request.login_hint,
        }))
    }
}
