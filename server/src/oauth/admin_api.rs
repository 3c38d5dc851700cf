//! Who may call Tessera's admin API with a bearer token: a client that an
//! administrator allowed `admin:read` and/or `admin:write`, holding an access
//! token it got with client_credentials, whose audience is the admin API.

use super::{ErrorCode, OAuthError, Provider};
use crate::domain::scope::{ADMIN_READ, ADMIN_WRITE};
use crate::domain::{ClientId, Scopes};

/// A caller of the admin API, as its token says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminApiCaller {
    pub client_id: ClientId,
    pub can_read: bool,
    pub can_write: bool,
}

impl Provider {
    /// The `aud` of admin API tokens.
    pub fn admin_api_audience(&self) -> String {
        format!("{}/admin/api", self.config.issuer)
    }

    /// Check a bearer token presented to the admin API: a valid access
    /// token (signature, expiry, not revoked), for the admin API, with an
    /// admin scope. Errors are `invalid_token` (401) or
    /// `insufficient_scope` (403).
    pub async fn admin_api_caller(
        &self,
        token: &str,
        now: i64,
    ) -> Result<AdminApiCaller, OAuthError> {
        let claims = self.verify_access_token(token, now).await?;
        if claims.aud != self.admin_api_audience() {
            return Err(OAuthError::invalid_token(
                "the access token is not for the admin API",
            ));
        }
        let scope = Scopes::parse(&claims.scope)
            .map_err(|_| OAuthError::invalid_token("the access token's scope is malformed"))?;
        let can_write = scope.contains(ADMIN_WRITE);
        let can_read = can_write || scope.contains(ADMIN_READ);
        if !can_read {
            return Err(OAuthError::new(
                ErrorCode::InsufficientScope,
                "the access token has no admin scope",
            ));
        }
        let client_id = ClientId::parse(&claims.client_id)
            .map_err(|_| OAuthError::invalid_token("the access token names no client"))?;
        Ok(AdminApiCaller {
            client_id,
            can_read,
            can_write,
        })
    }
}
