//! Entering the admin console. The SSO cookie is shared with every
//! subdomain, so it never authorizes an admin action by itself: the console
//! has a session of its own (its own cookie, host-only), opened only for an
//! administrator who authenticated within the last ten minutes, ended after
//! thirty idle minutes and whenever its SSO session ends.

use super::login::{LoginAttempt, LoginError};
use super::{OAuthError, Provider};
use crate::domain::crypto::{KeyPurpose, b64url, constant_time_eq, random_token, sha256_hex};
use crate::domain::{Session, User, UserId};

/// How recent a sign-in must be to open the console.
pub const FRESH_AUTH_SECS: i64 = 10 * 60;
/// A console session unused this long ends.
pub const CONSOLE_IDLE_SECS: i64 = 30 * 60;
/// Activity is written back at most this often.
const TOUCH_INTERVAL_SECS: i64 = 60;

/// What a request for the console gets.
#[derive(Debug)]
pub enum ConsoleEntry {
    /// Nobody is signed in: the hosted login first.
    SignIn,
    /// Signed in, but not an administrator.
    Forbidden(User),
    /// An administrator whose sign-in is too old: ask for the password.
    Reauthenticate(User),
    /// Welcome: a new console session, with this cookie token.
    Opened { token: String, user: User },
}

/// A console session that is in force.
#[derive(Clone, Debug)]
pub struct Console {
    pub user: User,
    /// SHA-256 of the cookie token: the key of its CSRF token.
    pub id_hash: String,
}

impl Console {
    /// The CSRF token of this console session's forms and API calls.
    pub fn csrf_token(&self, provider: &Provider) -> String {
        b64url(&provider.pepper().mac(
            KeyPurpose::Csrf,
            format!("console:{}", self.id_hash).as_bytes(),
        ))
    }

    pub fn csrf_matches(&self, provider: &Provider, submitted: &str) -> bool {
        constant_time_eq(self.csrf_token(provider).as_bytes(), submitted.as_bytes())
    }
}

impl Provider {
    /// Open the console for the browser with `sso_token`, if its user may.
    pub async fn enter_console(
        &self,
        sso_token: Option<&str>,
        now: i64,
    ) -> Result<ConsoleEntry, OAuthError> {
        let Some((session, user)) = self.current_session(sso_token, now).await? else {
            return Ok(ConsoleEntry::SignIn);
        };
        if !user.is_admin {
            return Ok(ConsoleEntry::Forbidden(user));
        }
        if now - session.auth_time > FRESH_AUTH_SECS {
            return Ok(ConsoleEntry::Reauthenticate(user));
        }
        let token = self.open_console(&session, &user.id, now).await?;
        Ok(ConsoleEntry::Opened { token, user })
    }

    /// The administrator types their password again: a fresh sign-in (a new
    /// SSO cookie token, same session) and a console session. Returns both
    /// cookie tokens.
    pub async fn reauthenticate_for_console(
        &self,
        sso_token: Option<&str>,
        attempt: LoginAttempt,
        now: i64,
    ) -> Result<(String, String), LoginError> {
        let Some((_, current)) = self.current_session(sso_token, now).await? else {
            return Err(LoginError::InvalidCredentials);
        };
        if attempt.username.trim().to_lowercase() != current.username.as_str() {
            return Err(LoginError::InvalidCredentials);
        }
        let sso = self.login(attempt, sso_token, now).await?;
        let Some((session, user)) = self.current_session(Some(&sso), now).await? else {
            return Err(LoginError::InvalidCredentials);
        };
        if !user.is_admin {
            return Err(LoginError::InvalidCredentials);
        }
        let console = self.open_console(&session, &user.id, now).await?;
        Ok((sso, console))
    }

    async fn open_console(
        &self,
        session: &Session,
        user: &UserId,
        now: i64,
    ) -> Result<String, OAuthError> {
        let token = random_token(32);
        self.store
            .insert_console_session(
                &sha256_hex(token.as_bytes()),
                &session.sid,
                user,
                now,
                now + CONSOLE_IDLE_SECS,
            )
            .await?;
        Ok(token)
    }

    /// The console session behind a console cookie, if it is in force.
    pub async fn console(&self, token: &str, now: i64) -> Result<Option<Console>, OAuthError> {
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        let id_hash = sha256_hex(token.as_bytes());
        let Some(session) = self.store.console_session(&id_hash, now).await? else {
            return Ok(None);
        };
        let user = match self.store.user_by_id(&session.user_id).await? {
            Some(user) if user.is_admin && !user.disabled => user,
            // The role was taken away (or the account disabled) meanwhile.
            _ => {
                self.store.delete_console_session(&id_hash).await?;
                return Ok(None);
            }
        };
        if now - session.last_seen_at >= TOUCH_INTERVAL_SECS {
            self.store
                .touch_console_session(&id_hash, now, now + CONSOLE_IDLE_SECS)
                .await?;
        }
        Ok(Some(Console { user, id_hash }))
    }

    /// Leave the console (the SSO session stays).
    pub async fn leave_console(&self, token: &str) -> Result<(), OAuthError> {
        Ok(self
            .store
            .delete_console_session(&sha256_hex(token.as_bytes()))
            .await?)
    }
}
