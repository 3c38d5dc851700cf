//! Entering the admin console. The console has a session of its own (its
//! own host-only cookie), and only one way in: the administrator types
//! their password on the console's sign-in form. No other cookie, however
//! fresh its sign-in, opens it. A console session ends after thirty idle
//! minutes, eight hours after it began, whenever its SSO session ends, and
//! when the account loses the admin role or is disabled.

use super::login::{LoginAttempt, LoginError};
use super::session::SessionTokens;
use super::{OAuthError, Provider};
use crate::domain::crypto::{KeyPurpose, b64url, constant_time_eq, random_token, sha256_hex};
use crate::domain::{Actor, Session, UserId};

/// A console session unused this long ends.
pub const CONSOLE_IDLE_SECS: i64 = 30 * 60;
/// A console session ends this long after it began, however busy.
pub const CONSOLE_ABSOLUTE_SECS: i64 = 8 * 3600;
/// Activity is written back at most this often.
const TOUCH_INTERVAL_SECS: i64 = 60;

/// Why the console's sign-in form did not open the console.
#[derive(Debug)]
pub enum ConsoleSignInError {
    /// Wrong username or password, a disabled account, or throttled.
    Login(LoginError),
    /// The password was right, but the account is no administrator.
    NotAdmin,
}

impl From<LoginError> for ConsoleSignInError {
    fn from(err: LoginError) -> Self {
        ConsoleSignInError::Login(err)
    }
}

impl From<OAuthError> for ConsoleSignInError {
    fn from(err: OAuthError) -> Self {
        ConsoleSignInError::Login(LoginError::Internal(err))
    }
}

/// What a successful console sign-in sets: the SSO session's cookies (a
/// fresh sign-in) and the console's own.
#[derive(Debug)]
pub struct ConsoleSignIn {
    pub session: SessionTokens,
    pub console: String,
}

/// A console session that is in force.
#[derive(Clone, Debug)]
pub struct Console {
    pub user: crate::domain::User,
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
    /// The console's sign-in form: the password is checked (counted,
    /// throttled and audited like any sign-in); an administrator gets a
    /// fresh SSO sign-in and a new console session bound to it. Anyone else
    /// gets nothing, not even an SSO session.
    pub async fn sign_in_to_console(
        &self,
        sso_token: Option<&str>,
        attempt: LoginAttempt,
        now: i64,
    ) -> Result<ConsoleSignIn, ConsoleSignInError> {
        let user = self.check_password(&attempt, now).await?;
        if !user.is_admin {
            self.audit_sign_in(
                &attempt,
                Actor::User(user.id.clone()),
                format!("user:{}", user.id),
                "failure",
                Some("not_admin"),
                now,
            )
            .await?;
            return Err(ConsoleSignInError::NotAdmin);
        }
        let session = self.sign_in(&user, &attempt, sso_token, now).await?;
        let Some((sso, _)) = self.current_session(Some(&session.session), now).await? else {
            return Err(OAuthError::internal("console sign-in", "the new session is gone").into());
        };
        let console = self.open_console(&sso, &user.id, now).await?;
        Ok(ConsoleSignIn { session, console })
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
        if now - session.created_at >= CONSOLE_ABSOLUTE_SECS {
            self.store.delete_console_session(&id_hash).await?;
            return Ok(None);
        }
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
