//! The client credentials grant (RFC 6749 §4.4): a confidential client gets
//! an access token for itself. `sub` is the client (RFC 9068 §2.2.3); there
//! is no refresh token (§4.4.3) and no ID token, since no user is involved.
//! Scopes `admin:read` and `admin:write` are for Tessera's own admin API:
//! a token carrying them has the admin API as its audience, and no other
//! scope.

use super::super::tokens::{Issuance, TokenResponse};
use super::super::{OAuthError, Provider};
use crate::domain::scope::{SUPPORTED, is_admin_scope};
use crate::domain::{Client, Scopes};

impl Provider {
    pub(super) fn client_credentials(
        &self,
        client: &Client,
        scope: Option<&Scopes>,
        now: i64,
    ) -> Result<TokenResponse, OAuthError> {
        // The OpenID scopes are about a user; none is involved here.
        let allowed = client
            .allowed_scopes()
            .without_all(&Scopes::from_tokens(SUPPORTED));
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
        let admin = scope.iter().filter(|s| is_admin_scope(s)).count();
        let audience = if admin == 0 {
            None
        } else if admin == scope.iter().count() {
            Some(self.admin_api_audience())
        } else {
            return Err(OAuthError::invalid_scope(
                "ask for admin scopes in a token of their own",
            ));
        };
        self.issue(
            Issuance {
                client,
                grant: None,
                scope: &scope,
                id_token: false,
                nonce: None,
                refresh_token: None,
                audience: audience.as_deref(),
                groups: None,
            },
            now,
        )
    }
}
