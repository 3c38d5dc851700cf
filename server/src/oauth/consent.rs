//! The consent page: a third-party client asks for scopes the user has not
//! granted it before (or asks with `prompt=consent`). Approval is remembered
//! per user and client as the union of every scope granted.

use super::authorize::{Parked, expired_page};
use super::{AuthorizeStep, ErrorCode, OAuthError, Provider};
use crate::domain::scope::{EMAIL, GROUPS, OFFLINE_ACCESS, OPENID, PROFILE};

/// What the consent page shows.
#[derive(Debug, Clone)]
pub struct ConsentView {
    pub client_name: String,
    pub username: String,
    /// Human descriptions of the requested scopes.
    pub scopes: Vec<&'static str>,
}

/// Either the page to show, or where to go instead.
#[derive(Debug)]
pub enum ConsentPage {
    Show(ConsentView),
    Step(AuthorizeStep),
}

fn describe(scope: &str) -> &'static str {
    match scope {
        OPENID => "Know who you are (your account identifier)",
        PROFILE => "See your name and username",
        EMAIL => "See your email address",
        OFFLINE_ACCESS => "Stay connected when you are not using it",
        GROUPS => "See the groups you belong to",
        _ => "Other access",
    }
}

impl Provider {
    pub async fn consent_page(
        &self,
        request_id: &str,
        session_token: Option<&str>,
        now: i64,
    ) -> Result<ConsentPage, OAuthError> {
        let Some(pending) = self.store.pending(request_id).await? else {
            return Ok(ConsentPage::Step(expired_page()));
        };
        let Some((_, user)) = self.current_session(session_token, now).await? else {
            return Ok(ConsentPage::Step(AuthorizeStep::Login {
                request_id: request_id.to_string(),
            }));
        };
        let Some(client) = self
            .store
            .client_by_id(pending.request.client_id.as_str())
            .await?
        else {
            return Ok(ConsentPage::Step(expired_page()));
        };
        Ok(ConsentPage::Show(ConsentView {
            client_name: client.name,
            username: user.username.to_string(),
            scopes: pending.request.scope.iter().map(describe).collect(),
        }))
    }

    /// Record the user's answer and continue the request.
    pub async fn consent_decision(
        &self,
        request_id: &str,
        session_token: Option<&str>,
        approve: bool,
        now: i64,
    ) -> Result<AuthorizeStep, OAuthError> {
        let Some(mut pending) = self.store.pending(request_id).await? else {
            return Ok(expired_page());
        };
        let Some((_, user)) = self.current_session(session_token, now).await? else {
            return Ok(AuthorizeStep::Login {
                request_id: request_id.to_string(),
            });
        };
        let request = &pending.request;
        if !approve {
            self.store.delete_pending(request_id).await?;
            let error = OAuthError::new(ErrorCode::AccessDenied, "the user denied the request");
            return Ok(AuthorizeStep::Redirect(self.error_redirect(
                &request.redirect_uri,
                request.state.as_deref(),
                &error,
            )));
        }
        let granted = match self.store.consent(&user.id, &request.client_id).await? {
            Some(previous) => previous.union(&request.scope),
            None => request.scope.clone(),
        };
        self.store
            .save_consent(&user.id, &request.client_id, &granted, now)
            .await?;
        pending.consent_given = true;
        self.proceed(pending, Parked::As(request_id), session_token, now)
            .await
    }
}
