//! The UserInfo endpoint (OIDC Core §5.3): the claims of the token's user,
//! selected by the token's scope (§5.4).

use serde_json::{Map, Value, json};

use super::{ErrorCode, OAuthError, Provider};
use crate::domain::scope::{EMAIL, OPENID, PROFILE};
use crate::domain::{Scopes, User};

impl Provider {
    /// Claims for the bearer of `access_token`. Errors are `invalid_token`
    /// (401) or `insufficient_scope` (403), per RFC 6750 §3.1.
    pub async fn userinfo(
        &self,
        access_token: &str,
        now: i64,
    ) -> Result<Map<String, Value>, OAuthError> {
        let claims = self.verify_access_token(access_token, now).await?;
        let scope = Scopes::parse(&claims.scope)
            .map_err(|_| OAuthError::invalid_token("the access token's scope is malformed"))?;
        if !scope.contains(OPENID) {
            return Err(OAuthError::new(
                ErrorCode::InsufficientScope,
                "the access token was not issued for the openid scope",
            ));
        }
        let user_id = claims.user_id().ok_or_else(|| {
            OAuthError::invalid_token("the access token was issued to a client, not a user")
        })?;
        let user = self
            .store
            .user_described(&user_id, now)
            .await?
            .filter(|user| user.can_sign_in())
            .ok_or_else(|| OAuthError::invalid_token("the token's user no longer exists"))?;
        let mut claims = user_claims(&user, &scope);
        if let Some(groups) = self.groups_claim(&user.id, &scope).await? {
            claims.insert("groups".into(), json!(groups));
        }
        Ok(claims)
    }
}

/// The standard claims (OIDC Core §5.1) of `user` that `scope` allows;
/// claims without a value are left out.
pub fn user_claims(user: &User, scope: &Scopes) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(user.id.as_str()));
    if scope.contains(PROFILE) {
        let profile = &user.profile;
        let optional = [
            ("name", &profile.name),
            ("given_name", &profile.given_name),
            ("family_name", &profile.family_name),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                claims.insert(name.into(), json!(value));
            }
        }
        claims.insert("preferred_username".into(), json!(user.username.as_str()));
        claims.insert("updated_at".into(), json!(user.updated_at));
    }
    if scope.contains(EMAIL)
        && let Some(email) = &user.email
    {
        claims.insert("email".into(), json!(email.as_str()));
        claims.insert("email_verified".into(), json!(user.email_verified));
    }
    claims
}
