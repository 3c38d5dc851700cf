//! Token introspection (RFC 7662). Confidential clients ask whether a token
//! is active: the client a token was issued to, or the one an access token
//! is addressed to (`aud`; for an API, the clients the API names as acting
//! for it, `api update --introspector`); anyone else hears `active: false` (§4: the
//! endpoint must not tell a caller about tokens that are none of its
//! business). Access tokens are
//! checked like at `/userinfo` (signature, `typ`, expiry, then one store
//! round trip for revocation); refresh tokens with one joined query. Anything
//! expired, revoked, deny-listed, tampered with, of an ended session or of a
//! disabled user is `{"active": false}` and nothing more (§2.2).

use serde::Serialize;

use super::{OAuthError, Params, Provider};
use crate::domain::crypto::sha256_hex;
use crate::domain::{Client, Secret};

/// The introspection response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Introspection {
    pub active: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub token: Option<ActiveToken>,
}

/// What an active token is (RFC 7662 §2.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActiveToken {
    pub scope: String,
    pub client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    pub sub: String,
    pub aud: String,
    pub iss: String,
    pub exp: i64,
    pub iat: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// `Bearer` for access tokens, `refresh_token` for refresh tokens.
    pub token_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// For a token to an API: the user's roles and permissions there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<String>>,
    /// For an exchanged token: who exchanged it (RFC 8693 §4.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub act: Option<super::tokens::Act>,
}

impl Introspection {
    fn inactive() -> Self {
        Self::default()
    }

    fn active(token: ActiveToken) -> Self {
        Self {
            active: true,
            token: Some(token),
        }
    }
}

/// A JWT has two dots; our refresh tokens are base64url and have none. So
/// the token's shape, not `token_type_hint`, decides how to look it up.
pub(super) fn looks_like_jwt(token: &str) -> bool {
    token.bytes().filter(|b| *b == b'.').count() == 2
}

impl Provider {
    pub async fn introspect(
        &self,
        basic: Option<(String, Secret)>,
        params: &Params,
        now: i64,
    ) -> Result<Introspection, OAuthError> {
        if let Err(name) = params.reject_repeated() {
            return Err(OAuthError::invalid_request(format!(
                "the {name} parameter is repeated"
            )));
        }
        let caller = self.authenticate_caller(basic, params).await?;
        require_confidential(&caller)?;
        let token = params
            .get("token")
            .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
        if looks_like_jwt(token) || super::tokens::is_opaque_token(token) {
            self.introspect_access_token(&caller, token, now).await
        } else {
            self.introspect_refresh_token(&caller, token, now).await
        }
    }

    async fn may_introspect(
        &self,
        caller: &Client,
        claims: &super::tokens::AccessTokenClaims,
    ) -> Result<bool, OAuthError> {
        if claims.client_id == caller.id.as_str() || claims.aud == caller.id.as_str() {
            return Ok(true);
        }
        Ok(self
            .store
            .resource_for(&caller.id, &claims.aud)
            .await?
            .is_some_and(|r| r.api.is_served_by(&caller.id)))
    }

    async fn introspect_access_token(
        &self,
        caller: &Client,
        token: &str,
        now: i64,
    ) -> Result<Introspection, OAuthError> {
        let claims = match self.verify_access_token(token, now).await {
            Ok(claims) => claims,
            Err(err) if err.code == super::ErrorCode::InvalidToken => {
                return Ok(Introspection::inactive());
            }
            Err(other) => return Err(other),
        };
        // Only the client the token was issued to, or the one it is
        // addressed to (for an API: a client the API names as acting for
        // it), learns anything about it.
        if !self.may_introspect(caller, &claims).await? {
            return Ok(Introspection::inactive());
        }
        let username = match claims.user_id() {
            Some(user) => self.store.username_of(&user).await?,
            None => None,
        };
        Ok(Introspection::active(ActiveToken {
            scope: claims.scope,
            client_id: claims.client_id,
            username,
            sub: claims.sub,
            aud: claims.aud,
            iss: claims.iss,
            exp: claims.exp,
            iat: claims.iat,
            jti: Some(claims.jti),
            token_type: "Bearer",
            sid: claims.sid,
            roles: claims.roles,
            permissions: claims.permissions,
            act: claims.act,
        }))
    }

    async fn introspect_refresh_token(
        &self,
        caller: &Client,
        token: &str,
        now: i64,
    ) -> Result<Introspection, OAuthError> {
        let hash = sha256_hex(token.as_bytes());
        let Some(status) = self.store.refresh_token_status(&hash).await? else {
            return Ok(Introspection::inactive());
        };
        if !status.is_active(now) || status.client_id != caller.id {
            return Ok(Introspection::inactive());
        }
        Ok(Introspection::active(ActiveToken {
            scope: status.scope.to_string(),
            client_id: status.client_id.to_string(),
            username: Some(status.username),
            sub: status.user_id.to_string(),
            aud: status.client_id.to_string(),
            iss: self.config.issuer.clone(),
            exp: status.expires_at,
            iat: status.issued_at,
            jti: None,
            token_type: "refresh_token",
            sid: status.session_sid.map(|s| s.to_string()),
            roles: None,
            permissions: None,
            act: None,
        }))
    }
}

/// Introspection and the like need a caller that can prove who it is.
pub(super) fn require_confidential(client: &Client) -> Result<(), OAuthError> {
    if client.is_public() {
        return Err(OAuthError::invalid_client(
            "a public client cannot use this endpoint",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwts_and_refresh_tokens_are_told_apart_by_shape() {
        assert!(looks_like_jwt("a.b.c"));
        assert!(!looks_like_jwt("Qm9ndXMtcmVmcmVzaC10b2tlbi0yNTYtYml0cw"));
        assert!(!looks_like_jwt("a.b"));
    }

    #[test]
    fn an_inactive_answer_has_no_other_members() {
        let json = serde_json::to_value(Introspection::inactive()).expect("json");
        assert_eq!(json, serde_json::json!({ "active": false }));
    }
}
