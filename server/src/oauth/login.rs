//! Password sign-in on the hosted login page. Unknown users cost the same
//! argon2id work as known ones and get the same answer. Every attempt is
//! counted, per account and per client IP, atomically and *before* the
//! password is checked; a success takes its count back. Past the limit the
//! password is not even checked until the window passes, so parallel guesses
//! get no more tries than serial ones.

use super::session::ClientInfo;
use super::{OAuthError, Provider};
use crate::domain::{Actor, AuditEvent, Secret, Username};

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

impl Provider {
    /// Verify a username and password and start a session. Returns the new
    /// session cookie token.
    pub async fn login(
        &self,
        attempt: LoginAttempt,
        current_session_token: Option<&str>,
        now: i64,
    ) -> Result<String, LoginError> {
        let throttle = self.config.login_throttle;
        let account_key = format!("acct:{}", attempt.username.trim().to_lowercase());
        let ip_key = attempt.client.ip.as_ref().map(|ip| format!("ip:{ip}"));
        let account_count = self
            .store
            .count_attempt(&account_key, throttle.window)
            .await?;
        let ip_count = match &ip_key {
            Some(key) => self.store.count_attempt(key, throttle.window).await?,
            None => 0,
        };
        let attempted = attempt.username.trim().to_lowercase();
        let by_name = format!(
            "username:{}",
            attempted.chars().take(64).collect::<String>()
        );
        if account_count > throttle.max_failures_per_account
            || ip_count > throttle.max_failures_per_ip
        {
            tracing::info!(outcome = "throttled", "sign-in attempt");
            self.audit_sign_in(&attempt, Actor::Anonymous, by_name, "throttled", None, now)
                .await?;
            return Err(LoginError::Throttled);
        }

        let user = match Username::parse(&attempt.username) {
            Ok(username) => self.store.user_by_username(&username).await?,
            Err(_) => None,
        };
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        let verified = self.passwords.verify(hash, attempt.password.clone()).await;
        let user = match user {
            Some(user) if verified && user.can_sign_in() => user,
            other => {
                tracing::info!(outcome = "failure", "sign-in attempt");
                let (target, reason) = match &other {
                    None => (by_name, "unknown_user"),
                    Some(user) if !verified => (format!("user:{}", user.id), "wrong_password"),
                    Some(user) => (format!("user:{}", user.id), "disabled"),
                };
                self.audit_sign_in(
                    &attempt,
                    Actor::Anonymous,
                    target,
                    "failure",
                    Some(reason),
                    now,
                )
                .await?;
                return Err(LoginError::InvalidCredentials);
            }
        };
        self.store.clear_attempts(&account_key).await?;
        if let Some(key) = &ip_key {
            self.store.uncount_attempt(key).await?;
        }

        let previous = self
            .current_session(current_session_token, now)
            .await?
            .map(|(s, _)| s);
        let token = self
            .start_session(
                &user,
                vec!["pwd".to_string()],
                previous,
                &attempt.client,
                now,
            )
            .await?;
        tracing::info!(outcome = "success", user_id = %user.id, "sign-in attempt");
        self.audit_sign_in(
            &attempt,
            Actor::User(user.id.clone()),
            format!("user:{}", user.id),
            "success",
            None,
            now,
        )
        .await?;
        Ok(token)
    }

    /// Every sign-in attempt goes to the audit log: who, how it went, from where.
    async fn audit_sign_in(
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
