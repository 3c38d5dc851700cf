//! The client credentials grant (RFC 6749 §4.4): a confidential client gets
//! an access token for itself. `sub` is the client (RFC 9068 §2.2.3); there
//! is no refresh token (§4.4.3) and no ID token, since no user is involved.
//! With `resource` (RFC 8707) the token is for that API, within the API's
//! scopes the client may have. Scopes `admin:read` and `admin:write` are for
//! Tessera's own admin API: a token carrying them has the admin API as its
//! audience, and no other scope.

use super::super::tokens::{Issuance, TokenResponse, UserClaims};
use super::super::{OAuthError, Params, Provider};
use crate::domain::scope::{SUPPORTED, is_admin_scope};
use crate::domain::{Client, Resource, Scopes};

impl Provider {
    pub(super) async fn client_credentials(
        &self,
        client: &Client,
        scope: Option<&Scopes>,
        params: &Params,
        now: i64,
    ) -> Result<TokenResponse, OAuthError> {
        let resource = match self.named_resources(client, params).await?.as_slice() {
            [] => None,
            [one] => Some(one.clone()),
            _ => {
                return Err(OAuthError::invalid_target(
                    "name one resource per token request",
                ));
            }
        };
        // The OpenID scopes are about a user; none is involved here.
        let allowed = match &resource {
            Some(resource) => resource.allowed_scopes(),
            None => client
                .allowed_scopes()
                .without_all(&Scopes::from_tokens(SUPPORTED)),
        };
        // No scope asked for: everything the client may have (§3.3).
        let scope = match scope {
            None => allowed,
            Some(requested) if requested.is_subset(&allowed) => requested.clone(),
            Some(requested) => {
                // Echo a little of what was asked, never a page of it.
                let unknown: String = requested
                    .unknown_in(&allowed)
                    .join(" ")
                    .chars()
                    .take(200)
                    .collect();
                return Err(OAuthError::invalid_scope(format!(
                    "this client may not be granted {unknown}"
                )));
            }
        };
        let audience = admin_audience(self, &scope, resource.as_ref())?;
        self.issue(
            Issuance {
                client,
                grant: None,
                scope: &scope,
                id_token: false,
                nonce: None,
                refresh_token: None,
                resource: resource.as_ref(),
                audience: audience.as_deref(),
                about: UserClaims::default(),
            },
            now,
        )
        .await
    }
}

/// Admin scopes make a token for the admin API, alone.
fn admin_audience(
    provider: &Provider,
    scope: &Scopes,
    resource: Option<&Resource>,
) -> Result<Option<String>, OAuthError> {
    let admin = scope.iter().filter(|s| is_admin_scope(s)).count();
    if admin == 0 {
        Ok(None)
    } else if admin == scope.iter().count() && resource.is_none() {
        Ok(Some(provider.admin_api_audience()))
    } else {
        Err(OAuthError::invalid_scope(
            "ask for admin scopes in a token of their own",
        ))
    }
}
