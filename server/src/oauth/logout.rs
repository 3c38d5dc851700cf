//! Signing out: OIDC RP-Initiated Logout 1.0 at the end-session endpoint, and
//! the account page where a user sees and ends their own sessions. Both end
//! sessions through [`super::ending`].
//!
//! At the end-session endpoint a valid `id_token_hint` (our signature, our
//! issuer; expired ones accepted, §2) for the signed-in user's current
//! session (its `sid`) ends the session at once. Anything less, and the user is asked to confirm with a
//! CSRF-protected form first (§2 "MUST ask the End-User"). The browser goes
//! back to `post_logout_redirect_uri` only if it exactly matches one the
//! client registered (§3), and only when the client is identified by the hint
//! or, after confirmation, by `client_id`; otherwise the signed-out page is
//! shown. A bad hint, a mismatched `client_id` or an unregistered URI gets an
//! error page and ends nothing.

use serde::Deserialize;

use super::ending::EndSessions;
use super::{OAuthError, Params, Provider};
use crate::domain::{
    Actor, Client, EndReason, EndTarget, SessionId, SessionListing, SessionsEnded, User,
};

/// Longest `state` or hint carried through the confirmation form.
const MAX_PARAM_LEN: usize = 4096;

/// The parameters of the end-session endpoint worth carrying through the
/// confirmation form.
const CARRIED: [&str; 5] = [
    "id_token_hint",
    "client_id",
    "post_logout_redirect_uri",
    "state",
    "logout_hint",
];

/// What the browser should see next.
#[derive(Debug, PartialEq, Eq)]
pub enum LogoutStep {
    /// The request is not acceptable; nothing was ended.
    ErrorPage(String),
    /// Ask the user to confirm; the form posts `carry` back.
    Confirm(LogoutConfirmation),
    /// Done (whether or not there was a session): go to `redirect`, or show
    /// the signed-out page.
    SignedOut { redirect: Option<String> },
}

#[derive(Debug, PartialEq, Eq)]
pub struct LogoutConfirmation {
    /// The application asking, when it named itself.
    pub client_name: Option<String>,
    /// Who would be signed out.
    pub username: Option<String>,
    pub carry: Vec<(&'static str, String)>,
}

/// The claims of an `id_token_hint` that matter here.
#[derive(Debug, Deserialize)]
struct HintClaims {
    sub: String,
    aud: String,
    #[serde(default)]
    sid: Option<String>,
}

/// What the account page shows.
#[derive(Debug)]
pub struct AccountView {
    pub user: User,
    pub current_sid: SessionId,
    pub sessions: Vec<SessionListing>,
}

/// A request that passed every check, and what it may do.
struct Checked {
    /// The `sub` and `sid` of the `id_token_hint`.
    hint: Option<(String, Option<String>)>,
    client: Option<Client>,
    /// The registered URI to return to, with `state` appended.
    redirect: Option<String>,
    carry: Vec<(&'static str, String)>,
}

impl Provider {
    /// The end-session endpoint (GET or POST). `confirmed` is true only for
    /// the confirmation form with a valid CSRF token.
    pub async fn end_session_request(
        &self,
        params: &Params,
        session_token: Option<&str>,
        confirmed: bool,
        ip: Option<String>,
        now: i64,
    ) -> Result<LogoutStep, OAuthError> {
        let checked = match self.check_logout_request(params, now).await? {
            Ok(checked) => checked,
            Err(message) => return Ok(LogoutStep::ErrorPage(message)),
        };
        let current = self.current_session(session_token, now).await?;
        let Some((session, user)) = current else {
            // Nobody to sign out here. Send the browser back only when the
            // client is identified by a hint or its id; the URI is registered.
            return Ok(LogoutStep::SignedOut {
                redirect: checked.redirect,
            });
        };
        // The hint must name this very session: an old ID token of the same
        // user (another session's, or one taken from a log) ends nothing
        // without the user's confirmation.
        let hint_matches = checked.hint.as_ref().is_some_and(|(sub, sid)| {
            sub == user.id.as_str() && sid.as_deref() == Some(session.sid.as_str())
        });
        if !hint_matches && !confirmed {
            return Ok(LogoutStep::Confirm(LogoutConfirmation {
                client_name: checked.client.as_ref().map(|c| c.name.clone()),
                username: Some(user.username.to_string()),
                carry: checked.carry,
            }));
        }
        let reason = if checked.client.is_some() {
            EndReason::RpLogout
        } else {
            EndReason::SignOut
        };
        self.end_sessions(
            EndSessions {
                target: EndTarget::Session(session.sid),
                reason,
                actor: Actor::User(user.id.clone()),
                ip,
            },
            now,
        )
        .await?;
        Ok(LogoutStep::SignedOut {
            redirect: checked.redirect,
        })
    }

    /// Validate the request; `Ok(Err(message))` for an error page.
    async fn check_logout_request(
        &self,
        params: &Params,
        now: i64,
    ) -> Result<Result<Checked, String>, OAuthError> {
        if let Err(name) = params.reject_repeated() {
            return Ok(Err(format!("The {name} parameter is repeated.")));
        }
        if CARRIED
            .iter()
            .any(|name| params.get(name).is_some_and(|v| v.len() > MAX_PARAM_LEN))
        {
            return Ok(Err(
                "A parameter of this sign-out request is too long.".into()
            ));
        }
        let hint = match params.get("id_token_hint") {
            None => None,
            Some(token) => {
                match self
                    .keys()
                    .verify::<HintClaims>(token, &["JWT"], &self.config.issuer, now)
                {
                    Ok(claims) => Some(claims),
                    Err(_) => {
                        return Ok(Err(
                            "The id_token_hint of this sign-out request was not issued here."
                                .into(),
                        ));
                    }
                }
            }
        };
        let client_id = match (params.get("client_id"), &hint) {
            (Some(id), Some(hint)) if id != hint.aud => {
                return Ok(Err(
                    "The client_id of this sign-out request does not match its id_token_hint."
                        .into(),
                ));
            }
            (Some(id), _) => Some(id.to_string()),
            (None, Some(hint)) => Some(hint.aud.clone()),
            (None, None) => None,
        };
        let client = match &client_id {
            None => None,
            Some(id) => match self.store.client_by_id(id).await? {
                Some(client) => Some(client),
                None => {
                    return Ok(Err(
                        "The application that sent you here is not registered.".into()
                    ));
                }
            },
        };
        let redirect = match params.get("post_logout_redirect_uri") {
            None => None,
            Some(candidate) => {
                let Some(client) = &client else {
                    return Ok(Err("This sign-out request names a page to return to but not the application it belongs to.".into()));
                };
                let Some(uri) = client.registered_post_logout_uri(candidate) else {
                    return Ok(Err("The post_logout_redirect_uri of this sign-out request is not registered for the application.".into()));
                };
                let state = params.get("state");
                Some(uri.with_params(state.map(|s| ("state", s))))
            }
        };
        let carry = CARRIED
            .iter()
            .filter_map(|name| params.get(name).map(|v| (*name, v.to_string())))
            .collect();
        Ok(Ok(Checked {
            hint: hint.map(|h| (h.sub, h.sid)),
            client,
            redirect,
            carry,
        }))
    }

    /// The signed-in user's own sessions, for the account page.
    pub async fn account(
        &self,
        session_token: Option<&str>,
        now: i64,
    ) -> Result<Option<AccountView>, OAuthError> {
        let Some((session, user)) = self.current_session(session_token, now).await? else {
            return Ok(None);
        };
        let sessions = self.store.sessions(Some(&user.id), now, 100).await?;
        Ok(Some(AccountView {
            user,
            current_sid: session.sid,
            sessions,
        }))
    }

    /// End one of the signed-in user's other sessions, or all of them
    /// (`sid: None`). `None` if nobody is signed in.
    pub async fn end_own_sessions(
        &self,
        session_token: Option<&str>,
        sid: Option<&str>,
        ip: Option<String>,
        now: i64,
    ) -> Result<Option<SessionsEnded>, OAuthError> {
        let Some((session, user)) = self.current_session(session_token, now).await? else {
            return Ok(None);
        };
        let target = match sid {
            Some(sid) => {
                // Only a session of this user, found by its public id.
                let Ok(sid) = SessionId::parse(sid) else {
                    return Ok(Some(SessionsEnded::default()));
                };
                match self.store.session_by_sid(&sid).await? {
                    Some(other) if other.user_id == user.id => EndTarget::Session(other.sid),
                    _ => return Ok(Some(SessionsEnded::default())),
                }
            }
            None => EndTarget::OtherSessions {
                user: user.id.clone(),
                keep_sid: session.sid,
            },
        };
        let ended = self
            .end_sessions(
                EndSessions {
                    target,
                    reason: EndReason::SignOut,
                    actor: Actor::User(user.id),
                    ip,
                },
                now,
            )
            .await?;
        Ok(Some(ended))
    }
}
