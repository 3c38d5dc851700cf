//! Token revocation (RFC 7009). A client revokes its own tokens: a refresh
//! token takes its whole grant with it (the family and every access token of
//! it, §2.1 "SHOULD"); an access token is deny-listed by `jti` until it
//! expires. A token of another client, an unknown one or garbage: nothing
//! happens, and the answer is the same 200 (§2.2), so the endpoint tells an
//! attacker nothing. `token_type_hint` is only a hint; the token's shape
//! decides.

use serde_json::json;

use super::introspect::looks_like_jwt;
use super::tokens::{AccessTokenClaims, is_opaque_token};
use super::{OAuthError, Params, Provider};
use crate::domain::crypto::sha256_hex;
use crate::domain::{Actor, AuditEvent, Client, Secret};
use crate::store::Unit;

/// What revocation did (the HTTP answer is 200 either way).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Revoked {
    /// A refresh token: its grant is revoked.
    RefreshFamily,
    /// An access token: deny-listed until it expires.
    AccessToken,
    /// Unknown, expired, garbage, or another client's.
    Nothing,
}

/// Whose token it was: the user's, or the client's own.
fn whose(claims: &AccessTokenClaims) -> String {
    match claims.user_id() {
        Some(user) => format!("user:{user}"),
        None => format!("client:{}", claims.sub),
    }
}

impl Provider {
    pub async fn revoke(
        &self,
        basic: Option<(String, Secret)>,
        params: &Params,
        now: i64,
    ) -> Result<Revoked, OAuthError> {
        if let Err(name) = params.reject_repeated() {
            return Err(OAuthError::invalid_request(format!(
                "the {name} parameter is repeated"
            )));
        }
        let client = self.authenticate_caller(basic, params).await?;
        let token = params
            .get("token")
            .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
        // The revocation and its audit record commit together.
        let mut unit = self.store.unit().await?;
        let (outcome, target) = if is_opaque_token(token) {
            self.revoke_opaque_token(&mut unit, &client, token, now)
                .await?
        } else if looks_like_jwt(token) {
            self.revoke_access_token(&mut unit, &client, token, now)
                .await?
        } else {
            self.revoke_refresh_token(&mut unit, &client, token, now)
                .await?
        };
        if outcome != Revoked::Nothing {
            unit.audit(&[AuditEvent {
                at: now,
                actor: Actor::Client(client.id.clone()),
                action: "token.revoke",
                target,
                reason: None,
                ip: None,
                outcome: "success",
                details: json!({
                    "token": match outcome {
                        Revoked::RefreshFamily => "refresh_token",
                        _ => "access_token",
                    }
                }),
            }])
            .await?;
        }
        unit.commit().await?;
        Ok(outcome)
    }

    async fn revoke_refresh_token(
        &self,
        unit: &mut Unit<'_>,
        client: &Client,
        token: &str,
        now: i64,
    ) -> Result<(Revoked, Option<String>), OAuthError> {
        let hash = sha256_hex(token.as_bytes());
        let Some(record) = self.store.refresh_token_by_hash(&hash).await? else {
            return Ok((Revoked::Nothing, None));
        };
        if record.client_id != client.id {
            return Ok((Revoked::Nothing, None));
        }
        let Some(grant) = self.store.grant_by_id(&record.grant_id).await? else {
            return Ok((Revoked::Nothing, None));
        };
        if grant.is_revoked() {
            return Ok((Revoked::Nothing, None));
        }
        unit.revoke_grant(&grant.id, now).await?;
        Ok((
            Revoked::RefreshFamily,
            Some(format!("user:{}", grant.user_id)),
        ))
    }

    /// An opaque access token of the caller's: revoked in the database and
    /// deny-listed by `jti` (so the fast check sees it too).
    async fn revoke_opaque_token(
        &self,
        unit: &mut Unit<'_>,
        client: &Client,
        token: &str,
        now: i64,
    ) -> Result<(Revoked, Option<String>), OAuthError> {
        let hash = sha256_hex(token.as_bytes());
        let Some(stored) = self.store.opaque_token(&hash).await? else {
            return Ok((Revoked::Nothing, None));
        };
        if stored.client_id != client.id || now >= stored.expires_at {
            return Ok((Revoked::Nothing, None));
        }
        let Ok(claims) = serde_json::from_str::<AccessTokenClaims>(&stored.claims) else {
            return Ok((Revoked::Nothing, None));
        };
        if !unit.revoke_opaque_token(&hash, now).await? {
            return Ok((Revoked::Nothing, None));
        }
        unit.deny_access_token(&claims.jti, claims.exp).await?;
        Ok((Revoked::AccessToken, Some(whose(&claims))))
    }

    async fn revoke_access_token(
        &self,
        unit: &mut Unit<'_>,
        client: &Client,
        token: &str,
        now: i64,
    ) -> Result<(Revoked, Option<String>), OAuthError> {
        let Ok(claims) = self.keys().verify::<AccessTokenClaims>(
            token,
            &super::tokens::ACCESS_TOKEN_TYPES,
            &self.config.issuer,
            now,
        ) else {
            return Ok((Revoked::Nothing, None));
        };
        if claims.client_id != client.id.as_str() || now >= claims.exp {
            return Ok((Revoked::Nothing, None));
        }
        unit.deny_access_token(&claims.jti, claims.exp).await?;
        Ok((Revoked::AccessToken, Some(whose(&claims))))
    }
}
