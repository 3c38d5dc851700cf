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
    /// Human descriptions of the requested scopes: who the user is first,
    /// then what is seen of them, then what the application may do.
    pub scopes: Vec<String>,
}

/// Either the page to show, or where to go instead.
#[derive(Debug)]
pub enum ConsentPage {
    Show(ConsentView),
    Step(AuthorizeStep),
}

/// The scopes Tessera describes itself, in the order the page lists them.
const DESCRIBED: [(&str, &str); 5] = [
    (OPENID, "Know who you are (your account identifier)"),
    (PROFILE, "See your name and username"),
    (EMAIL, "See your email address"),
    (GROUPS, "See the groups you belong to"),
    (OFFLINE_ACCESS, "Stay connected when you are not using it"),
];

/// Describe `scope`: Tessera's own in words; an API's with the API's name
/// (`apis`: the name and scopes of each API the request names).
fn describe(scope: &str, apis: &[(String, crate::domain::Scopes)]) -> String {
    if let Some((_, text)) = DESCRIBED.iter().find(|(name, _)| *name == scope) {
        return (*text).to_string();
    }
    match apis.iter().find(|(_, scopes)| scopes.contains(scope)) {
        Some((name, _)) => format!("Use {name}: {scope}"),
        None => format!("Use {scope}"),
    }
}

/// Tessera's scopes in [`DESCRIBED`] order, then the others by name.
fn ordered(scope: &crate::domain::Scopes) -> Vec<&str> {
    let rank = |s: &str| {
        DESCRIBED
            .iter()
            .position(|(name, _)| *name == s)
            .unwrap_or(DESCRIBED.len())
    };
    let mut list: Vec<&str> = scope.iter().collect();
    list.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.cmp(b)));
    list
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
        let mut apis = Vec::new();
        for identifier in &pending.request.resources {
            if let Some(resource) = self
                .store
                .resource_for(&client.id, identifier.as_str())
                .await?
            {
                apis.push((resource.api.name, resource.api.scopes));
            }
        }
        Ok(ConsentPage::Show(ConsentView {
            client_name: client.name,
            username: user.username.to_string(),
            scopes: ordered(&pending.request.scope)
                .into_iter()
                .map(|s| describe(s, &apis))
                .collect(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Scopes;

    #[test]
    fn who_you_are_comes_first_and_api_scopes_name_their_api() {
        let scope = Scopes::parse("offline_access email openid products:read profile").unwrap();
        let apis = vec![(
            "Products".to_string(),
            Scopes::parse("products:read").unwrap(),
        )];
        let shown: Vec<String> = ordered(&scope)
            .into_iter()
            .map(|s| describe(s, &apis))
            .collect();
        assert_eq!(
            shown,
            [
                "Know who you are (your account identifier)",
                "See your name and username",
                "See your email address",
                "Stay connected when you are not using it",
                "Use Products: products:read",
            ]
        );
    }
}
